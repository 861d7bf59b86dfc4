package org.cyclicalpruning.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.tools.stream.DataOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Whole-system benchmarks, reported as ratios measured side by side in one run: the contenders
 * take turns in short rounds, so load from elsewhere on a shared machine hits all of them alike.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure training throughput and pruning overhead (ratios measured side by side).")
public final class BenchCommand implements Callable<Integer> {
    @Option(
            names = "--model",
            defaultValue = "lenet-300-100",
            description = "Model to train (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--batch-size", defaultValue = "128", description = "Rows per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--sparsity",
            defaultValue = "0.9",
            description = "Sparsity the pruning contenders hold (default: ${DEFAULT-VALUE}).")
    double sparsity;

    @Option(
            names = "--rounds",
            defaultValue = "10",
            description = "Rounds; each contender runs --round-steps steps per round (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
            names = "--round-steps",
            defaultValue = "200",
            description = "Steps per contender per round (default: ${DEFAULT-VALUE}).")
    int roundSteps;

    @Option(
            names = "--mask-interval",
            defaultValue = "10",
            description =
                    "Interval of the fourth contender, which recomputes the mask every N steps (default: ${DEFAULT-VALUE}).")
    int maskInterval;

    @Option(
            names = "--size-models",
            split = ",",
            defaultValue = "mlp:784-1024-1024-10,mlp:784-2500-3000-10",
            description =
                    "Larger models for the pruning overhead by size, about 2M and 10M parameters (default: ${DEFAULT-VALUE}).")
    List<String> sizeModels;

    @Option(
            names = "--soak-minutes",
            defaultValue = "0",
            description =
                    "Also train LeNet this many minutes and report the slope of RSS and of live native arrays (default: ${DEFAULT-VALUE}, off).")
    double soakMinutes;

    @Option(names = "--quick", description = "A short run: 15 rounds of 40 steps.")
    boolean quick;

    @Option(names = "--out", description = "Write bench.json and bench.md into this directory.")
    Path out;

    @Option(names = "--skip-sizes", description = "Leave out the pruning overhead of the larger models.")
    boolean skipSizes;

    @Option(names = "--skip-input-scaling", description = "Leave out the cost of standardising the inputs.")
    boolean skipInputScaling;

    @Option(names = "--skip-snapshots", description = "Leave out snapshot size against the bound and codec speed.")
    boolean skipSnapshots;

    @Option(names = "--skip-serving", description = "Leave out sparse against dense serving by batch and sparsity.")
    boolean skipServing;

    @Option(
            names = "--skip-hold-steps",
            description = "Leave out the training step while the mask holds, on kept weights against dense.")
    boolean skipHoldSteps;

    @Option(names = "--skip-gemm", description = "Leave out training efficiency against DJL's matrix multiply.")
    boolean skipGemm;

    @Option(names = "--skip-many-models", description = "Leave out the job with 1, 10, 100 and 1000 small models.")
    boolean skipManyModels;

    @Option(names = "--skip-cnn", description = "Leave out fashion-cnn's training speed against PyTorch eager.")
    boolean skipCnn;

    @Option(
            names = "--torch-reference",
            defaultValue = "reference/torch_loop.py",
            description = "The PyTorch loop the CNN is timed against (default: ${DEFAULT-VALUE}).")
    Path torchReference;

    @Mixin
    PipelineBench.Options pipelineOptions;

    @Mixin
    CheckpointBench.Options checkpointOptions;

