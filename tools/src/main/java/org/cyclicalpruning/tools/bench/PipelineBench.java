package org.cyclicalpruning.tools.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.EmbeddedKafka;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.engine.IntraOpThreads;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.modelops.util.Durations;
import org.cyclicalpruning.pipeline.TrainingJob;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.config.ModelDefinition;
import org.cyclicalpruning.pipeline.train.ModelTrainingOperator;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.tools.stream.DataOptions;
import org.cyclicalpruning.tools.stream.StreamProducer;
import picocli.CommandLine.Option;

/**
 * The job's throughput against the bare {@code model-ops} training loop on the same prepared
 * batches, in one run: the job at each intra-op thread count and the bare loop at PyTorch's
 * default and at each of those counts, once per round in rotating order, so that drift in the
 * machine's load hits every contender alike. {@code pipeline_vs_bare} sets the job at its
 * fastest thread count against the bare loop at its fastest.
 *
 * <p>The job's throughput is taken over the span in which its training operator trained (from its
 * first step to its last), so Flink's and Kafka's start-up, which a long-running job pays once, is
 * left out; everything per record (Kafka fetch, Avro decoding, validation, the keyBy exchange,
 * keyed state, checkpoints, snapshot encoding and the exactly-once sinks) is in.
 */
final class PipelineBench {
    /** The options of the pipeline-vs-bare comparison. */
    static final class Options {
        @Option(
                names = "--pipeline-batches",
                defaultValue = "1407",
                description =
                        "Batches of the pipeline-vs-bare comparison: the demo's workload, 3 epochs of Fashion-MNIST (default: ${DEFAULT-VALUE}).")
        int pipelineBatches;

        @Option(
                names = "--pipeline-model",
                description =
                        "Model of the pipeline comparison (default: LeNet-300-100 on Fashion-MNIST; softmax:784x10 shows what the pipeline alone costs).")
        String pipelineModel;

        @Option(
                names = "--pipeline-threads",
                split = ",",
                defaultValue = "1,0",
                description =
                        "The job's intra-op-threads in the pipeline comparison, each run side by side; 0 for PyTorch's default, against which the bare loop runs (default: ${DEFAULT-VALUE}).")
        List<Integer> pipelineThreads;

        @Option(
                names = "--pipeline-schedule",
                defaultValue = "cyclical(final=0.9, period=30s, cycles=inf, ramp=0.5)",
                description =
                        "Sparsity schedule of the pipeline comparison's model, e.g. one-shot(at=0, sparsity=0.98) for a model whose mask holds (default: ${DEFAULT-VALUE}).")
        String pipelineSchedule;

        @Option(
                names = "--pipeline-pruning",
                defaultValue = "global",
                description =
                        "Pruning of the pipeline comparison's model: global, per-layer, ... (default: ${DEFAULT-VALUE}; per-layer for a one-shot schedule, whose global pruning at initialisation would empty LeNet's first layer).")
        String pipelinePruning;

        @Option(
                names = "--pipeline-rounds",
                defaultValue = "3",
                description =
                        "Rounds of the pipeline comparison; each runs every contender once (default: ${DEFAULT-VALUE}).")
        int pipelineRounds;

        @Option(
                names = "--skip-pipeline",
                description = "Leave out the pipeline-vs-bare comparison (it starts Kafka and Flink).")
        boolean skipPipeline;
    }

    private PipelineBench() {}

