package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Metrics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;

/**
 * The teacher's support moves mid-stream. Unending cycles clocked by event time find the new
 * support; GMP, whose mask froze before the drift, cannot.
 */
class DriftIT extends KafkaJobTestBase {
    static final int BATCHES = 600;
    static final int ROWS = 32;
    static final long STEP = 20;
    static final int DRIFT_BATCH = 300;

    static SparseTeacher driftingTeacher() {
        return new SparseTeacher(SparseTeacher.Config.defaults()
                .withDimension(200)
                .withSupportSize(10)
                .withCorrelation(0.5)
                .withSeed(5)
                .withDriftAtSample((long) DRIFT_BATCH * ROWS));
    }

    @Test
    void cyclicalPruningFollowsTheDriftAndGmpDoesNot() throws Exception {
        KAFKA.broker().createTopics("in", 2, "out", "dead");
        SparseTeacher teacher = driftingTeacher();
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                Batch b = teacher.batch(i, ROWS);
                long t = JobFixtures.T0 + i * STEP;
                for (String id : List.of("cyclical", "gmp")) {
                    Topics.send(producer, "in", id, TrainingBatches.toBytes(TrainingBatches.packed(id, i, t, b)));
                }
            }
        }
        List<org.cyclicalpruning.schemas.ModelDeclaration> models = List.of(
                model(
                        "cyclical",
                        "linear:200",
                        "cyclical(final=0.95, period=2s, cycles=inf, ramp=0.5)",
                        "global",
                        true,
                        0.01),
                model("gmp", "linear:200", "gradual(final=0.95, duration=4s)", "global", false, 0.01));
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 2, true, models), "in", "out", "dead")
                .with(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Duration.ofSeconds(2)));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("drift");

        Map<String, List<SparseModelSnapshot>> snapshots =
                JobFixtures.byModel(Topics.readAll(KAFKA.bootstrapServers(), "out", Map.of(), Duration.ofSeconds(60)));
        System.out.println(JobFixtures.describe(snapshots));
        int[] oldSupport = teacher.support(0);
        int[] newSupport = teacher.support((long) BATCHES * ROWS - 1);
        assertThat(newSupport).isNotEqualTo(oldSupport);
        long driftTime = JobFixtures.T0 + DRIFT_BATCH * STEP; // 6 s
        long secondCycleEndAfterDrift = driftTime + 2 * 2000; // cycles [6 s, 8 s) and [8 s, 10 s)
        SparseModelSnapshot cyclical = at(snapshots.get("cyclical"), secondCycleEndAfterDrift);
        SparseModelSnapshot gmp = at(snapshots.get("gmp"), secondCycleEndAfterDrift);
        double cyclicalRecall = Metrics.supportRecall(ModelSnapshots.decodeTensors(cyclical)[0], newSupport);
        double gmpRecall = Metrics.supportRecall(ModelSnapshots.decodeTensors(gmp)[0], newSupport);
        System.out.printf(
                "new-support recall at the second cycle end after the drift: cyclical %.2f, gmp %.2f%n",
                cyclicalRecall, gmpRecall);
        assertThat(Metrics.supportRecall(
                        ModelSnapshots.decodeTensors(at(snapshots.get("cyclical"), driftTime))[0], oldSupport))
                .as("before the drift, cyclical had found the old support")
                .isGreaterThanOrEqualTo(0.9);
        assertThat(cyclicalRecall).isGreaterThanOrEqualTo(0.9);
        assertThat(gmpRecall).isLessThan(0.5);
    }

    private static SparseModelSnapshot at(List<SparseModelSnapshot> list, long eventTime) {
        return list.stream()
                .filter(s -> s.getEventTime() == eventTime)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no snapshot at " + (eventTime - JobFixtures.T0) + " ms"));
    }
}
