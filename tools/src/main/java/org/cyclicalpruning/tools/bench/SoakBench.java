package org.cyclicalpruning.tools.bench;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedules;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;

/**
 * Native memory over a long run: LeNet-300-100 trained with a cyclical schedule (masks recomputed
 * every step while ramping) for a while, sampling the process's resident set size and the number
 * of live native arrays, then the least-squares slope of each. A loop that leaks shows a slope.
 */
final class SoakBench {
    private SoakBench() {}

    static Map<String, Object> run(List<Batch> batches, double minutes) throws IOException {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.LENET_300_100)
                .setSchedule(SparsitySchedules.parse("cyclical(final=0.9, period=200, cycles=inf, ramp=0.5)"))
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(0.01))
                .optDevice(DeviceChoice.AUTO)
                .build();
        // seconds, RSS MB, trainer arrays, engine arrays, RSS minus what the JVM holds itself (heap and
        // non-heap committed, direct buffers in use, which DJL allocates per read and the GC frees
        // late): the memory outside the JVM's own accounts, where a native leak shows
        List<double[]> samples = new ArrayList<>();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long end = System.nanoTime() + (long) (minutes * 60e9);
        long steps = 0;
        long sparseHoldSteps;
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            for (int i = 0; i < 200; i++) { // warm-up: allocator pools and JIT settle first
                trainer.step(batches.get(i % batches.size()), i);
            }
            long start = System.nanoTime();
            long nextSample = start;
            while (System.nanoTime() < end) {
                trainer.step(batches.get((int) (steps % batches.size())), steps);
                steps++;
                if (System.nanoTime() >= nextSample) {
                    double rss = rssMegabytes();
                    double jvm = (memory.getHeapMemoryUsage().getCommitted()
                                    + memory.getNonHeapMemoryUsage().getCommitted()
                                    + directBytes())
                            / 1048576.0;
                    samples.add(new double[] {
                        (System.nanoTime() - start) / 1e9, rss, trainer.liveArrays(), engineArrays(), rss - jvm
                    });
                    nextSample += 5_000_000_000L;
                }
            }
            sparseHoldSteps = trainer.sparseHoldStepsTaken();
        }
        double rssSlope = slope(samples, 1) * 60;
        double nativeSlope = slope(samples, 4) * 60;
        // after the first half, allocator pools and the heap have found their size
        double nativeSlopeLate = slope(samples.subList(samples.size() / 2, samples.size()), 4) * 60;
        double arraySlope = slope(samples, 2) * 60;
        double engineSlope = slope(samples, 3) * 60;
        double[] first = samples.get(0);
        double[] last = samples.get(samples.size() - 1);
        System.out.printf(
                Locale.ROOT,
                "soak: %d steps in %.1f min; RSS %.1f -> %.1f MB (slope %.3f MB/min); outside the JVM's heap, non-heap and direct buffers %.1f -> %.1f MB"
                        + " (slope %.3f MB/min, %.3f over the second half); live arrays %d -> %d (slope %.4f/min), engine-wide %d -> %d%n",
                steps,
                last[0] / 60,
                first[1],
                last[1],
                rssSlope,
                first[4],
                last[4],
                nativeSlope,
                nativeSlopeLate,
                (long) first[2],
                (long) last[2],
                arraySlope,
                (long) first[3],
                (long) last[3]);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("soak_minutes", last[0] / 60);
        figures.put("soak_steps", steps);
        // the steps of the holds that ran on kept weights only, which must stay as flat as the dense ones
        figures.put("soak_sparse_hold_steps", sparseHoldSteps);
        figures.put("rss_mb_first", first[1]);
        figures.put("rss_mb_last", last[1]);
        figures.put("rss_slope_mb_per_minute", rssSlope);
        figures.put("native_mb_first", first[4]);
        figures.put("native_mb_last", last[4]);
        figures.put("native_slope_mb_per_minute", nativeSlope);
        figures.put("native_slope_second_half_mb_per_minute", nativeSlopeLate);
        figures.put("live_arrays_slope_per_minute", arraySlope);
        figures.put("engine_arrays_slope_per_minute", engineSlope);
        return figures;
    }

    static double rssMegabytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }

    private static long directBytes() {
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            used += pool.getMemoryUsed();
        }
        return used;
    }

    private static int engineArrays() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    /** Least-squares slope of column {@code y} against column 0. */
    private static double slope(List<double[]> samples, int y) {
        double n = samples.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (double[] s : samples) {
            sx += s[0];
            sy += s[y];
            sxx += s[0] * s[0];
            sxy += s[0] * s[y];
        }
        double d = n * sxx - sx * sx;
        return d == 0 ? 0 : (n * sxy - sx * sy) / d;
    }
}
