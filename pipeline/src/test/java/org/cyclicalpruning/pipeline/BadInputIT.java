package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterReason;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.junit.jupiter.api.Test;

/**
 * Every class of bad input, mixed into a good stream: each lands in the dead-letter topic with
 * its reason, the job never restarts (it may not: restart-attempts is 0), and the models trained
 * on the good records are exactly those of a run without the bad ones.
 */
class BadInputIT extends KafkaJobTestBase {
    private static final int BATCHES = 60;
    private static final long STEP = 50;
    private static final List<ModelDeclaration> MODELS = List.of(
            JobFixtures.logistic("clf", "cyclical(final=0.9, period=1s, cycles=inf)"),
            model(
                    "reg",
                    "linear:" + JobFixtures.DIM,
                    "cyclical(final=0.9, period=1s, cycles=inf)",
                    "global",
                    true,
                    0.01));

    private static TrainingBatch good(String id, int i) {
        SparseTeacher teacher = new SparseTeacher(SparseTeacher.Config.defaults()
                .withDimension(JobFixtures.DIM)
                .withSupportSize(6)
                .withSeed(3)
                .withTask(id.equals("clf") ? SparseTeacher.Task.CLASSIFICATION : SparseTeacher.Task.REGRESSION));
        return TrainingBatches.packed(id, i, JobFixtures.T0 + i * STEP, teacher.batch(i, 16));
    }

    /** One record per bad-input class, named by the reason it must be dead-lettered with. */
    private static Map<DeadLetterReason, byte[]> badRecords(int i) {
        long t = JobFixtures.T0 + i * STEP;
        Map<DeadLetterReason, byte[]> bad = new java.util.EnumMap<>(DeadLetterReason.class);
        bad.put(DeadLetterReason.NOT_AVRO, "{\"not\": \"avro\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        TrainingBatch unknown = good("clf", i);
        unknown.setModelId("nobody");
        bad.put(DeadLetterReason.UNKNOWN_MODEL, TrainingBatches.toBytes(unknown));
        TrainingBatch shape = good("clf", i);
        shape.setDim(JobFixtures.DIM + 1);
        shape.setRows(shape.getRows() * JobFixtures.DIM / (JobFixtures.DIM + 1));
        bad.put(DeadLetterReason.SHAPE_MISMATCH, TrainingBatches.toBytes(shape));
        TrainingBatch noLabels = good("clf", i);
        noLabels.setLabels(null);
        bad.put(DeadLetterReason.LABEL_MISMATCH, TrainingBatches.toBytes(noLabels));
        TrainingBatch nan = good("reg", i);
        List<Float> targets = new ArrayList<>(nan.getTargets());
        targets.set(3, Float.POSITIVE_INFINITY);
        nan.setTargets(targets);
        bad.put(DeadLetterReason.NON_FINITE_VALUE, TrainingBatches.toBytes(nan));
        TrainingBatch label = good("clf", i);
        List<Integer> labels = new ArrayList<>(label.getLabels());
        labels.set(0, 7);
        label.setLabels(labels);
        bad.put(DeadLetterReason.LABEL_OUT_OF_RANGE, TrainingBatches.toBytes(label));
        // a hostile header: a billion rows of a million features, and 64 bytes of payload
        TrainingBatch huge = TrainingBatch.newBuilder(good("clf", i))
                .setRows(1 << 30)
                .setDim(1 << 20)
                .setFeatures(ByteBuffer.allocate(64))
                .setLabels(List.of(1))
                .build();
        bad.put(DeadLetterReason.BATCH_TOO_LARGE, TrainingBatches.toBytes(huge));
        TrainingBatch empty = TrainingBatch.newBuilder(good("clf", i))
                .setRows(0)
                .setFeatures(ByteBuffer.allocate(0))
                .setLabels(Collections.emptyList())
                .build();
        bad.put(DeadLetterReason.EMPTY_BATCH, TrainingBatches.toBytes(empty));
        // finite, but its square is not: the loss overflows, the step is rolled back
        TrainingBatch overflow = good("reg", i);
        overflow.setTargets(Collections.nCopies(overflow.getRows(), 3e38f));
        bad.put(DeadLetterReason.NON_FINITE_LOSS, TrainingBatches.toBytes(overflow));
        assertThat(bad.keySet()).isEqualTo(EnumSet.allOf(DeadLetterReason.class));
        return bad;
    }

    private static Map<String, List<SparseModelSnapshot>> run(String suffix, boolean withBadRecords) throws Exception {
        KAFKA.broker().createTopics("in-" + suffix, 2, "out-" + suffix, "dead-" + suffix);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                for (String id : List.of("clf", "reg")) {
                    Topics.send(producer, "in-" + suffix, id, TrainingBatches.toBytes(good(id, i)));
                }
                if (withBadRecords && i == BATCHES / 2) {
                    for (byte[] bad : badRecords(i).values()) {
                        Topics.send(producer, "in-" + suffix, i % 2 == 0 ? "clf" : "reg", bad);
                    }
                }
            }
        }
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 2, true, MODELS),
                        "in-" + suffix,
                        "out-" + suffix,
                        "dead-" + suffix)
                .toBuilder()
                .set(JobOptions.RESTART_ATTEMPTS, 0)
                .set(JobOptions.MAX_BATCH_ROWS, 4096)
                .build();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("bad-input-" + suffix);
        return JobFixtures.byModel(
                Topics.readAll(KAFKA.bootstrapServers(), "out-" + suffix, Map.of(), Duration.ofSeconds(60)));
    }

    @Test
    void everyBadRecordIsDeadLetteredWithItsReasonAndGoodResultsAreUnchanged() throws Exception {
        Map<String, List<SparseModelSnapshot>> clean = run("clean", false);
        Map<String, List<SparseModelSnapshot>> mixed = run("mixed", true);

        List<DeadLetter> dead = JobFixtures.deadLetters(
                KAFKA.bootstrapServers(), "dead-mixed", DeadLetterReason.values().length, Duration.ofSeconds(20));
        Set<DeadLetterReason> reasons = dead.stream().map(DeadLetter::getReason).collect(Collectors.toSet());
        assertThat(reasons).isEqualTo(EnumSet.allOf(DeadLetterReason.class));
        assertThat(dead).hasSize(DeadLetterReason.values().length);
        for (DeadLetter d : dead) {
            assertThat(d.getSourceTopic()).isEqualTo("in-mixed");
            assertThat(d.getMessage()).isNotBlank();
            assertThat(d.getRaw().remaining())
                    .as("the record is kept for %s", d.getReason())
                    .isPositive();
        }
        assertThat(JobFixtures.deadLetters(KAFKA.bootstrapServers(), "dead-clean", 1, Duration.ofSeconds(2)))
                .isEmpty();

        assertThat(mixed.keySet()).isEqualTo(clean.keySet());
        for (String id : clean.keySet()) {
            assertThat(mixed.get(id)).hasSameSizeAs(clean.get(id));
            for (int v = 0; v < clean.get(id).size(); v++) {
                SparseModelSnapshot a = mixed.get(id).get(v);
                SparseModelSnapshot b = clean.get(id).get(v);
                assertThat(a.getStep()).isEqualTo(b.getStep());
                ExactlyOnceIT.assertSameModel(a, b);
            }
        }
        assertThat(clean.get("clf").get(clean.get("clf").size() - 1).getStep()).isEqualTo(BATCHES);
    }
}
