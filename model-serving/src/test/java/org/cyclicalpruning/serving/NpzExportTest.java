package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive read back in Java; ExportCommandTest reads it with NumPy. */
class NpzExportTest {
    private static final ModelSpec MLP = ModelSpec.parse("mlp:20-8-3");

    @Test
    void npyHeaderIsNumpyFormatOneAlignedTo64Bytes() {
        byte[] h = NpzExport.npyHeader("<f4", new long[] {300, 784});
        assertThat(h.length % 64).isZero();
        assertThat(new String(h, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
        assertThat(h[0] & 0xFF).isEqualTo(0x93);
        assertThat(new byte[] {h[6], h[7]}).containsExactly(1, 0);
        int length = ByteBuffer.wrap(h, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        assertThat(10 + length).isEqualTo(h.length);
        String dict = new String(h, 10, length, StandardCharsets.US_ASCII);
        assertThat(dict).endsWith("\n");
        assertThat(dict.strip()).isEqualTo("{'descr': '<f4', 'fortran_order': False, 'shape': (300, 784), }");
        assertThat(headerDict(NpzExport.npyHeader("<i8", new long[] {8})))
                .isEqualTo("{'descr': '<i8', 'fortran_order': False, 'shape': (8,), }");
        assertThat(headerDict(NpzExport.npyHeader("<i8", new long[] {}))).contains("'shape': ()");
    }

    @Test
    void denseArchiveHoldsEveryTensorInItsShape(@TempDir Path dir) throws IOException {
        float[][] params = TestSnapshots.params(MLP, 0.8, 7);
        SparseModelSnapshot s = TestSnapshots.snapshot("fashion", 4, MLP, params);
        Path file = dir.resolve("m.npz");

        assertThat(NpzExport.write(s, NpzExport.Layout.DENSE, file))
                .containsExactly(
                        "layer0.weight.npy", "layer0.bias.npy", "layer1.weight.npy", "layer1.bias.npy", "meta.json");

        Map<String, byte[]> entries = unzip(file);
        assertThat(headerDict(entries.get("layer0.weight.npy")))
                .contains("'descr': '<f4'")
                .contains("'shape': (8, 20)");
        assertThat(headerDict(entries.get("layer1.bias.npy"))).contains("'shape': (3,)");
        float[][] decoded = ModelSnapshots.decodeTensors(s);
        assertThat(floats(entries.get("layer0.weight.npy"))).containsExactly(decoded[0]);
        assertThat(floats(entries.get("layer1.weight.npy"))).containsExactly(decoded[2]);
        String meta = new String(entries.get("meta.json"), StandardCharsets.UTF_8);
        assertThat(meta)
                .contains(
                        "\"model_id\": \"fashion\"",
                        "\"version\": 4",
                        "\"spec\": \"mlp:20-8-3\"",
                        "\"layout\": \"dense\"",
                        "\"schedule\": \"cyclical(final=0.75, period=30s, cycles=inf, ramp=0.5)\"",
                        "\"sparsity\": 0.75",
                        "\"step\": 400",
                        "\"event_time\": \"2026-01-01T00:02:00Z\"",
                        "{\"name\": \"layer0.weight\", \"shape\": [8, 20], \"nnz\": "
                                + s.getTensors().get(0).getNnz() + "}");
        try (var files = Files.list(dir)) {
            assertThat(files).as("no temporary file left behind").containsExactly(file);
        }
    }

    @Test
    void aCnnArchiveHoldsItsBatchNormalisationAndItsMetaSaysWhereItIs(@TempDir Path dir) throws IOException {
        ModelSpec cnn = ModelSpec.parse("cnn:3x11x11-c6k5p0bn-p2-c4k3-f8-3");
        SparseModelSnapshot s = TestSnapshots.snapshot("cnn", 2, cnn, TestSnapshots.fanInScaledParams(cnn, 0.8, 5));
        Path file = dir.resolve("cnn.npz");

        assertThat(NpzExport.write(s, NpzExport.Layout.DENSE, file))
                .startsWith(
                        "conv0.weight.npy",
                        "conv0.bias.npy",
                        "bn0.gamma.npy",
                        "bn0.beta.npy",
                        "bn0.running_mean.npy",
                        "bn0.running_var.npy",
                        "conv1.weight.npy");

        Map<String, byte[]> entries = unzip(file);
        assertThat(headerDict(entries.get("bn0.running_var.npy"))).contains("'shape': (6,)");
        assertThat(floats(entries.get("bn0.running_var.npy"))).containsExactly(ModelSnapshots.decodeTensors(s)[5]);
        assertThat(new String(entries.get("meta.json"), StandardCharsets.UTF_8))
                .contains(
                        "{\"type\": \"conv\", \"filters\": 6, \"kernel\": 5, \"padding\": 0, \"batch_norm\": true}",
                        "{\"type\": \"conv\", \"filters\": 4, \"kernel\": 3, \"padding\": 1, \"batch_norm\": false}");
    }

    @Test
    void sparseArchiveHoldsValuesFlatIndicesAndShape(@TempDir Path dir) throws IOException {
        float[][] params = {{1, 0, 0, 2, 0, -3}, {0.5f, 0}};
        ModelSpec spec = ModelSpec.softmax(3, 2);
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, spec, params);
        Path file = dir.resolve("m.npz");

        NpzExport.write(s, NpzExport.Layout.SPARSE, file);

        Map<String, byte[]> entries = unzip(file);
        assertThat(entries.keySet())
                .containsExactly(
                        "layer0.weight.values.npy",
                        "layer0.weight.indices.npy",
                        "layer0.weight.shape.npy",
                        "layer0.bias.values.npy",
                        "layer0.bias.indices.npy",
                        "layer0.bias.shape.npy",
                        "meta.json");
        assertThat(floats(entries.get("layer0.weight.values.npy"))).containsExactly(1, 2, -3);
        assertThat(headerDict(entries.get("layer0.weight.indices.npy")))
                .contains("'descr': '<i8'")
                .contains("'shape': (3,)");
        assertThat(longs(entries.get("layer0.weight.indices.npy"))).containsExactly(0, 3, 5);
        assertThat(longs(entries.get("layer0.weight.shape.npy"))).containsExactly(2, 3);
        assertThat(longs(entries.get("layer0.bias.indices.npy"))).containsExactly(0);
    }

    private static String headerDict(byte[] npy) {
        int length = ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        return new String(npy, 10, length, StandardCharsets.US_ASCII).strip();
    }

    private static ByteBuffer data(byte[] npy) {
        int length = ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        return ByteBuffer.wrap(npy, 10 + length, npy.length - 10 - length)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static float[] floats(byte[] npy) {
        ByteBuffer b = data(npy);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    private static long[] longs(byte[] npy) {
        ByteBuffer b = data(npy);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    private static Map<String, byte[]> unzip(Path file) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file);
                ZipInputStream zip = new ZipInputStream(in)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                out.put(e.getName(), zip.readAllBytes());
            }
        }
        return out;
    }
}
