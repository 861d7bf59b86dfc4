package org.cyclicalpruning.tools.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.EmbeddedKafka;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.pipeline.TrainingJob;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.tools.stream.DataOptions;
import org.cyclicalpruning.tools.stream.StreamProducer;
import picocli.CommandLine.Option;

/**
 * Checkpoints of the job for models of about 0.27M, 2M and 10M parameters, on Flink's heap
 * (hashmap) and RocksDB state backends: state size and duration of completed checkpoints, and
 * the time to recover from a lost TaskManager (from the loss until every task runs again, state
 * restored, and until the first checkpoint after it completes, which means training has resumed).
 *
 * <p>A real job in a MiniCluster reading from the in-process broker, one model, parallelism 1,
 * checkpoints every second; the model trains on Fashion-MNIST (or random 784-feature batches).
 */
final class CheckpointBench {
    /** The options of the checkpoint benchmark. */
    static final class Options {
        @Option(
                names = "--checkpoint-models",
                split = ",",
                defaultValue = "lenet-300-100,mlp:784-1024-1024-10,mlp:784-2500-3000-10",
                description =
                        "Models of the checkpoint benchmark, about 0.27M, 2M and 10M parameters (default: ${DEFAULT-VALUE}).")
        List<String> checkpointModels;

        @Option(
                names = "--state-backends",
                split = ",",
                defaultValue = "hashmap,rocksdb",
                description = "Flink state backends of the checkpoint benchmark (default: ${DEFAULT-VALUE}).")
        List<String> stateBackends;

        @Option(
                names = "--skip-checkpoints",
                description = "Leave out checkpoint size, duration and recovery time by model size and state backend.")
        boolean skipCheckpoints;
    }

    private static final long START = 1_767_225_600_000L;

    private CheckpointBench() {}

