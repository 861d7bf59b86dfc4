package org.cyclicalpruning.tools.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.cyclicalpruning.modelops.engine.IntraOpThreads;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.serving.KernelCrossover;
import org.cyclicalpruning.serving.SnapshotPredictor;
import org.cyclicalpruning.serving.SparsePredictor;

/**
 * Serving a pruned LeNet-300-100: {@link SparsePredictor} (the sparse path) against {@link
 * SnapshotPredictor} (DJL, dense) on the same snapshot and batch, by batch size and sparsity, in
 * alternating rounds: the median of the rounds' ratios, and the sparse path's median round against
 * DJL's fastest (the figure the targets are held to).
 */
final class ServingBench {
    private static final int[] BATCHES = {1, 16, 128, 512};
    // 50% and 80% are not targets: they show the layers switching to the dense kernel
    private static final double[] SPARSITIES = {0.5, 0.8, 0.9, 0.95, 0.98, 0.99};

    private ServingBench() {}

    static Map<String, Object> run(int rounds, StringBuilder md) {
        // one thread for DJL as for the sparse path, whatever the process's pool: a serving
        // replica per core is how CPU serving scales, and the comparison is per core
        int threads = IntraOpThreads.get();
        IntraOpThreads.set(1);
        try {
            return compare(rounds, md);
        } finally {
            IntraOpThreads.set(threads);
        }
    }

    private static Map<String, Object> compare(int rounds, StringBuilder md) {
        ModelSpec spec = ModelSpec.parse("lenet-300-100");
        Map<String, Object> speedups = new LinkedHashMap<>();
        Map<String, Object> againstBest = new LinkedHashMap<>();
        Map<String, Object> sparseGflops = new LinkedHashMap<>();
        Map<String, Object> plans = new LinkedHashMap<>();
        Map<String, Object> figures = new LinkedHashMap<>();
        double peak = peakGflops();
        KernelCrossover crossover = KernelCrossover.current();
        md.append(String.format(
                Locale.ROOT,
                "%nOne thread. Peak of this core, measured (independent vector multiply-adds): %.0f GFLOP/s."
                        + " Crossover (%s). GFLOP/s count the multiplies each path does: all weights of a layer"
                        + " that runs dense, only the non-zero ones of a layer that runs sparse.%n",
                peak,
                crossover));
        md.append("\n| sparsity | batch | sparse µs/example | dense µs/example (best round) | sparse vs dense"
                + " | vs dense's best | sparse GFLOP/s | dense GFLOP/s | layers |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
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
                    double s = Rounds.median(sparseUs);
                    double d = Rounds.median(denseUs);
                    double speedup = Rounds.median(ratios);
                    double denseBest = Arrays.stream(denseUs).min().orElseThrow();
                    double conservative = denseBest / s;
                    String key = String.format(Locale.ROOT, "b%d_s%02d", batch, Math.round(sparsity * 100));
                    speedups.put(key, speedup);
                    againstBest.put(key, conservative);
                    // µs per example: 2 flops per multiply-add, 1e3 µs-to-GFLOP/s
                    double sparseRate = 2.0 * multiplies(sparse.plan(batch)) / s / 1e3;
                    double denseRate = 2.0 * denseWeights(spec) / d / 1e3;
                    sparseGflops.put(key, sparseRate);
                    String plan = sparse.plan(batch).stream()
                            .map(SparsePredictor.LayerPath::kernel)
                            .collect(Collectors.joining(", "));
                    plans.put(key, plan);
                    md.append(String.format(
                            Locale.ROOT,
                            "| %.2f | %d | %.2f | %.2f (%.2f) | %.2fx | %.2fx | %.1f (%.0f%%) | %.1f (%.0f%%) | %s |%n",
                            sparsity,
                            batch,
                            s,
                            d,
                            denseBest,
                            speedup,
                            conservative,
                            sparseRate,
                            100 * sparseRate / peak,
                            denseRate,
                            100 * denseRate / peak,
                            plan));
                }
            }
        }
        figures.put("serving_peak_gflops", peak);
        figures.put("serving_crossover", crossover.toString());
        figures.put("serving_speedup", speedups);
        figures.put("serving_sparse_gflops", sparseGflops);
        figures.put("serving_layers", plans);
        figures.put("serving_speedup_vs_dense_best", againstBest);
        // the targets hold against DJL at its fastest: its time per call swings between about 6
        // and 16 µs per example in phases of seconds on this machine, the sparse path's does not
        figures.put("serving_speedup_b128_s90", againstBest.get("b128_s90"));
        figures.put("serving_speedup_b128_s98", againstBest.get("b128_s98"));
        return figures;
    }

    /** Multiply-adds per example of a plan: all weights of the layers run dense, the non-zero ones of the others. */
    private static long multiplies(List<SparsePredictor.LayerPath> plan) {
        long n = 0;
        for (SparsePredictor.LayerPath layer : plan) {
            n += layer.kernel().equals("dense") ? (long) layer.inputs() * layer.outputs() : layer.nonZeros();
        }
        return n;
    }

    private static long denseWeights(ModelSpec spec) {
        int[] widths = spec.layerWidths();
        long n = 0;
        for (int l = 0; l + 1 < widths.length; l++) {
            n += (long) widths[l] * widths[l + 1];
        }
        return n;
    }

    /** The best of five timings of the multiply-add loop, in GFLOP/s; NaN without the native kernels. */
    private static double peakGflops() {
        if (!NativeMaskKernels.available()) {
            return Double.NaN;
        }
        long steps = 2_000_000;
        double best = 0;
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            float sink = NativeMaskKernels.fmaPeak(steps);
            long t1 = System.nanoTime();
            if (Float.isNaN(sink)) {
                throw new AssertionError("the peak loop's sums cannot be NaN");
            }
            best = Math.max(best, (double) steps * NativeMaskKernels.PEAK_FLOPS_PER_STEP / (t1 - t0));
        }
        return best;
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
}
