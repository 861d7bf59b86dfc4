package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;
import org.junit.jupiter.api.Test;

/** The whole job on a real KRaft broker and a Flink MiniCluster: three models, two partitions, parallelism 2. */
class StreamingJobIT extends KafkaJobTestBase {
    @Test
    void threeModelsEmitSnapshotsAtTheirCycleEnds() throws Exception {
        String in = "batches-e2e";
        String out = "snapshots-e2e";
        String dead = "dead-e2e";
        KAFKA.broker().createTopics(in, 2, out, dead);
        int batches = 200;
        long step = 50;
        List<org.cyclicalpruning.schemas.ModelDeclaration> models = List.of(
                JobFixtures.logistic("alpha", "cyclical(final=0.9, period=2s, cycles=inf, ramp=0.5)"),
                JobFixtures.logistic("beta", "cyclical(final=0.8, period=3s, cycles=2, ramp=0.6)"),
                model(
                        "gamma",
                        "mlp:" + JobFixtures.DIM + "-16-2",
                        "cyclical(final=0.75, period=2500ms, cycles=inf, ramp=0.5)",
                        "per-layer",
                        true,
                        0.05));
        Map<String, SparseTeacher> teachers = new LinkedHashMap<>();
        teachers.put("alpha", JobFixtures.classificationTeacher(11));
        teachers.put("beta", JobFixtures.classificationTeacher(12));
        teachers.put("gamma", JobFixtures.classificationTeacher(13));
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            JobFixtures.produce(producer, in, teachers, 0, batches, 32, step);
        }

        JobConfig config =
                JobFixtures.withTopics(JobFixtures.config(KAFKA.bootstrapServers(), 2, true, models), in, out, dead);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("e2e");

        // alpha: ends at 2, 4, 6, 8 s + the rest; beta: 3, 6 s then FINAL + the rest; gamma: 2.5, 5, 7.5 s + the rest
        Map<String, List<SparseModelSnapshot>> snapshots = JobFixtures.byModel(
                Topics.readUntil(KAFKA.bootstrapServers(), out, l -> l.size() >= 5 + 3 + 4, Duration.ofSeconds(30)));
        assertThat(snapshots.keySet()).containsExactly("alpha", "beta", "gamma");
        System.out.println(JobFixtures.describe(snapshots));
        assertThat(snapshots.get("alpha")).hasSize(5);
        assertThat(snapshots.get("beta")).hasSize(3);
        assertThat(snapshots.get("gamma")).hasSize(4);
        for (List<SparseModelSnapshot> list : snapshots.values()) {
            for (int v = 0; v < list.size(); v++) {
                assertThat(list.get(v).getVersion()).isEqualTo(v + 1L);
            }
            SparseModelSnapshot last = list.get(list.size() - 1);
            // the end of input fires the pending boundary; when the input ended inside a cycle, that
            // boundary is still ahead and the rest is published as END_OF_INPUT
            assertThat(last.getReason()).isIn(SnapshotReason.END_OF_INPUT, SnapshotReason.CYCLE_END);
            assertThat(last.getStep()).as("every valid batch trained once").isEqualTo(batches);
            assertThat(last.getAccuracy())
                    .as("prequential accuracy, chance is 0.5")
                    .isGreaterThan(0.8);
            for (SparseModelSnapshot s : list) {
                if (s.getReason() == SnapshotReason.CYCLE_END) {
                    // every batch before the boundary, and none after
                    long boundaryBatches = (s.getEventTime() - JobFixtures.T0 + step - 1) / step;
                    assertThat(s.getStep()).isEqualTo(boundaryBatches);
                    assertThat(s.getPhase()).isIn("HOLD", "FINAL");
                    assertPrunedToTarget(s);
                }
            }
        }
        assertThat(snapshots.get("alpha").get(0).getEventTime()).isEqualTo(JobFixtures.T0 + 2000);
        assertThat(snapshots.get("gamma").get(1).getEventTime()).isEqualTo(JobFixtures.T0 + 5000);
        assertThat(snapshots.get("beta").get(1).getEventTime()).isEqualTo(JobFixtures.T0 + 6000);
        assertThat(snapshots.get("beta").get(2).getReason()).isEqualTo(SnapshotReason.END_OF_INPUT);
        assertThat(snapshots.get("beta").get(2).getPhase()).isEqualTo("FINAL");
        assertThat(snapshots.get("gamma").get(3).getRecovered())
                .as("weights regrow across cycles")
                .isPositive();
    }

    /** Each weight tensor holds round((1 - s) * n) non-zeros, within one weight (biases are not pruned). */
    static void assertPrunedToTarget(SparseModelSnapshot s) {
        for (SparseTensor t : s.getTensors()) {
            if (!t.getName().endsWith(".weight")) {
                continue;
            }
            long n = t.getShape().stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
            long kept = n - Math.round(s.getTargetSparsity() * n);
            assertThat(t.getNnz())
                    .as("%s v%s %s", s.getModelId(), s.getVersion(), t.getName())
                    .isBetween(kept - 1, kept);
        }
    }
}
