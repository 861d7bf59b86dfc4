package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;

/**
 * Exported models pass ONNX's own checker (Debian's {@code python3-onnx}, which converters and
 * serving engines run before they load a model), run in ONNX Runtime and compute what the DJL
 * predictor computes.
 */
class OnnxExportTest {
    private static final int ROWS = 6;

    @Test
    void anMlpWithInputScalingRunsInOnnxRuntimeAsInDjl() throws Exception {
        SparseModelSnapshot s = TestSnapshots.snapshot("mlp", 4, ModelSpec.parse("mlp:30-16-8-3"), 0.9, 11);
        s.setInputScaling(ModelSnapshots.inputScaling(java.util.Optional.of(new InputStandardization(0.3f, 0.7f))));
        assertRunsAsDjl(s);
    }

    @Test
    void linearAndLogisticModelsRunAsInDjl() throws Exception {
        assertRunsAsDjl(TestSnapshots.snapshot("linear", 1, ModelSpec.linear(12), 0.5, 3));
        assertRunsAsDjl(TestSnapshots.snapshot("logistic", 2, ModelSpec.logistic(12), 0.75, 5));
    }

    @Test
    void sparseInitializersHoldOnlyTheNonZeroWeightsAndRunTheSame() throws Exception {
        SparseModelSnapshot s = TestSnapshots.snapshot("mlp", 4, ModelSpec.parse("mlp:60-32-3"), 0.95, 13);
        byte[] sparse = OnnxExport.toBytes(s, OnnxExport.Initializers.SPARSE);
        ai.onnx.proto.OnnxMl.GraphProto graph =
                ai.onnx.proto.OnnxMl.ModelProto.parseFrom(sparse).getGraph();
        assertThat(graph.getSparseInitializerList())
                .extracting(t -> t.getValues().getName())
                .hasSize(2)
                .allMatch(name -> name.contains(".weight"));
        assertThat(graph.getInitializerList()).noneMatch(t -> t.getName().contains(".weight"));
        assertThat(sparse.length).isLessThan(OnnxExport.toBytes(s).length / 4);
        assertRunsAsDjl(s, sparse);
    }

    @Test
    void aCnnRunsInOnnxRuntimeAsInDjlWithDenseAndSparseInitializers() throws Exception {
        for (ModelSpec spec : java.util.List.of(
                ModelSpec.FASHION_CNN,
                ModelSpec.FASHION_CNN_BN,
                ModelSpec.parse("cnn:3x11x11-c6k5p0bn-p2-c4k3-f8-3"))) {
            SparseModelSnapshot s =
                    TestSnapshots.snapshot("cnn", 3, spec, TestSnapshots.fanInScaledParams(spec, 0.9, 21));
            s.setInputScaling(
                    ModelSnapshots.inputScaling(java.util.Optional.of(new InputStandardization(0.29f, 0.35f))));
            assertRunsAsDjl(s);
            byte[] sparse = OnnxExport.toBytes(s, OnnxExport.Initializers.SPARSE);
            assertThat(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(sparse)
                            .getGraph()
                            .getSparseInitializerList())
                    .extracting(t -> t.getValues().getName())
                    .as("both convolutions' kernels and every weight matrix are sparse, no normalisation tensor")
                    .hasSize(2 + spec.layerWidths().length - 1)
                    .anyMatch(name -> name.startsWith("conv0.weight"))
                    .anyMatch(name -> name.startsWith("conv1.weight"));
            assertRunsAsDjl(s, sparse);
        }
    }

    @Test
    void metadataNamesTheSnapshot() throws Exception {
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 7, ModelSpec.parse("mlp:10-4-2"), 0.5, 1);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(OnnxExport.toBytes(s), new OrtSession.SessionOptions())) {
            Map<String, String> meta = session.getMetadata().getCustomMetadata();
            assertThat(meta)
                    .containsEntry("model_id", "m")
                    .containsEntry("version", "7")
                    .containsEntry("schedule", s.getSchedule())
                    .containsEntry("sparsity", String.valueOf(s.getSparsity()));
            assertThat(session.getMetadata().getVersion()).isEqualTo(7);
        }
    }

    /** Runs {@code onnx.checker.check_model} on the model, in Debian's Python. */
    private static void assertPassesOnnxChecker(byte[] onnx) throws Exception {
        Path file = Files.createTempFile("export", ".onnx");
        try {
            Files.write(file, onnx);
            Process p = new ProcessBuilder(
                            "/usr/bin/python3",
                            "-c",
                            "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]));" + " print('ok')",
                            file.toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as("onnx.checker said:%n%s", out).isZero();
            assertThat(out.strip()).isEqualTo("ok");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void assertRunsAsDjl(SparseModelSnapshot s) throws Exception {
        assertRunsAsDjl(s, OnnxExport.toBytes(s));
    }

    private static void assertRunsAsDjl(SparseModelSnapshot s, byte[] onnx) throws Exception {
        assertPassesOnnxChecker(onnx);
        ModelSpec spec = ModelSpec.fromAvro(s.getSpec());
        float[] x = TestSnapshots.features(ROWS, spec.inputs(), 9);
        float[] expected;
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            expected = djl.predict(x, ROWS);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions());
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {ROWS, spec.inputs()});
                OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            float[][] out =
                    (float[][]) result.get(OnnxExport.OUTPUT).orElseThrow().getValue();
            int outputs = expected.length / ROWS;
            assertThat(out).hasNumberOfRows(ROWS);
            for (int r = 0; r < ROWS; r++) {
                for (int c = 0; c < outputs; c++) {
                    assertThat(out[r][c]).isCloseTo(expected[r * outputs + c], within(1e-5f));
                }
            }
        }
    }
}