    @Override
    public Integer call() throws Exception {
        if (quick) {
            // many short rounds rather than few long ones: a median of paired ratios needs rounds
            rounds = 15;
            roundSteps = 40;
            pipelineOptions.pipelineBatches = Math.min(pipelineOptions.pipelineBatches, 400);
        }
        ModelSpec spec = ModelSpec.parse(model);
        List<Batch> batches = batches(spec);
        Map<String, TrainingConfig> contenders = new LinkedHashMap<>();
        // Mask computed once at step 0 and never again: sparsity 0 means nothing to project either.
        contenders.put("no pruning", config(spec, SparsitySchedule.constant(0.0), Integer.MAX_VALUE));
        contenders.put(
                "mask frozen (projection only)", config(spec, SparsitySchedule.constant(sparsity), Integer.MAX_VALUE));
        contenders.put("mask every step", config(spec, SparsitySchedule.constant(sparsity), 1));
        String everyInterval = "mask every " + maskInterval + " steps";
        contenders.put(everyInterval, config(spec, SparsitySchedule.constant(sparsity), maskInterval));

        Rounds nanos = inRounds(new ArrayList<>(contenders.keySet()), contenders, batches, rounds, roundSteps);
        long steps = (long) rounds * roundSteps;
        System.out.printf(
                Locale.ROOT,
                "model %s (%d parameters), batch %d, %d steps per contender%n",
                spec,
                spec.parameterCount(),
                batchSize,
                steps);
        StringBuilder md =
                new StringBuilder("| contender | ms/step | samples/s | vs no pruning |\n|---|---:|---:|---:|\n");
        for (String contender : nanos.contenders()) {
            double perStep = nanos.nanosPerStep(contender);
            String line = String.format(
                    Locale.ROOT,
                    "| %s | %.3f | %.0f | %+.1f%% |",
                    contender,
                    perStep / 1e6,
                    batchSize / (perStep / 1e9),
                    100 * nanos.overhead(contender, "no pruning"));
            System.out.println(line);
            md.append(line).append('\n');
        }
        double overhead = nanos.overhead("mask every step", "no pruning");
        double overheadInterval = nanos.overhead(everyInterval, "no pruning");
        System.out.printf(Locale.ROOT, "pruning_overhead (mask every step vs none) = %.4f%n", overhead);
        System.out.printf(Locale.ROOT, "pruning_overhead_interval_%d = %.4f%n", maskInterval, overheadInterval);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("model", spec.toText());
        figures.put("batch_size", batchSize);
        figures.put("sparsity", sparsity);
        figures.put("steps", steps);
        figures.put("ms_per_step_no_pruning", nanos.nanosPerStep("no pruning") / 1e6);
        figures.put("ms_per_step_mask_frozen", nanos.nanosPerStep("mask frozen (projection only)") / 1e6);
        figures.put("ms_per_step_mask_every_step", nanos.nanosPerStep("mask every step") / 1e6);
        figures.put("pruning_overhead", overhead);
        figures.put("mask_interval", maskInterval);
        figures.put("pruning_overhead_interval", overheadInterval);
        if (!skipSizes) {
            md.append(
                    "\n| model | parameters | ms/step, no pruning | ms/step, mask every step | overhead |\n|---|---:|---:|---:|---:|\n");
            Map<String, Object> bySize = new LinkedHashMap<>();
            bySize.put(String.valueOf(spec.parameterCount()), overhead);
            for (String m : sizeModels) {
                ModelSpec big = ModelSpec.parse(m);
                // the same work per contender and round as the main comparison, in fewer, larger steps
                // about the main comparison's work per contender, in more and shorter rounds: a round
                // of a large model lasts seconds, as long as the machine's load swings
                int bigRounds = 2 * rounds;
                int bigSteps =
                        Math.max(3, (int) ((long) roundSteps * spec.parameterCount() / big.parameterCount() / 2));
                Rounds t = compare(
                        big,
                        Map.of(
                                "no pruning", config(big, SparsitySchedule.constant(0.0), Integer.MAX_VALUE),
                                "mask every step", config(big, SparsitySchedule.constant(sparsity), 1)),
                        bigRounds,
                        bigSteps);
                double none = t.nanosPerStep("no pruning") / 1e6;
                double every = t.nanosPerStep("mask every step") / 1e6;
                double bigOverhead = t.overhead("mask every step", "no pruning");
                bySize.put(String.valueOf(big.parameterCount()), bigOverhead);
                String row = String.format(
                        Locale.ROOT,
                        "| %s | %d | %.2f | %.2f | %+.1f%% |",
                        big.toText(),
                        big.parameterCount(),
                        none,
                        every,
                        100 * bigOverhead);
                System.out.println(row);
                md.append(row).append('\n');
            }
            figures.put("pruning_overhead_by_parameters", bySize);
        }
        if (!skipInputScaling) {
            // the same steps with features as they are, standardised with given statistics, and
            // standardised with a running estimate: what input scaling costs per step
            Map<String, TrainingConfig> scaled = new LinkedHashMap<>();
            TrainingConfig plain = config(spec, SparsitySchedule.constant(0.0), Integer.MAX_VALUE);
            scaled.put("a: as they are", plain);
            scaled.put(
                    "b: standardised",
                    plain.toBuilder()
                            .optInputScaling(InputScaling.standardize(0.2860f, 0.3530f))
                            .build());
            scaled.put(
                    "c: standardised online",
                    plain.toBuilder().optInputScaling(InputScaling.online()).build());
            Rounds t = compare(spec, scaled, rounds, roundSteps);
            double given = t.overhead("b: standardised", "a: as they are");
            double online = t.overhead("c: standardised online", "a: as they are");
            figures.put("input_scaling_overhead", given);
            figures.put("input_scaling_overhead_online", online);
            String row = String.format(
                    Locale.ROOT,
                    "| input scaling | ms/step as they are %.3f | standardised %+.1f%% | online %+.1f%% |",
                    t.nanosPerStep("a: as they are") / 1e6,
                    100 * given,
                    100 * online);
            System.out.println(row);
            md.append("\n").append(row).append('\n');
        }
        if (!skipHoldSteps) {
            ModelSpec lenet = ModelSpec.LENET_300_100;
            Map<String, Object> hold = HoldStepBench.run(
                    lenet, batches(lenet), new double[] {0.5, 0.7, 0.9, 0.98}, quick ? 7 : 11, quick ? 20 : 40, md);
            figures.putAll(hold);
            figures.putAll(HoldStepBench.againstTorch(
                    torchReference, batches(lenet), 0.98, quick ? 3 : 5, quick ? 100 : 200, md));
            System.out.printf(
                    Locale.ROOT,
                    "hold_step_speedup_s90 = %.2f, hold_step_speedup_s98 = %.2f%n",
                    hold.get("hold_step_speedup_s90"),
                    hold.get("hold_step_speedup_s98"));
        }
        if (!skipServing) {
            StringBuilder table = new StringBuilder();
            Map<String, Object> serving = ServingBench.run(quick ? 7 : 9, table);
            figures.putAll(serving);
            System.out.print(table);
            System.out.printf(
                    Locale.ROOT,
                    "serving_speedup_b128_s90 = %.2f, serving_speedup_b128_s98 = %.2f%n",
                    serving.get("serving_speedup_b128_s90"),
                    serving.get("serving_speedup_b128_s98"));
            md.append(table);
        }
        if (!skipCnn) {
            ModelSpec cnn = ModelSpec.FASHION_CNN;
            TrainingConfig plain = config(cnn, SparsitySchedule.constant(0.0), Integer.MAX_VALUE);
            int cnnSteps = quick ? 40 : 100;
            CnnBench.run(
                            n -> compare(cnn, Map.of("no pruning", plain), 1, n).nanosPerStep("no pruning"),
                            torchReference,
                            quick ? 3 : 5,
                            cnnSteps,
                            batchSize,
                            md)
                    .ifPresent(figures::putAll);
            Rounds t = compare(
                    cnn,
                    Map.of("no pruning", plain, "mask every step", config(cnn, SparsitySchedule.constant(sparsity), 1)),
                    quick ? 5 : 9,
                    cnnSteps / 2);
            double cnnOverhead = t.overhead("mask every step", "no pruning");
            figures.put("cnn_pruning_overhead", cnnOverhead);
            String row = String.format(
                    Locale.ROOT,
                    "| fashion-cnn, mask every step vs none | %.2f ms/step | %.2f ms/step | %+.1f%% |",
                    t.nanosPerStep("no pruning") / 1e6,
                    t.nanosPerStep("mask every step") / 1e6,
                    100 * cnnOverhead);
            System.out.println(row);
            md.append(row).append('\n');
        }
        if (!skipSnapshots) {
            Map<String, Object> snapshots = SnapshotBench.run(quick ? 5 : 20);
            figures.putAll(snapshots);
            md.append("\n| sparsity | size / bound | encode MB/s | decode MB/s |\n|---|---:|---:|---:|\n");
            @SuppressWarnings("unchecked")
            Map<String, Object> ratio = (Map<String, Object>) snapshots.get("snapshot_vs_bound");
            @SuppressWarnings("unchecked")
            Map<String, Object> enc = (Map<String, Object>) snapshots.get("snapshot_encode_mb_per_second");
            @SuppressWarnings("unchecked")
            Map<String, Object> dec = (Map<String, Object>) snapshots.get("snapshot_decode_mb_per_second");
            for (String k : ratio.keySet()) {
                md.append(String.format(
                        Locale.ROOT, "| %s | %.3f | %.0f | %.0f |%n", k, ratio.get(k), enc.get(k), dec.get(k)));
            }
        }
        if (!skipGemm) {
            Map<String, Object> gemm = GemmBench.run(quick ? 30 : 100);
            figures.putAll(gemm);
            md.append("\n| training | GFLOP/s | DJL matmul GFLOP/s | efficiency |\n|---|---:|---:|---:|\n");
            for (String k : gemm.keySet()) {
                if (k.startsWith("train_gflops_")) {
                    String shape = k.substring("train_gflops_".length());
                    md.append(String.format(
                            Locale.ROOT,
                            "| %s | %.1f | %.1f | %.0f%% |%n",
                            shape,
                            gemm.get(k),
                            gemm.get("matmul_gflops_" + shape),
                            100 * (double) gemm.get("gemm_efficiency_" + shape)));
                }
            }
        }
        if (soakMinutes > 0) {
            Map<String, Object> soak = SoakBench.run(batches, soakMinutes);
            figures.putAll(soak);
            md.append(String.format(
                    Locale.ROOT,
                    "%n| soak | value |%n|---|---:|%n| minutes | %.1f |%n| RSS slope, MB/min | %.3f |%n"
                            + "| slope outside the JVM's heap, non-heap and direct buffers, MB/min | %.3f |%n| the same over the second half, MB/min | %.3f |%n| live arrays slope, /min | %.4f |%n",
                    soak.get("soak_minutes"),
                    soak.get("rss_slope_mb_per_minute"),
                    soak.get("native_slope_mb_per_minute"),
                    soak.get("native_slope_second_half_mb_per_minute"),
                    soak.get("live_arrays_slope_per_minute")));
        }
        if (!skipManyModels) {
            Map<String, Object> many = ManyModelsBench.run(quick ? 2000 : 6000, new int[] {1, 10, 100, 1000});
            figures.putAll(many);
            md.append("\n| models (logistic, 1k features) | samples/s |\n|---|---:|\n");
            @SuppressWarnings("unchecked")
            Map<String, Object> rates = (Map<String, Object>) many.get("many_models_samples_per_second");
            rates.forEach((k, v) -> md.append(String.format(Locale.ROOT, "| %s | %.0f |%n", k, v)));
        }
        if (!checkpointOptions.skipCheckpoints) {
            Map<String, Object> ckpt = CheckpointBench.run(
                    benchData(),
                    checkpointOptions.checkpointModels,
                    checkpointOptions.stateBackends,
                    quick ? 150 : 300);
            figures.putAll(ckpt);
            md.append(
                    "\n| model parameters / state backend | state MB | checkpoint ms | tasks running again after a lost TaskManager, ms | next checkpoint done, ms |\n|---|---:|---:|---:|---:|\n");
            @SuppressWarnings("unchecked")
            Map<String, Object> sizes = (Map<String, Object>) ckpt.get("checkpoint_state_bytes");
            for (String k : sizes.keySet()) {
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %.1f | %.0f | %.0f | %.0f |%n",
                        k,
                        (double) sizes.get(k) / 1e6,
                        ((Map<?, ?>) ckpt.get("checkpoint_duration_ms")).get(k),
                        ((Map<?, ?>) ckpt.get("recovery_tasks_running_ms")).get(k),
                        ((Map<?, ?>) ckpt.get("recovery_next_checkpoint_ms")).get(k)));
            }
        }
        if (!pipelineOptions.skipPipeline) {
            boolean fashion = FashionMnist.isAvailable(FashionMnist.defaultDir());
            DataOptions data = DataOptions.of(fashion ? "fashion-mnist" : "synthetic", fashion ? 128 : 32, 200);
            Map<String, Object> pipeline = PipelineBench.run(
                    data,
                    pipelineOptions.pipelineBatches,
                    pipelineOptions.pipelineModel != null ? pipelineOptions.pipelineModel : data.defaultSpec(),
                    "10s",
                    pipelineOptions.pipelineThreads,
                    quick ? 1 : pipelineOptions.pipelineRounds,
                    pipelineOptions.pipelineSchedule,
                    pipelineOptions.pipelinePruning);
            figures.putAll(pipeline);
            md.append(String.format(
                    Locale.ROOT,
                    "%n| pipeline (%s) | samples/s | job / fastest bare | job / bare on the same threads |%n|---|---:|---:|---:|%n"
                            + "| bare model-ops loop, fastest (%s intra-op threads) | %.0f | | |%n",
                    pipeline.get("pipeline_workload"),
                    pipeline.get("bare_intra_op_threads"),
                    pipeline.get("bare_samples_per_second")));
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> byThreads =
                    (Map<String, Map<String, Object>>) pipeline.get("pipeline_by_job_intra_op_threads");
            byThreads.forEach((t, f) -> {
                @SuppressWarnings("unchecked")
                List<Double> runs = (List<Double>) f.get("job_samples_per_second_runs");
                md.append(String.format(
                        Locale.ROOT,
                        "| Flink job, intra-op-threads %s | %.0f | %.3f | %.3f |%n",
                        t,
                        runs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN),
                        f.get("pipeline_vs_bare"),
                        f.get("pipeline_vs_bare_same_threads")));
            });
            md.append(
                    String.format(Locale.ROOT, "| pipeline_vs_bare | | %.3f | |%n", pipeline.get("pipeline_vs_bare")));
        }
        if (out != null) {
            Files.createDirectories(out);
            Files.writeString(
                    out.resolve("bench.json"),
                    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(figures) + "\n",
                    StandardCharsets.UTF_8);
            Files.writeString(out.resolve("bench.md"), md.toString(), StandardCharsets.UTF_8);
            System.out.println("wrote " + out.resolve("bench.json") + " and bench.md");
        }
        return 0;
    }

    /** Fashion-MNIST batches of 128 when installed, else random batches of the same shape. */
    private static DataOptions benchData() {
        return DataOptions.of(
                FashionMnist.isAvailable(FashionMnist.defaultDir()) ? "fashion-mnist" : "synthetic", 128, 784);
    }

    /** Trains each contender in alternating rounds on the same batches; returns nanoseconds per contender. */
    private Rounds compare(ModelSpec spec, Map<String, TrainingConfig> contenders, int rounds, int roundSteps) {
        List<String> names = new ArrayList<>(new java.util.TreeMap<>(contenders).keySet());
        return inRounds(names, contenders, batches(spec), rounds, roundSteps);
    }

    /**
     * Trains the contenders, in the order of {@code names}, on the same batches: a warm-up of one
     * round each (JIT, allocator, first mask), then {@code rounds} rounds in which who goes first
     * rotates, so no contender always follows the same one.
     */
    private static Rounds inRounds(
            List<String> names,
            Map<String, TrainingConfig> contenders,
            List<Batch> batches,
            int rounds,
            int roundSteps) {
        List<SparseTrainer> trainers = new ArrayList<>();
        Rounds nanos = new Rounds(roundSteps);
        try {
            for (String name : names) {
                SparseTrainer t = SparseTrainer.create(contenders.get(name));
                trainers.add(t);
                run(t, batches, 0, roundSteps);
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < trainers.size(); i++) {
                    int c = (i + r) % trainers.size();
                    long start = System.nanoTime();
                    run(trainers.get(c), batches, (long) r * roundSteps, roundSteps);
                    nanos.add(names.get(c), r, rounds, System.nanoTime() - start);
                }
            }
        } finally {
            trainers.forEach(SparseTrainer::close);
        }
        return nanos;
    }

    private TrainingConfig config(ModelSpec spec, SparsitySchedule schedule, int maskInterval) {
        return TrainingConfig.builder()
                .setModel(spec)
                .setSchedule(schedule)
                .optMaskUpdateInterval(maskInterval)
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(0.01))
                .optDevice(DeviceChoice.AUTO)
                .build();
    }

    private static void run(SparseTrainer trainer, List<Batch> batches, long from, int steps) {
        for (int i = 0; i < steps; i++) {
            trainer.step(batches.get((int) ((from + i) % batches.size())), from + i);
        }
    }

    /** Fashion-MNIST batches when the model fits them and the data is installed, else random data. */
    private List<Batch> batches(ModelSpec spec) {
        // the CNN's rounds compare once per round: read Fashion-MNIST once per model, not per round
        return batchesBySpec.computeIfAbsent(spec, this::loadBatches);
    }

    private final Map<ModelSpec, List<Batch>> batchesBySpec = new java.util.HashMap<>();

    private List<Batch> loadBatches(ModelSpec spec) {
        List<Batch> list = new ArrayList<>();
        Path dir = FashionMnist.defaultDir();
        if (spec.inputs() == 784 && spec.classes() == 10 && FashionMnist.isAvailable(dir)) {
            var train = FashionMnist.train(dir);
            for (int from = 0; from + batchSize <= train.rows() && list.size() < 64; from += batchSize) {
                list.add(train.slice(from, from + batchSize));
            }
            return list;
        }
        SplittableRandom random = new SplittableRandom(1);
        for (int b = 0; b < 64; b++) {
            float[] x = new float[batchSize * spec.inputs()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextDouble();
            }
            int[] labels = new int[batchSize];
            float[] targets = new float[batchSize];
            for (int i = 0; i < batchSize; i++) {
                labels[i] = random.nextInt(Math.max(2, spec.classes()));
                targets[i] = (float) random.nextDouble();
            }
            list.add(
                    spec.isClassifier()
                            ? new Batch(x, batchSize, spec.inputs(), labels, null)
                            : new Batch(x, batchSize, spec.inputs(), null, targets));
        }
        return list;
    }
}