    static Map<String, Object> run(
            DataOptions data,
            int batches,
            String spec,
            String checkpointInterval,
            List<Integer> jobThreadCounts,
            int rounds,
            String schedule,
            String pruning)
            throws Exception {
        data.batches = batches;
        ModelDeclaration declaration = ModelDeclaration.newBuilder()
                .setModelId("bench")
                .setSpec(spec)
                .setSchedule(schedule)
                .setPruning(pruning)
                .setOptimizer(org.cyclicalpruning.schemas.OptimizerDeclaration.newBuilder()
                        .setLearningRate(0.05)
                        .build())
                .build();
        List<Batch> prepared = new ArrayList<>(batches);
        Iterator<Batch> it = data.stream();
        for (int i = 0; i < batches; i++) {
            prepared.add(it.next());
        }
        long start = 1_767_225_600_000L;
        long step = 100;

        int defaultThreads = IntraOpThreads.get(); // PyTorch's default, which the bare loop keeps
        List<Integer> threadCounts = jobThreadCounts.stream()
                .map(t -> t == 0 ? defaultThreads : t)
                .distinct()
                .toList();
        bare(
                declaration,
                prepared.subList(0, Math.min(200, batches)),
                start,
                step,
                defaultThreads); // warm-up: JIT, native library, allocator
        Map<Integer, List<Double>> bareRuns = new LinkedHashMap<>();
        Map<Integer, List<Double>> jobRuns = new LinkedHashMap<>();
        Map<Integer, Double> inSteps = new LinkedHashMap<>();
        Map<Integer, Map<String, Double>> cpuByGroup = new LinkedHashMap<>();
        Map<Integer, Double> processCpu = new LinkedHashMap<>();
        bareRuns.put(defaultThreads, new ArrayList<>());
        for (int t : threadCounts) {
            bareRuns.putIfAbsent(t, new ArrayList<>());
            jobRuns.put(t, new ArrayList<>());
        }
        long flushNanos = 0;
        long flushes = 0;
        int rows = prepared.get(0).rows();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics("training-batches", 1, "model-snapshots", "dead-letters");
            try (KafkaProducer<String, byte[]> producer = BenchInputs.producer(kafka)) {
                StreamProducer.produce(
                        producer,
                        "training-batches",
                        List.of("bench"),
                        prepared.iterator(),
                        batches,
                        start,
                        step,
                        0,
                        false,
                        data.uint8Divisor());
            }
            JobConfig config = JobConfig.builder()
                    .set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                    .set(JobOptions.BOUNDED, true)
                    .set(JobOptions.PARALLELISM, Optional.of(1))
                    .set(JobOptions.RESTART_ATTEMPTS, 0)
                    .set(JobOptions.CHECKPOINT_INTERVAL, Durations.parse(checkpointInterval))
                    .models(List.of(declaration))
                    .build()
                    .forLocalRun();
            // JIT for Flink's and Kafka's code
            runJob(config.toBuilder()
                    .set(JobOptions.TRANSACTIONAL_ID_PREFIX, Optional.of("bench-warm-up"))
                    .set(JobOptions.GROUP_ID, "bench-warm-up")
                    .build());
            // every contender once per round, the order rotating: load from elsewhere on a shared
            // machine hits all of them alike
            List<Integer> contenders = new ArrayList<>(); // a thread count; negative for the bare loop on -t threads
            bareRuns.keySet().forEach(t -> contenders.add(-t));
            contenders.addAll(threadCounts);
            int run = 0;
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < contenders.size(); k++) {
                    int c = contenders.get((k + round) % contenders.size());
                    if (c < 0) {
                        bareRuns.get(-c).add(bare(declaration, prepared, start, step, -c));
                        continue;
                    }
                    long cpuBefore = processCpuNanos();
                    try (ThreadCpu cpu = new ThreadCpu()) {
                        runJob(config.toBuilder()
                                .set(JobOptions.INTRA_OP_THREADS, c)
                                .set(JobOptions.TRANSACTIONAL_ID_PREFIX, Optional.of("bench-" + run))
                                .set(JobOptions.GROUP_ID, "bench-" + run)
                                .build());
                        cpuByGroup.put(c, cpu.secondsByGroup());
                    }
                    run++;
                    processCpu.put(c, (processCpuNanos() - cpuBefore) / 1e9);
                    long span = JobMetrics.get(ModelTrainingOperator.TRAINING_SPAN_NANOS);
                    inSteps.put(c, JobMetrics.get(ModelTrainingOperator.TRAINING_TIME_NANOS) / (double) span);
                    flushNanos = JobMetrics.get(ModelTrainingOperator.STATE_FLUSH_TIME_NANOS);
                    flushes = JobMetrics.get(ModelTrainingOperator.STATE_FLUSHES);
                    // the span runs from the start of the first step to the end of the last
                    jobRuns.get(c).add(batches * (double) rows / (span / 1e9));
                }
            }
        }
        // the reference is the bare loop at its fastest thread count here, PyTorch's default or not
        int bareBest = bareRuns.keySet().stream()
                .max(Comparator.comparingDouble(t -> mean(bareRuns.get(t))))
                .orElseThrow();
        double bare = mean(bareRuns.get(bareBest));
        int best = threadCounts.stream()
                .max(Comparator.comparingDouble(t -> mean(jobRuns.get(t))))
                .orElseThrow();
        double job = mean(jobRuns.get(best));
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put(
                "pipeline_workload",
                spec + ", " + data.describe() + ", " + batches + " batches, checkpoint every " + checkpointInterval
                        + ", " + rounds + " rounds; PyTorch's default is " + defaultThreads + " intra-op threads");
        figures.put("bare_intra_op_threads", bareBest);
        figures.put("pipeline_job_intra_op_threads", best);
        figures.put("pipeline_samples_per_second", job);
        figures.put("bare_samples_per_second", bare);
        figures.put("pipeline_vs_bare", job / bare);
        Map<String, Object> byThreads = new LinkedHashMap<>();
        for (int t : threadCounts) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("job_samples_per_second_runs", jobRuns.get(t));
            f.put("bare_same_threads_samples_per_second_runs", bareRuns.get(t));
            f.put("pipeline_vs_bare", mean(jobRuns.get(t)) / bare);
            // what the pipeline costs beyond the cores it takes from training
            f.put("pipeline_vs_bare_same_threads", mean(jobRuns.get(t)) / mean(bareRuns.get(t)));
            f.put("time_in_steps", inSteps.get(t));
            f.put("last_run_process_cpu_seconds", processCpu.get(t));
            f.put("last_run_thread_cpu_seconds", cpuByGroup.get(t));
            byThreads.put(String.valueOf(t), f);
        }
        figures.put("pipeline_by_job_intra_op_threads", byThreads);
        figures.put("bare_samples_per_second_runs", bareRuns.get(bareBest));
        figures.put("state_flushes", flushes);
        figures.put("state_flush_ms_mean", flushes == 0 ? 0.0 : flushNanos / 1e6 / flushes);
        int dim = prepared.get(0).dim();
        long wireBytes = data.uint8Divisor().isEmpty() ? 4L * rows * dim : (long) rows * dim;
        figures.put("feature_bytes_per_batch", wireBytes);
        bareRuns.forEach((t, runs) -> System.out.printf(
                Locale.ROOT, "pipeline: bare loop on %d thread(s): %.0f samples/s %s%n", t, mean(runs), rounded(runs)));
        for (int t : threadCounts) {
            System.out.printf(
                    Locale.ROOT,
                    "  job, intra-op-threads %d: %.0f samples/s %s, pipeline_vs_bare %.3f; bare on %d: %.0f %s, ratio %.3f;"
                            + " %.0f%% of the span in steps%n",
                    t,
                    mean(jobRuns.get(t)),
                    rounded(jobRuns.get(t)),
                    mean(jobRuns.get(t)) / bare,
                    t,
                    mean(bareRuns.get(t)),
                    rounded(bareRuns.get(t)),
                    mean(jobRuns.get(t)) / mean(bareRuns.get(t)),
                    100 * inSteps.get(t));
            System.out.printf(
                    Locale.ROOT,
                    "    CPU of its last run: %.1f s in the process; by thread group: %s%n",
                    processCpu.get(t),
                    cpuByGroup.get(t));
        }
        System.out.printf(
                Locale.ROOT,
                "pipeline_vs_bare = %.3f (the job at its best, %d intra-op thread(s), against the bare loop at its best, %d)%n",
                job / bare,
                best,
                bareBest);
        System.out.printf(
                Locale.ROOT,
                "  keyed state: %d model writes at checkpoints, %.2f ms each; per batch only the batch crosses into native memory (%d feature bytes on the wire)%n",
                flushes,
                flushes == 0 ? 0.0 : flushNanos / 1e6 / flushes,
                wireBytes);
        return figures;
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static List<Long> rounded(List<Double> values) {
        return values.stream().map(Math::round).toList();
    }

    private static JobExecutionResult runJob(JobConfig config) throws Exception {
        JobMetrics.reset();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                JobMetrics.register(TrainingJob.flinkConfiguration(config)));
        TrainingJob.build(env, config);
        return env.execute("bench");
    }

    /**
     * The bare loop on this thread, which stays the same for every run: libgomp keeps a pool of
     * workers for every thread that ever ran a parallel region, and here a loop on a fresh thread
     * with two threads ran a third or more slower than on a long-lived one.
     */
    private static double bare(ModelDeclaration declaration, List<Batch> batches, long start, long step, int threads) {
        IntraOpThreads.set(threads);
        TrainingConfig config = ModelDefinition.of(declaration).trainingConfig(DeviceChoice.AUTO);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            long began = System.nanoTime();
            for (int i = 0; i < batches.size(); i++) {
                trainer.step(batches.get(i), start + i * step);
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            return batches.size() * (double) batches.get(0).rows() / seconds;
        }
    }
}
