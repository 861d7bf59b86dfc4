package org.cyclicalpruning.tools.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.EmbeddedKafka;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainerState;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.pipeline.TrainingJob;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.config.ModelDefinition;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.pipeline.train.ModelTrainingOperator;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;

/**
 * Throughput of one job with 1, 10, 100 and 1,000 small keyed models (logistic regression over
 * 1,000 features, cyclically pruned to 90%), the same number of batches in every run, spread
 * round-robin over the models; one TaskManager, parallelism 1.
 */
final class ManyModelsBench {
    private static final int FEATURES = 1000;

    private ManyModelsBench() {}

    /**
     * Heap and native memory per hot model, and the size of its keyed state: {@code count} models
     * as the job keeps them (a trainer each, after one step), measured as the growth of the used
     * heap after a full GC and of the process's resident set.
     */
    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    static Map<String, Object> memoryPerModel(int count, Batch batch) throws Exception {
        ModelDeclaration declaration = ModelDeclaration.newBuilder()
                .setModelId("m")
                .setSpec("logistic:" + FEATURES)
                .setSchedule("cyclical(final=0.9, period=10s, cycles=inf, ramp=0.5)")
                .setOptimizer(
                        OptimizerDeclaration.newBuilder().setLearningRate(0.05).build())
                .build();
        TrainingConfig config = ModelDefinition.of(declaration).trainingConfig(DeviceChoice.CPU);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        List<SparseTrainer> trainers = new ArrayList<>(count);
        try {
            SparseTrainer.create(config).close(); // engine and native library loaded before the baseline
            settle();
            long heap0 = memory.getHeapMemoryUsage().getUsed();
            long committed0 = memory.getHeapMemoryUsage().getCommitted();
            double rss0 = SoakBench.rssMegabytes();
            for (int i = 0; i < count; i++) {
                SparseTrainer t = SparseTrainer.create(config);
                trainers.add(t);
                t.step(batch, 1_767_225_600_000L);
            }
            settle();
            double heapPerModel = (memory.getHeapMemoryUsage().getUsed() - heap0) / (double) count;
            // the resident set holds the heap too: what the heap committed meanwhile is not native
            long committed = memory.getHeapMemoryUsage().getCommitted() - committed0;
            double nativePerModel = ((SoakBench.rssMegabytes() - rss0) * 1e6 - committed) / count;
            long tensorBytes = trainers.get(0).nativeBytes();
            TrainerState state = trainers.get(0).exportState();
            long stateBytes = 0;
            for (int p = 0; p < state.params().length; p++) {
                stateBytes += 4L * state.params()[p].length;
                for (float[] s : state.optimizerState()[p]) {
                    stateBytes += 4L * s.length;
                }
            }
            for (int t = 0; t < state.masks().tensorCount(); t++) {
                stateBytes += 16L * state.masks().kept(t).length; // kept and ever-pruned bits
            }
            System.out.printf(
                    Locale.ROOT,
                    "memory per hot model (logistic:%d, %d models): heap %.1f KB, native %.1f KB (resident set growth; tensor data %.1f KB), keyed state %.1f KB%n",
                    FEATURES,
                    count,
                    heapPerModel / 1e3,
                    nativePerModel / 1e3,
                    tensorBytes / 1e3,
                    stateBytes / 1e3);
            return Figures.of(
                    Map.entry("heap_bytes_per_model", heapPerModel),
                    Map.entry("native_bytes_per_model", nativePerModel),
                    Map.entry("tensor_bytes_per_model", tensorBytes),
                    Map.entry("state_bytes_per_model", stateBytes));
        } finally {
            trainers.forEach(SparseTrainer::close);
        }
    }

