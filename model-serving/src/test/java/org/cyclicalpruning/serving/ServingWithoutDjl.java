package org.cyclicalpruning.serving;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * What a serving application that depends on {@code model-serving} alone runs, started by {@link
 * ServingWithoutDjlTest} in a JVM whose class path has no DJL: it reads a snapshot file and a
 * features file (float32 little-endian), prints whether DJL can be loaded, builds a serving model
 * and both exports, then prints the sparse predictor's outputs, one per line.
 */
public final class ServingWithoutDjl {
    private ServingWithoutDjl() {}

    public static void main(String[] args) throws Exception {
        try {
            Class.forName("ai.djl.ndarray.NDManager");
            System.out.println("djl present");
        } catch (ClassNotFoundException e) {
            System.out.println("djl absent");
        }
        SparseModelSnapshot snapshot = ModelSnapshots.fromBytes(Files.readAllBytes(Path.of(args[0])));
        SparsePredictor predictor = SparsePredictor.of(snapshot);
        // the other serving paths, which must not need DJL either
        ServingModel.of(snapshot);
        OnnxExport.toBytes(snapshot, OnnxExport.Initializers.SPARSE);
        Path npz = Files.createTempFile("serving", ".npz");
        NpzExport.write(snapshot, NpzExport.Layout.SPARSE, npz);
        Files.delete(npz);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(Path.of(args[1]))).order(ByteOrder.LITTLE_ENDIAN);
        float[] x = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(x);
        int rows = Integer.parseInt(args[2]);
        for (float y : predictor.predict(x, rows)) {
            System.out.println(String.format(Locale.ROOT, "%.9g", y));
        }
    }
}