    static Map<String, Object> run(DataOptions data, List<String> specs, List<String> backends, int batches)
            throws Exception {
        data.batches = batches;
        List<Batch> prepared = new ArrayList<>(batches);
        Iterator<Batch> it = data.stream();
        for (int i = 0; i < batches; i++) {
            prepared.add(it.next());
        }
        Map<String, Object> stateBytes = new LinkedHashMap<>();
        Map<String, Object> durationMs = new LinkedHashMap<>();
        Map<String, Object> recoverMs = new LinkedHashMap<>();
        Map<String, Object> resumeMs = new LinkedHashMap<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            int run = 0;
            for (String spec : specs) {
                long parameters = ModelSpec.parse(spec).parameterCount();
                for (String backend : backends) {
                    String suffix = "ckpt-" + run++;
                    kafka.createTopics(suffix, 1, suffix + "-out", suffix + "-dead");
                    try (KafkaProducer<String, byte[]> producer = BenchInputs.producer(kafka)) {
                        StreamProducer.produce(
                                producer,
                                suffix,
                                List.of("m"),
                                prepared.iterator(),
                                batches,
                                START,
                                100,
                                0,
                                false,
                                data.uint8Divisor());
                    }
                    Result r = measure(kafka.bootstrapServers(), suffix, spec, backend);
                    String key = parameters + "/" + backend;
                    stateBytes.put(key, r.stateBytes);
                    durationMs.put(key, r.durationMs);
                    recoverMs.put(key, r.recoverMs);
                    resumeMs.put(key, r.resumeMs);
                    System.out.printf(
                            Locale.ROOT,
                            "checkpoints: %s (%d parameters) on %s: state %.1f MB, checkpoint %.0f ms (mean of %d); after a lost TaskManager tasks run again in %.0f ms, the next checkpoint completes %.0f ms after the loss%n",
                            spec,
                            parameters,
                            backend,
                            r.stateBytes / 1e6,
                            r.durationMs,
                            r.checkpoints,
                            r.recoverMs,
                            r.resumeMs);
                }
            }
        }
        return Figures.of(
                Map.entry("checkpoint_state_bytes", stateBytes),
                Map.entry("checkpoint_duration_ms", durationMs),
                Map.entry("recovery_tasks_running_ms", recoverMs),
                Map.entry("recovery_next_checkpoint_ms", resumeMs));
    }

    private record Result(double stateBytes, double durationMs, int checkpoints, double recoverMs, double resumeMs) {}

    private static Result measure(String bootstrap, String topic, String spec, String backend) throws Exception {
        ModelDeclaration model = ModelDeclaration.newBuilder()
                .setModelId("m")
                .setSpec(spec)
                .setSchedule("cyclical(final=0.9, period=10s, cycles=inf, ramp=0.5)")
                .setOptimizer(
                        OptimizerDeclaration.newBuilder().setLearningRate(0.05).build())
                .build();
        JobConfig config = JobConfig.builder()
                .set(JobOptions.BOOTSTRAP_SERVERS, bootstrap)
                .set(JobOptions.INPUT_TOPIC, topic)
                .set(JobOptions.SNAPSHOT_TOPIC, topic + "-out")
                .set(JobOptions.DEAD_LETTER_TOPIC, topic + "-dead")
                .set(JobOptions.TRANSACTIONAL_ID_PREFIX, Optional.of(topic))
                .set(JobOptions.GROUP_ID, topic)
                .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(1))
                .set(JobOptions.RESTART_ATTEMPTS, 5)
                .set(JobOptions.RESTART_DELAY, Duration.ofMillis(100))
                .models(List.of(model))
                .build()
                .forLocalRun();
        Configuration conf = TrainingJob.flinkConfiguration(config);
        conf.set(StateBackendOptions.STATE_BACKEND, backend);
        MiniClusterConfiguration cluster = new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(1)
                .build();
        try (MiniCluster flink = new MiniCluster(cluster)) {
            flink.start();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            TrainingJob.build(env, config);
            JobID job = flink.submitJob(env.getStreamGraph()).get().getJobID();
            // the model exists once a checkpoint carries more than the sources' offsets (a few KB;
            // RocksDB compresses the model, so its size is no guide)
            long minimum = 64 << 10;
            waitFor(flink, job, g -> completedWithState(g, minimum).size() >= 4, Duration.ofMinutes(5));
            List<AbstractCheckpointStats> completed =
                    completedWithState(flink.getExecutionGraph(job).get(), minimum);
            double size = completed.get(completed.size() - 1).getStateSize();
            double duration = completed.stream()
                    .mapToLong(AbstractCheckpointStats::getEndToEndDuration)
                    .average()
                    .orElse(Double.NaN);
            long before = flink.getExecutionGraph(job)
                    .get()
                    .getCheckpointStatsSnapshot()
                    .getCounts()
                    .getNumberOfCompletedCheckpoints();

            long lost = System.nanoTime();
            flink.terminateTaskManager(0).get();
            flink.startTaskManager();
            waitFor(
                    flink,
                    job,
                    g -> g.getCheckpointStatsSnapshot().getCounts().getNumberOfRestoredCheckpoints() > 0
                            && allRunning(g),
                    Duration.ofMinutes(5));
            double recover = (System.nanoTime() - lost) / 1e6;
            waitFor(
                    flink,
                    job,
                    g -> g.getCheckpointStatsSnapshot().getCounts().getNumberOfCompletedCheckpoints() > before,
                    Duration.ofMinutes(5));
            double resume = (System.nanoTime() - lost) / 1e6;
            flink.cancelJob(job).get();
            return new Result(size, duration, completed.size(), recover, resume);
        }
    }

    private static List<AbstractCheckpointStats> completedWithState(AccessExecutionGraph graph, long minimumBytes) {
        CheckpointStatsSnapshot stats = graph.getCheckpointStatsSnapshot();
        List<AbstractCheckpointStats> out = new ArrayList<>();
        for (AbstractCheckpointStats c : stats.getHistory().getCheckpoints()) {
            if (c.getStatus() == CheckpointStatsStatus.COMPLETED && c.getStateSize() >= minimumBytes) {
                out.add(0, c); // the history lists the newest first
            }
        }
        return out;
    }

    private static boolean allRunning(AccessExecutionGraph graph) {
        if (graph.getState() != JobStatus.RUNNING) {
            return false;
        }
        for (AccessExecutionVertex v : graph.getAllExecutionVertices()) {
            ExecutionState s = v.getExecutionState();
            if (s != ExecutionState.RUNNING && s != ExecutionState.FINISHED) {
                return false;
            }
        }
        return true;
    }

    private interface GraphCondition {
        boolean holds(AccessExecutionGraph graph);
    }

    private static void waitFor(MiniCluster flink, JobID job, GraphCondition condition, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            AccessExecutionGraph g = flink.getExecutionGraph(job).get();
            if (condition.holds(g)) {
                return;
            }
            if (g.getState().isGloballyTerminalState()) {
                throw new IllegalStateException("the benchmark job ended: " + g.getState() + " " + g.getFailureInfo());
            }
            if (System.nanoTime() > deadline) {
                CheckpointStatsSnapshot stats = g.getCheckpointStatsSnapshot();
                var failed = stats.getHistory().getLatestFailedCheckpoint();
                throw new IllegalStateException(String.format(
                        Locale.ROOT,
                        "the benchmark job did not get there within %s: job %s, %d checkpoints completed, %d failed%s",
                        timeout,
                        g.getState(),
                        stats.getCounts().getNumberOfCompletedCheckpoints(),
                        stats.getCounts().getNumberOfFailedCheckpoints(),
                        failed == null ? "" : ", the last because " + failed.getFailureMessage()));
            }
            Thread.sleep(20);
        }
    }
}
