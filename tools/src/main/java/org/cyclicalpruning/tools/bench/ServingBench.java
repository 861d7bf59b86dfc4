package org.cyclicalpruning.tools.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.serving.SnapshotPredictor;
import org.cyclicalpruning.serving.SparsePredictor;

/**
 * Serving a pruned LeNet-300-100: {@link SparsePredictor} (the sparse path) against {@link
 * SnapshotPredictor} (DJL, dense) on the same snapshot and batch, by batch size and sparsity, in
 * alternating rounds; the figure is the median of the rounds' ratios.
 */
final class ServingBench {
    private static final int[] BATCHES = {1, 16, 128, 512};
    private static final double[] SPARSITIES = {0.9, 0.95, 0.98, 0.99};

    private ServingBench() {}

    static Map<String, Object> run(int rounds, StringBuilder md) {
        ModelSpec spec = ModelSpec.parse("lenet-300-100");
        Map<String, Object> speedups = new LinkedHashMap<>();
        Map<String, Object> figures = new LinkedHashMap<>();
        md.append(
                "\n| sparsity | batch | sparse µs/example | dense µs/example | sparse vs dense |\n|---:|---:|---:|---:|---:|\n");
        for (double sparsity : SPARSITIES) {
            SparseModelSnapshot snapshot = snapshot(spec, sparsity, 1);
            SparsePredictor sparse = SparsePredictor.of(snapshot);
            try (SnapshotPredictor dense = SnapshotPredictor.load(snapshot)) {
                for (int batch : BATCHES) {
                    float[] x = features(batch, spec.inputs());
                    int reps = Math.max(10, 10_000 / batch);
                    double[] sparseUs = new double[rounds];
                    double[] denseUs = new double[rounds];
                    double[] ratios = new double[rounds];
                    for (int round = 0; round < rounds + 1; round++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < reps; i++) {
                            sparse.predict(x, batch);
                        }
                        long t1 = System.nanoTime();
                        for (int i = 0; i < reps; i++) {
                            dense.predict(x, batch);
                        }
                        long t2 = System.nanoTime();
                        if (round > 0) { // the first round warms both up
                            sparseUs[round - 1] = (t1 - t0) / 1e3 / reps / batch;
                            denseUs[round - 1] = (t2 - t1) / 1e3 / reps / batch;
                            ratios[round - 1] = denseUs[round - 1] / sparseUs[round - 1];
                        }
                    }
                    double s = median(sparseUs);
                    double d = median(denseUs);
                    double speedup = median(ratios);
                    String key = String.format(Locale.ROOT, "b%d_s%02d", batch, Math.round(sparsity * 100));
                    speedups.put(key, speedup);
                    md.append(String.format(
                            Locale.ROOT, "| %.2f | %d | %.2f | %.2f | %.2fx |%n", sparsity, batch, s, d, speedup));
                }
            }
        }
        figures.put("serving_speedup", speedups);
        figures.put("serving_speedup_b128_s90", speedups.get("b128_s90"));
        figures.put("serving_speedup_b128_s98", speedups.get("b128_s98"));
        return figures;
    }

    /** A snapshot with Gaussian weights of which {@code sparsity} are zero (biases dense). */
    private static SparseModelSnapshot snapshot(ModelSpec spec, double sparsity, long seed) {
        int[] widths = spec.layerWidths();
        int layers = widths.length - 1;
        float[][] params = new float[2 * layers][];
        int[][] shapes = new int[2 * layers][];
        SplittableRandom random = new SplittableRandom(seed);
        for (int l = 0; l < layers; l++) {
            shapes[2 * l] = new int[] {widths[l + 1], widths[l]};
            shapes[2 * l + 1] = new int[] {widths[l + 1]};
            params[2 * l] = new float[widths[l] * widths[l + 1]];
            for (int i = 0; i < params[2 * l].length; i++) {
                params[2 * l][i] = random.nextDouble() < sparsity ? 0f : (float) (random.nextGaussian() * 0.05);
            }
            params[2 * l + 1] = new float[widths[l + 1]];
            for (int i = 0; i < widths[l + 1]; i++) {
                params[2 * l + 1][i] = (float) (random.nextGaussian() * 0.01);
            }
        }
        return SparseModelSnapshot.newBuilder()
                .setModelId("serving-bench")
                .setVersion(1)
                .setEventTime(0)
                .setReason(SnapshotReason.CYCLE_END)
                .setCycle(0)
                .setPhase("HOLD")
                .setStep(1)
                .setSamples(1)
                .setSparsity(sparsity)
                .setTargetSparsity(sparsity)
                .setSpec(spec.toAvro())
                .setSchedule("constant(" + sparsity + ")")
                .setLoss(0)
                .setChurn(0)
                .setRecovered(0)
                .setTensors(ModelSnapshots.encodeTensors(spec, shapes, params))
                .build();
    }

    private static float[] features(int rows, int inputs) {
        SplittableRandom random = new SplittableRandom(2);
        float[] x = new float[rows * inputs];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble();
        }
        return x;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
