package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sparse predictor on a class path without DJL, as a serving application that depends on
 * {@code model-serving} gets it (DJL is an optional dependency there): it loads a snapshot and
 * predicts what it predicts here.
 */
class ServingWithoutDjlTest {
    private static final int ROWS = 16;

    @ParameterizedTest
    @ValueSource(strings = {"mlp:40-24-3", "fashion-cnn-bn"})
    void theSparsePredictorRunsWithoutDjl(String model, @TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.parse(model);
        SparseModelSnapshot snapshot =
                TestSnapshots.snapshot("m", 1, spec, TestSnapshots.fanInScaledParams(spec, 0.9, 5));
        float[] x = TestSnapshots.features(ROWS, spec.inputs(), 3);
        Path snapshotFile = dir.resolve("m.avro");
        Files.write(snapshotFile, ModelSnapshots.toBytes(snapshot));
        Path features = dir.resolve("x.f32");
        ByteBuffer bytes = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(x);
        Files.write(features, bytes.array());

        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains(File.separator + "ai" + File.separator + "djl" + File.separator))
                .reduce((a, b) -> a + File.pathSeparator + b)
                .orElseThrow();
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        classPath,
                        ServingWithoutDjl.class.getName(),
                        snapshotFile.toString(),
                        features.toString(),
                        Integer.toString(ROWS))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("the serving process said:%n%s", out).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).isEqualTo("djl absent");

        float[] expected = SparsePredictor.of(snapshot).predict(x, ROWS);
        assertThat(lines).hasSize(1 + expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.parseFloat(lines.get(i + 1))).isCloseTo(expected[i], within(1e-6f));
        }
    }
}
