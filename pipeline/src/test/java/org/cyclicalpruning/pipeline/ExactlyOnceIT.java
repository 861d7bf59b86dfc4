package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.DeadLetterReason;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.junit.jupiter.api.Test;

/**
 * A TaskManager dies mid-stream after a completed checkpoint; the job recovers from it, and what a
 * read_committed consumer sees equals a failure-free run on the same input.
 */
class ExactlyOnceIT extends KafkaJobTestBase {
    private static final int BATCHES = 200;
    private static final long STEP = 50;
    private static final int NAN_BATCH = 37;

    private static final List<ModelDeclaration> MODELS = List.of(
            JobFixtures.logistic("m1", "cyclical(final=0.9, period=2s, cycles=inf, ramp=0.5)"),
            JobFixtures.mlp("m2", "cyclical(final=0.8, period=1500ms, cycles=inf, ramp=0.5)"),
            model("m3", "logistic:" + JobFixtures.DIM, "gradual(final=0.9, duration=5s)", "global", false, 0.05));

    private static Map<String, SparseTeacher> teachers() {
        Map<String, SparseTeacher> t = new LinkedHashMap<>();
        t.put("m1", JobFixtures.classificationTeacher(21));
        t.put("m2", JobFixtures.classificationTeacher(22));
        t.put("m3", JobFixtures.classificationTeacher(23));
        return t;
    }

    /** Batches [from, to) of every model, with one bad batch (a NaN feature) for m2 that must be dead-lettered. */
    private static void produce(String topic, int from, int to) {
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            Map<String, SparseTeacher> teachers = teachers();
            for (int i = from; i < to; i++) {
                for (Map.Entry<String, SparseTeacher> e : teachers.entrySet()) {
                    Topics.send(producer, topic, e.getKey(), JobFixtures.batch(e.getKey(), e.getValue(), i, 32, STEP));
                    if (i == NAN_BATCH && e.getKey().equals("m2")) {
                        Batch b = e.getValue().batch(i, 32);
                        float[] x = b.features().clone();
                        x[5] = Float.NaN;
                        TrainingBatch bad = TrainingBatches.packed(
                                "m2", i, JobFixtures.T0 + i * STEP, new Batch(x, b.rows(), b.dim(), b.labels(), null));
                        Topics.send(producer, topic, "m2", TrainingBatches.toBytes(bad));
                    }
                }
            }
        }
    }

    private static JobConfig config(String suffix, boolean bounded) {
        return JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 2, bounded, MODELS),
                        "in-" + suffix,
                        "out-" + suffix,
                        "dead-" + suffix)
                .toBuilder()
                // every model publishes at least every second: m3's ramp ends at 5 s, and a model
                // with no boundary ahead could not show that nothing more is coming
                .set(JobOptions.SNAPSHOT_INTERVAL, java.util.Optional.of(Duration.ofSeconds(1)))
                .build();
    }

    @Test
    void aTaskManagerLostMidStreamChangesNothingACommittedReaderSees(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        // the reference: a failure-free, bounded run
        KAFKA.broker().createTopics("in-ref", 2, "out-ref", "dead-ref");
        produce("in-ref", 0, BATCHES);
        JobConfig ref = config("ref", true);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(ref));
        TrainingJob.build(env, ref);
        env.execute("reference");
        Map<String, List<SparseModelSnapshot>> expected = JobFixtures.byModel(
                Topics.readAll(KAFKA.bootstrapServers(), "out-ref", Map.of(), Duration.ofSeconds(60)));
        assertThat(expected.keySet()).containsExactly("m1", "m2", "m3");
        assertThat(expected.get("m1").get(expected.get("m1").size() - 1).getStep())
                .isEqualTo(BATCHES);
        assertThat(expected.get("m2").get(expected.get("m2").size() - 1).getStep())
                .as("the NaN batch is not trained on")
                .isEqualTo(BATCHES);

        // the same input, unbounded, with a TaskManager killed after a checkpoint has committed output
        KAFKA.broker().createTopics("in-fail", 2, "out-fail", "dead-fail");
        produce("in-fail", 0, BATCHES / 2);
        JobConfig failing = config("fail", false);
        env = StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(failing));
        TrainingJob.build(env, failing);
        JobClient job = env.executeAsync("failover");
        Topics.readUntil(KAFKA.bootstrapServers(), "out-fail", l -> l.size() >= 3, Duration.ofSeconds(60));
        cluster.terminateTaskManager(0).get();
        cluster.startTaskManager();
        produce("in-fail", BATCHES / 2, BATCHES);

        // the boundaries up to the last batch, and a batch far later, whose snapshots say that
        // nothing more is coming for the earlier ones
        long last = JobFixtures.T0 + (BATCHES - 1) * STEP;
        produce("in-fail", BATCHES + 100, BATCHES + 101);
        Map<String, List<SparseModelSnapshot>> actual = JobFixtures.snapshotsUpTo(
                KAFKA.bootstrapServers(), "out-fail", teachers().keySet(), last, Duration.ofSeconds(90));
        job.cancel().get();
        System.out.println(JobFixtures.describe(actual));

        assertThat(actual.values().stream().mapToInt(List::size).sum())
                .isEqualTo(JobFixtures.boundariesUpTo(expected, last));
        JobFixtures.assertSameBytes(actual, expected);
        // committed with the checkpoints before the later snapshots: all there by now
        List<org.cyclicalpruning.schemas.DeadLetter> dead =
                Topics.readAll(KAFKA.bootstrapServers(), "dead-fail", Map.of(), Duration.ofSeconds(60)).stream()
                        .map(r -> DeadLetters.fromBytes(r.value()))
                        .toList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getReason()).isEqualTo(DeadLetterReason.NON_FINITE_VALUE);
    }

    static void assertSameModel(SparseModelSnapshot a, SparseModelSnapshot b) {
        assertThat(a.getTensors()).hasSameSizeAs(b.getTensors());
        for (int t = 0; t < a.getTensors().size(); t++) {
            assertThat(SparseTensorCodec.support(a.getTensors().get(t)))
                    .as("support of %s", a.getTensors().get(t).getName())
                    .isEqualTo(SparseTensorCodec.support(b.getTensors().get(t)));
            float[] va = SparseTensorCodec.values(a.getTensors().get(t));
            float[] vb = SparseTensorCodec.values(b.getTensors().get(t));
            for (int i = 0; i < va.length; i++) {
                assertThat(va[i]).isCloseTo(vb[i], within(1e-6f));
            }
        }
    }
}
