package org.cyclicalpruning.pipeline.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.pipeline.job.Declarations;
import org.cyclicalpruning.pipeline.job.JobConfig;
import org.cyclicalpruning.pipeline.job.ModelTrainingOperator;
import org.cyclicalpruning.pipeline.job.TrainingJob;
import org.cyclicalpruning.pipeline.kafka.EmbeddedKafka;
import org.cyclicalpruning.pipeline.kafka.Topics;
import org.cyclicalpruning.schemas.ModelDeclaration;

/**
 * The job's throughput against the bare {@code model-ops} training loop on the same prepared
 * batches, in one run: bare, job, bare again (the bare figure is the mean of the two, so drift in
 * the machine's load hits both sides alike).
 *
 * <p>The job's throughput is taken over the span in which its training operator trained (from its
 * first step to its last), so Flink's and Kafka's start-up, which a long-running job pays once, is
 * left out; everything per record (Kafka fetch, Avro decoding, validation, the keyBy exchange,
 * keyed state, checkpoints, snapshot encoding and the exactly-once sinks) is in.
 */
final class PipelineBench {
    private static int defaultThreads;

    private PipelineBench() {}

    static Map<String, Object> run(DataOptions data, int batches, String spec, String checkpointInterval, int jobThreads) throws Exception {
        data.batches = batches;
        ModelDeclaration declaration = ModelDeclaration.newBuilder()
                .setModelId("bench")
                .setSpec(spec)
                .setSchedule("cyclical(final=0.9, period=30s, cycles=inf, ramp=0.5)")
                .setOptimizer(org.cyclicalpruning.schemas.OptimizerDeclaration.newBuilder().setLearningRate(0.05).build())
                .build();
        List<Batch> prepared = new ArrayList<>(batches);
        Iterator<Batch> it = data.stream();
        for (int i = 0; i < batches; i++) {
            prepared.add(it.next());
        }
        long start = 1_767_225_600_000L;
        long step = 100;

        Engine.getInstance(); // loads PyTorch, whose thread count the bare loop keeps
        defaultThreads = JniUtils.getNumThreads();
        bare(declaration, prepared.subList(0, Math.min(200, batches)), start, step, defaultThreads); // warm-up: JIT, native library, allocator
        List<Double> bareRuns = new ArrayList<>();
        List<Double> bareSameThreadRuns = new ArrayList<>();
        List<Double> jobRuns = new ArrayList<>();
        int sameThreads = jobThreads == 0 ? defaultThreads : jobThreads;
        double stepsInJob = 0;
        long flushNanos = 0;
        long flushes = 0;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics("training-batches", 1, "model-snapshots", "dead-letters");
            try (KafkaProducer<String, byte[]> producer = Topics.producer(kafka.bootstrapServers(), Map.of())) {
                StreamProducer.produce(producer, "training-batches", List.of("bench"), prepared.iterator(), batches, start, step, 0, false, data.uint8Divisor());
            }
            JobConfig config = JobConfig.defaultConfig()
                    .with("{bootstrap-servers: '" + kafka.bootstrapServers() + "', bounded: true, parallelism: 1, restart-attempts: 0,"
                            + " checkpoint-interval: " + checkpointInterval + ", intra-op-threads: " + jobThreads + "}")
                    .withModels(List.of(declaration))
                    .forLocalRun();
            runJob(config.with("{transactional-id-prefix: bench-warm-up, group-id: bench-warm-up}")); // JIT for Flink's and Kafka's code
            // bare, job, bare, job, bare: load from elsewhere on a shared machine hits both sides alike
            for (int round = 0; round < 2; round++) {
                bareRuns.add(bare(declaration, prepared, start, step, defaultThreads));
                bareSameThreadRuns.add(bare(declaration, prepared, start, step, sameThreads));
                JobExecutionResult result = runJob(config.with("{transactional-id-prefix: bench-" + round + ", group-id: bench-" + round + "}"));
                long span = result.<Long>getAccumulatorResult(ModelTrainingOperator.TRAIN_SPAN_NANOS);
                stepsInJob = result.<Long>getAccumulatorResult(ModelTrainingOperator.STEP_NANOS) / (double) span;
                flushNanos = result.<Long>getAccumulatorResult(ModelTrainingOperator.STATE_FLUSH_NANOS);
                flushes = result.<Long>getAccumulatorResult(ModelTrainingOperator.STATE_FLUSHES);
                // the span runs from the start of the first step to the end of the last
                jobRuns.add(batches * (double) prepared.get(0).rows() / (span / 1e9));
            }
        }
        bareRuns.add(bare(declaration, prepared, start, step, defaultThreads));
        double bare = bareRuns.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double bareSame = bareSameThreadRuns.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double job = jobRuns.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("pipeline_workload", spec + ", " + data.describe() + ", " + batches + " batches, checkpoint every " + checkpointInterval
                + ", job intra-op threads " + (jobThreads == 0 ? "default (" + defaultThreads + ")" : jobThreads) + ", bare " + defaultThreads);
        figures.put("pipeline_samples_per_second", job);
        figures.put("bare_samples_per_second", bare);
        figures.put("bare_samples_per_second_runs", bareRuns);
        figures.put("pipeline_samples_per_second_runs", jobRuns);
        figures.put("pipeline_vs_bare", job / bare);
        // the same comparison with the bare loop on the job's thread count: what the pipeline costs
        // beyond the cores it takes from training
        figures.put("bare_same_threads_samples_per_second", bareSame);
        figures.put("pipeline_vs_bare_same_threads", job / bareSame);
        figures.put("pipeline_time_in_steps", stepsInJob);
        figures.put("state_flushes", flushes);
        figures.put("state_flush_ms_mean", flushes == 0 ? 0.0 : flushNanos / 1e6 / flushes);
        int rows = prepared.get(0).rows();
        int dim = prepared.get(0).dim();
        figures.put("heap_to_native_bytes_per_batch", 4L * rows * dim + 8L * rows);
        System.out.printf(Locale.ROOT, "pipeline: %.0f samples/s in the job %s vs %.0f bare %s: pipeline_vs_bare = %.3f%n",
                job, rounded(jobRuns), bare, rounded(bareRuns), job / bare);
        System.out.printf(Locale.ROOT, "  bare loop with the job's %d intra-op thread(s): %.0f samples/s %s: pipeline_vs_bare_same_threads = %.3f%n",
                sameThreads, bareSame, rounded(bareSameThreadRuns), job / bareSame);
        System.out.printf(Locale.ROOT, "  the training operator spent %.0f%% of its span inside training steps%n", 100 * stepsInJob);
        System.out.printf(Locale.ROOT, "  keyed state: %d model writes at checkpoints, %.2f ms each; per batch only the batch crosses into native memory (%d bytes)%n",
                flushes, flushes == 0 ? 0.0 : flushNanos / 1e6 / flushes, 4L * rows * dim + 8L * rows);
        return figures;
    }

    private static List<Long> rounded(List<Double> values) {
        return values.stream().map(Math::round).toList();
    }

    private static JobExecutionResult runJob(JobConfig config) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        return env.execute("bench");
    }

    private static double bare(ModelDeclaration declaration, List<Batch> batches, long start, long step, int threads) {
        // the job may have set fewer threads (intra-op-threads), process-wide
        JniUtils.setNumThreads(threads);
        TrainingConfig config = Declarations.trainingConfig(declaration, DeviceChoice.AUTO);
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