    static Map<String, Object> run(int batches, int[] modelCounts) throws Exception {
        SparseTeacher teacher = new SparseTeacher(SparseTeacher.Config.defaults()
                .withDimension(FEATURES)
                .withSupportSize(20)
                .withTask(SparseTeacher.Task.CLASSIFICATION));
        List<Batch> prepared = new ArrayList<>();
        for (int i = 0; i < batches; i++) {
            prepared.add(teacher.batch(i, 32));
        }
        // before any broker or job: their buffers would blur the growth it measures
        Map<String, Object> memory = memoryPerModel(modelCounts[modelCounts.length - 1], prepared.get(0));
        Map<String, Object> samplesPerSecond = new LinkedHashMap<>();
        Map<String, Object> flushMs = new LinkedHashMap<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            for (int models : modelCounts) {
                String in = "many-" + models;
                kafka.createTopics(in, 1, "snapshots-" + models, "dead-" + models);
                long start = 1_767_225_600_000L;
                try (KafkaProducer<String, byte[]> producer = BenchInputs.producer(kafka)) {
                    for (int i = 0; i < batches; i++) {
                        String id = "m" + (i % models);
                        // every model sees its own batches 100 ms of event time apart
                        long eventTime = start + (i / models) * 100L;
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                                in,
                                id,
                                TrainingBatches.toBytes(
                                        TrainingBatches.packed(id, i / models, eventTime, prepared.get(i)))));
                    }
                }
                JobConfig config = JobConfig.builder()
                        .set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                        .set(JobOptions.INPUT_TOPIC, in)
                        .set(JobOptions.SNAPSHOT_TOPIC, "snapshots-" + models)
                        .set(JobOptions.DEAD_LETTER_TOPIC, "dead-" + models)
                        .set(JobOptions.TRANSACTIONAL_ID_PREFIX, Optional.of("many-" + models))
                        .set(JobOptions.BOUNDED, true)
                        .set(JobOptions.PARALLELISM, Optional.of(1))
                        .set(JobOptions.RESTART_ATTEMPTS, 0)
                        .set(JobOptions.INTRA_OP_THREADS, 1)
                        .defaultModel(Optional.of(ModelDeclaration.newBuilder()
                                .setModelId("default")
                                .setSpec("logistic:" + FEATURES)
                                .setSchedule("cyclical(final=0.9, period=10s, cycles=inf, ramp=0.5)")
                                .setOptimizer(OptimizerDeclaration.newBuilder()
                                        .setLearningRate(0.05)
                                        .build())
                                .build()))
                        .build()
                        .forLocalRun();
                JobMetrics.reset();
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                        JobMetrics.register(TrainingJob.flinkConfiguration(config)));
                TrainingJob.build(env, config);
                env.execute("many-models-" + models);
                long span = JobMetrics.get(ModelTrainingOperator.TRAINING_SPAN_NANOS);
                long flushes = JobMetrics.get(ModelTrainingOperator.STATE_FLUSHES);
                long flushNanos = JobMetrics.get(ModelTrainingOperator.STATE_FLUSH_TIME_NANOS);
                double rate = batches * 32.0 / (span / 1e9);
                samplesPerSecond.put(String.valueOf(models), rate);
                flushMs.put(String.valueOf(models), flushes == 0 ? 0.0 : flushNanos / 1e6 / flushes);
                System.out.printf(
                        Locale.ROOT,
                        "%5d models: %.0f samples/s, %d state writes at checkpoints, %.3f ms each%n",
                        models,
                        rate,
                        flushes,
                        flushes == 0 ? 0.0 : flushNanos / 1e6 / flushes);
            }
        }
        Map<String, Object> figures = new LinkedHashMap<>(memory);
        figures.put("many_models_samples_per_second", samplesPerSecond);
        figures.put("many_models_state_write_ms", flushMs);
        double one = (double) samplesPerSecond.get(String.valueOf(modelCounts[0]));
        double last = (double) samplesPerSecond.get(String.valueOf(modelCounts[modelCounts.length - 1]));
        figures.put("many_models_ratio_" + modelCounts[modelCounts.length - 1] + "_vs_" + modelCounts[0], last / one);
        return figures;
    }
}
