package org.cyclicalpruning.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.engine.IntraOpThreads;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;

/**
 * The training step while the mask holds: on kept weights only, against the dense masked step,
 * the same model on the same batches, in alternating rounds, one thread for both.
 */
final class HoldStepBench {
    private HoldStepBench() {}

    /**
     * Returns {@code hold_step_speedup_s<NN>} per sparsity (the median over rounds of the dense
     * step's time over the sparse one's) and the milliseconds per step of both, and adds a table
     * to {@code md}.
     */
    static Map<String, Object> run(
            ModelSpec spec, List<Batch> batches, double[] sparsities, int rounds, int roundSteps, StringBuilder md) {
        int threads = IntraOpThreads.get();
        IntraOpThreads.set(1);
        try {
            Map<String, Object> figures = new LinkedHashMap<>();
            md.append(String.format(
                    Locale.ROOT,
                    "%n%s, batch %d, one thread, mask held | dense masked ms/step | kept weights only ms/step |"
                            + " speedup |%n|---|---:|---:|---:|%n",
                    spec,
                    batches.get(0).rows()));
            for (double sparsity : sparsities) {
                Rounds nanos = compare(spec, batches, sparsity, rounds, roundSteps);
                double speedup = 1 / (1 + nanos.overhead("sparse", "dense"));
                String key = String.format(Locale.ROOT, "s%02d", Math.round(sparsity * 100));
                figures.put("hold_step_speedup_" + key, speedup);
                figures.put("hold_step_ms_dense_" + key, nanos.nanosPerStep("dense") / 1e6);
                figures.put("hold_step_ms_sparse_" + key, nanos.nanosPerStep("sparse") / 1e6);
                String row = String.format(
                        Locale.ROOT,
                        "| sparsity %.2f | %.3f | %.3f | %.2fx |",
                        sparsity,
                        nanos.nanosPerStep("dense") / 1e6,
                        nanos.nanosPerStep("sparse") / 1e6,
                        speedup);
                System.out.println(row);
                md.append(row).append('\n');
            }
            return figures;
        } finally {
            IntraOpThreads.set(threads);
        }
    }

    /**
     * Returns {@code hold_step_vs_torch_s<NN>}: the sparse hold step's samples per second against
     * the same masked step in PyTorch eager ({@code reference/torch_loop.py --methods hold}, pruned
     * to the sparsity at its first step, then gradients masked), one thread each, in alternating
     * rounds on Fashion-MNIST batches of 128; empty if the reference cannot run here. The
     * reference prunes globally, which changes nothing of its dense products' cost.
     */
    static Map<String, Object> againstTorch(
            Path reference, List<Batch> batches, double sparsity, int rounds, int steps, StringBuilder md)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(reference)) {
            System.out.println(
                    "hold step against PyTorch: skipped, no " + reference + " (run bench from the checkout)");
            return Map.of();
        }
        ModelSpec spec = ModelSpec.LENET_300_100;
        int threads = IntraOpThreads.get();
        IntraOpThreads.set(1);
        double[] ours = new double[rounds];
        double[] theirs = new double[rounds];
        double[] ratios = new double[rounds];
        try (SparseTrainer sparse = SparseTrainer.create(config(spec, sparsity))) {
            run(sparse, batches, 0, steps); // warm-up
            for (int r = 0; r < rounds; r++) {
                long start = System.nanoTime();
                run(sparse, batches, (long) (r + 1) * steps, steps);
                ours[r] = (double) steps * batches.get(0).rows() / ((System.nanoTime() - start) / 1e9);
                Optional<Double> torch = CnnBench.torchSamplesPerSecond(
                        reference,
                        List.of(
                                "--model", "lenet-300-100",
                                "--methods", "hold",
                                "--sparsities", String.valueOf(sparsity),
                                "--threads", "1",
                                "--max-steps", String.valueOf(steps)));
                if (torch.isEmpty()) {
                    return Map.of();
                }
                theirs[r] = torch.get();
                ratios[r] = ours[r] / theirs[r];
            }
            if (sparse.sparseHoldStepsTaken() == 0) {
                throw new IllegalStateException("the sparse hold step did not run at " + sparsity);
            }
        } finally {
            IntraOpThreads.set(threads);
        }
        String key = String.format(Locale.ROOT, "s%02d", Math.round(sparsity * 100));
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("hold_step_samples_per_second_" + key, Rounds.median(ours));
        figures.put("hold_step_torch_samples_per_second_" + key, Rounds.median(theirs));
        figures.put("hold_step_vs_torch_" + key, Rounds.median(ratios));
        String row = String.format(
                Locale.ROOT,
                "| LeNet-300-100 held at %.2f, batch %d, one thread | ours %.0f samples/s | PyTorch eager %.0f"
                        + " samples/s | %.2fx |",
                sparsity,
                batches.get(0).rows(),
                Rounds.median(ours),
                Rounds.median(theirs),
                Rounds.median(ratios));
        System.out.println(row);
        md.append('\n').append(row).append('\n');
        return figures;
    }

    /**
     * Pruned at the first step, every layer to the sparsity: global pruning of a model at its
     * initialisation would empty LeNet's first layer (its weights start smallest), a hold that no
     * trained model is in and whose sparse step would skip its largest product.
     */
    private static TrainingConfig config(ModelSpec spec, double sparsity) {
        return TrainingConfig.builder()
                .setModel(spec)
                .setSchedule(SparsitySchedule.oneShot(Duration.ZERO, sparsity))
                .optPruningMode(PruningMode.perLayer())
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(0.01))
                .optDevice(DeviceChoice.CPU)
                .build();
    }

    private static Rounds compare(ModelSpec spec, List<Batch> batches, double sparsity, int rounds, int roundSteps) {
        TrainingConfig config = config(spec, sparsity);
        Rounds nanos = new Rounds(roundSteps);
        try (SparseTrainer dense = SparseTrainer.create(config);
                SparseTrainer sparse = SparseTrainer.create(config)) {
            dense.setSparseHoldMaxDensity(0);
            // below the crossover too, to measure where it lies
            sparse.setSparseHoldMaxDensity(1);
            SparseTrainer[] trainers = {dense, sparse};
            String[] names = {"dense", "sparse"};
            long step = 0;
            for (SparseTrainer t : trainers) {
                run(t, batches, 0, roundSteps); // warm-up: JIT, allocator, the mask
            }
            if (sparse.sparseHoldStepsTaken() == 0) {
                throw new IllegalStateException("the sparse hold step did not run for " + spec + " at " + sparsity);
            }
            for (int r = 0; r < rounds; r++) {
                step += roundSteps;
                for (int i = 0; i < 2; i++) {
                    int c = (i + r) % 2;
                    long start = System.nanoTime();
                    run(trainers[c], batches, step, roundSteps);
                    nanos.add(names[c], r, rounds, System.nanoTime() - start);
                }
            }
        }
        return nanos;
    }

    private static void run(SparseTrainer trainer, List<Batch> batches, long from, int steps) {
        for (int i = 0; i < steps; i++) {
            trainer.step(batches.get((int) ((from + i) % batches.size())), from + i);
        }
    }
}
