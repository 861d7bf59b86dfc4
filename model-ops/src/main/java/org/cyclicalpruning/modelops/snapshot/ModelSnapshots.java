package org.cyclicalpruning.modelops.snapshot;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * Reading and writing {@link SparseModelSnapshot}s, for the job that emits them and for serving
 * systems that only depend on {@code model-ops}.
 *
 * <p>On Kafka a snapshot is plain Avro binary of {@link SparseModelSnapshot#getClassSchema()}
 * (no header, no schema id); in files it is an Avro container file, which carries its schema.
 */
public final class ModelSnapshots {
    private ModelSnapshots() {}

    /**
     * Encodes a model's parameters, each tensor in its smallest encoding.
     *
     * @param spec the architecture; names the tensors
     * @param shapes shape of every parameter, in {@link ModelSpec#tensorNames()} order
     * @param params the values of every parameter, same order
     * @return the encoded tensors
     */
    public static List<SparseTensor> encodeTensors(ModelSpec spec, int[][] shapes, float[][] params) {
        List<String> names = spec.tensorNames();
        checkArgument(
                shapes.length == names.size() && params.length == names.size(),
                "model %s has %s tensors, got %s shapes and %s value arrays",
                spec,
                names.size(),
                shapes.length,
                params.length);
        List<SparseTensor> tensors = new ArrayList<>(names.size());
        for (int p = 0; p < names.size(); p++) {
            tensors.add(SparseTensorCodec.encode(names.get(p), shapes[p], params[p]));
        }
        return tensors;
    }

    /**
     * Decodes every tensor of a snapshot to dense arrays, checking them against its spec.
     *
     * @param snapshot the snapshot
     * @return dense values per parameter, in {@link ModelSpec#tensorNames()} order
     * @throws IllegalArgumentException if tensors are missing, misnamed, or do not fit the spec
     */
    public static float[][] decodeTensors(SparseModelSnapshot snapshot) {
        ModelSpec spec = ModelSpec.fromAvro(snapshot.getSpec());
        List<String> names = spec.tensorNames();
        List<SparseTensor> tensors = snapshot.getTensors();
        checkArgument(
                tensors.size() == names.size(),
                "snapshot of %s v%s has %s tensors, its spec %s needs %s",
                snapshot.getModelId(),
                snapshot.getVersion(),
                tensors.size(),
                spec,
                names.size());
        float[][] out = new float[names.size()][];
        for (int p = 0; p < out.length; p++) {
            SparseTensor t = tensors.get(p);
            checkArgument(
                    names.get(p).equals(t.getName()),
                    "tensor %s of %s v%s is '%s', expected '%s'",
                    p,
                    snapshot.getModelId(),
                    snapshot.getVersion(),
                    t.getName(),
                    names.get(p));
            out[p] = SparseTensorCodec.decode(t);
        }
        return out;
    }

    /** Returns the snapshot as plain Avro binary, as written to Kafka. */
    public static byte[] toBytes(SparseModelSnapshot snapshot) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new SpecificDatumWriter<>(SparseModelSnapshot.class).write(snapshot, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Reads a snapshot from plain Avro binary, as found on the snapshot topic.
     *
     * @param bytes the record value
     * @return the snapshot
     * @throws IllegalArgumentException if the bytes are not a snapshot
     */
    public static SparseModelSnapshot fromBytes(byte[] bytes) {
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
        try {
            SparseModelSnapshot snapshot = new SpecificDatumReader<>(SparseModelSnapshot.class).read(null, decoder);
            checkArgument(decoder.isEnd(), "%s trailing bytes after the snapshot", bytes.length);
            return snapshot;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException("not a SparseModelSnapshot in Avro binary: " + e, e);
        }
    }

    /**
     * Reads every snapshot of an Avro container file, as the job's file sink writes them.
     *
     * @param file the file
     * @return its snapshots, in file order
     */
    public static List<SparseModelSnapshot> readFile(Path file) {
        List<SparseModelSnapshot> out = new ArrayList<>();
        try (DataFileReader<SparseModelSnapshot> reader =
                new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(SparseModelSnapshot.class))) {
            reader.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read snapshots from " + file + ": " + e.getMessage(), e);
        }
        return out;
    }
}
