package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.SnapshotFolders;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input, as an attacker who can write to the input topic would send it, mixed into a good
 * stream of two models: every record lands in the dead-letter topic with its cause, the job never
 * restarts (it may not: restart-attempts is 0), and the two models publish exactly, byte for byte,
 * what a run without the hostile records publishes. Run with a default model and a snapshot
 * folder (what made long ids fatal), and once without a default model, for unknown ids.
 */
class HostileInputIT extends KafkaJobTestBase {
    private static final int BATCHES = 60;
    private static final int HOSTILE_AT = BATCHES / 2;
    private static final long STEP = 50;
    private static final int MAX_RECORD_BYTES = 256 << 10;
    /** Raised from the default so that the steps themselves can be made to overflow. */
    private static final double MAX_ABS_VALUE = 1e25;

    private static final int MAX_MODELS = 6;
    private static final List<String> GOOD = List.of("clf", "reg");
    private static final List<ModelDeclaration> MODELS = List.of(
            JobFixtures.logistic("clf", "cyclical(final=0.9, period=1s, cycles=inf)"),
            model(
                    "reg",
                    "linear:" + JobFixtures.DIM,
                    "cyclical(final=0.9, period=1s, cycles=inf)",
                    "global",
                    true,
                    0.01));
    /** New ids, in the order they are sent: the three whose folders are checked come first. */
    private static final List<String> NEW_IDS =
            List.of("a/b", "a_b", "../../../../tmp/pwned", "new-1", "new-2", "new-3", "new-4", "new-5", "new-6");

    @TempDir
    static Path dirs;

    private static Map<String, List<byte[]>> clean;

    private static TrainingBatch good(String id, int i) {
        SparseTeacher teacher = new SparseTeacher(SparseTeacher.Config.defaults()
                .withDimension(JobFixtures.DIM)
                .withSupportSize(6)
                .withSeed(3)
                .withTask(id.equals("reg") ? SparseTeacher.Task.REGRESSION : SparseTeacher.Task.CLASSIFICATION));
        return TrainingBatches.packed(id, i, JobFixtures.T0 + i * STEP, teacher.batch(i, 16));
    }

    private static byte[] bytes(TrainingBatch b) {
        return TrainingBatches.toBytes(b);
    }

    private static byte[] changed(String id, Consumer<TrainingBatch> change) {
        TrainingBatch b = good(id, HOSTILE_AT);
        change.accept(b);
        return bytes(b);
    }

    private static ByteBuffer floats(int n, float value) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(value);
        }
        return b.flip();
    }

    /** A hostile record: its key, its value, and the cause its dead letter must name. */
    record Hostile(String name, String key, byte[] value, DeadLetterCause cause) {}

    /** Every hostile record that does not depend on the default model, the same for both runs. */
    private static List<Hostile> hostile() {
        List<Hostile> h = new ArrayList<>();
        int n = 16 * JobFixtures.DIM;
        TrainingBatch clf = good("clf", HOSTILE_AT);
        byte[] clfBytes = bytes(clf);
        // not a batch at all
        h.add(new Hostile(
                "garbage", "clf", "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8), DeadLetterCause.NOT_AVRO));
        h.add(new Hostile("empty value", "clf", new byte[0], DeadLetterCause.NOT_AVRO));
        h.add(new Hostile("null value", "clf", null, DeadLetterCause.NOT_AVRO));
        h.add(new Hostile("truncated", "clf", Arrays.copyOf(clfBytes, clfBytes.length / 2), DeadLetterCause.NOT_AVRO));
        byte[] trailing = Arrays.copyOf(clfBytes, clfBytes.length + 3);
        h.add(new Hostile("trailing bytes", "clf", trailing, DeadLetterCause.NOT_AVRO));
        h.add(new Hostile(
                "another schema",
                "clf",
                DeadLetters.toBytes(DeadLetters.of("x", 0, 0, "clf", DeadLetterCause.OTHER, "x", clfBytes)),
                DeadLetterCause.NOT_AVRO));
        h.add(new Hostile("too large", "clf", new byte[MAX_RECORD_BYTES + 1000], DeadLetterCause.BATCH_TOO_LARGE));
        // headers that lie
        h.add(new Hostile(
                "rows -5, dim 50",
                "clf",
                changed("clf", b -> {
                    b.setRows(-5);
                    b.setDim(50);
                }),
                DeadLetterCause.BAD_HEADER));
        h.add(new Hostile(
                "rows -1, unknown id",
                "ghost",
                changed("clf", b -> {
                    b.setModelId("ghost");
                    b.setRows(-1);
                }),
                DeadLetterCause.BAD_HEADER));
        h.add(new Hostile("dim 0", "clf", changed("clf", b -> b.setDim(0)), DeadLetterCause.BAD_HEADER));
        h.add(new Hostile("dim -3", "clf", changed("clf", b -> b.setDim(-3)), DeadLetterCause.BAD_HEADER));
        h.add(new Hostile(
                "rows 2^31-1, tiny payload",
                "clf",
                changed("clf", b -> {
                    b.setRows(Integer.MAX_VALUE);
                    b.setFeatures(ByteBuffer.allocate(8));
                }),
                DeadLetterCause.BATCH_TOO_LARGE));
        h.add(new Hostile(
                "rows 8193, dim 60000, no payload",
                "clf",
                changed("clf", b -> {
                    b.setRows(8193);
                    b.setDim(60000);
                    b.setFeatures(ByteBuffer.allocate(0));
                }),
                DeadLetterCause.BATCH_TOO_LARGE));
        h.add(new Hostile(
                "rows 0",
                "clf",
                changed("clf", b -> {
                    b.setRows(0);
                    b.setFeatures(ByteBuffer.allocate(0));
                    b.setLabels(Collections.emptyList());
                }),
                DeadLetterCause.EMPTY_BATCH));
        // a header that disagrees with the model or the payload
        h.add(new Hostile(
                "dim of another model",
                "clf",
                changed("clf", b -> {
                    b.setDim(JobFixtures.DIM + 1);
                    b.setRows(b.getRows() * JobFixtures.DIM / (JobFixtures.DIM + 1));
                }),
                DeadLetterCause.SHAPE_MISMATCH));
        h.add(new Hostile(
                "payload shorter than the header",
                "clf",
                changed("clf", b -> b.setFeatures(ByteBuffer.allocate(4 * n - 4))),
                DeadLetterCause.SHAPE_MISMATCH));
        h.add(new Hostile(
                "float list of the wrong length",
                "clf",
                changed("clf", b -> b.setFeatures(Collections.nCopies(n + 1, 0f))),
                DeadLetterCause.SHAPE_MISMATCH));
        h.add(new Hostile(
                "uint8 bytes of the wrong length",
                "clf",
                changed("clf", b -> {
                    b.setUint8Divisor(255f);
                    b.setFeatures(ByteBuffer.allocate(n - 1));
                }),
                DeadLetterCause.SHAPE_MISMATCH));
        h.add(new Hostile("no labels", "clf", changed("clf", b -> b.setLabels(null)), DeadLetterCause.LABEL_MISMATCH));
        h.add(new Hostile(
                "one label too few",
                "clf",
                changed(
                        "clf",
                        b -> b.setLabels(b.getLabels().subList(1, b.getLabels().size()))),
                DeadLetterCause.LABEL_MISMATCH));
        h.add(new Hostile(
                "no targets", "reg", changed("reg", b -> b.setTargets(null)), DeadLetterCause.LABEL_MISMATCH));
        h.add(new Hostile(
                "label 7 of 2 classes",
                "clf",
                changed("clf", b -> b.setLabels(withFirst(b.getLabels(), 7))),
                DeadLetterCause.LABEL_OUT_OF_RANGE));
        h.add(new Hostile(
                "label -1",
                "clf",
                changed("clf", b -> b.setLabels(withFirst(b.getLabels(), -1))),
                DeadLetterCause.LABEL_OUT_OF_RANGE));
        // values that cannot train
        h.add(new Hostile(
                "NaN feature",
                "clf",
                changed("clf", b -> b.setFeatures(floats(n, Float.NaN))),
                DeadLetterCause.NON_FINITE_VALUE));
        h.add(new Hostile(
                "infinite target",
                "reg",
                changed("reg", b -> b.setTargets(withFirst(b.getTargets(), Float.POSITIVE_INFINITY))),
                DeadLetterCause.NON_FINITE_VALUE));
        h.add(new Hostile(
                "uint8 divisor 0",
                "clf",
                changed("clf", b -> {
                    b.setUint8Divisor(0f);
                    b.setFeatures(ByteBuffer.allocate(n));
                }),
                DeadLetterCause.NON_FINITE_VALUE));
        h.add(new Hostile(
                "uint8 divisor NaN",
                "clf",
                changed("clf", b -> {
                    b.setUint8Divisor(Float.NaN);
                    b.setFeatures(ByteBuffer.allocate(n));
                }),
                DeadLetterCause.NON_FINITE_VALUE));
        h.add(new Hostile(
                "feature 1e30",
                "clf",
                changed("clf", b -> b.setFeatures(floats(n, 1e30f))),
                DeadLetterCause.VALUE_OUT_OF_RANGE));
        h.add(new Hostile(
                "uint8 divisor 1e-30",
                "clf",
                changed("clf", b -> {
                    b.setUint8Divisor(1e-30f);
                    b.setFeatures(ByteBuffer.allocate(n));
                }),
                DeadLetterCause.VALUE_OUT_OF_RANGE));
        h.add(new Hostile(
                "target 1e30",
                "reg",
                changed("reg", b -> b.setTargets(withFirst(b.getTargets(), 1e30f))),
                DeadLetterCause.VALUE_OUT_OF_RANGE));
        // steps that would overflow: rolled back, the model unchanged
        h.add(new Hostile(
                "targets whose square overflows",
                "reg",
                changed("reg", b -> b.setTargets(Collections.nCopies(b.getRows(), 1e20f))),
                DeadLetterCause.NON_FINITE_LOSS));
        h.add(new Hostile(
                "features whose gradient overflows",
                "reg",
                changed("reg", b -> b.setFeatures(floats(n, 1e12f))),
                DeadLetterCause.NON_FINITE_UPDATE));
        // clocks that are wrong
        long year2100 = Instant.parse("2100-01-01T00:00:00Z").toEpochMilli();
        h.add(new Hostile(
                "event time in 2100",
                "clf",
                changed("clf", b -> b.setEventTime(year2100)),
                DeadLetterCause.EVENT_TIME_OUT_OF_RANGE));
        h.add(new Hostile(
                "event time at the end of time, unknown id",
                "ghost",
                changed("clf", b -> {
                    b.setModelId("ghost");
                    b.setEventTime(Long.MAX_VALUE);
                }),
                DeadLetterCause.EVENT_TIME_OUT_OF_RANGE));
        h.add(new Hostile(
                "event time in microseconds",
                "clf",
                changed("clf", b -> b.setEventTime(b.getEventTime() * 1000)),
                DeadLetterCause.EVENT_TIME_OUT_OF_RANGE));
        h.add(new Hostile(
                "event time near the start of time",
                "clf",
                changed("clf", b -> b.setEventTime(Long.MIN_VALUE + 1)),
                DeadLetterCause.EVENT_TIME_OUT_OF_RANGE));
        // ids
        String longId = "m".repeat(300);
        h.add(new Hostile(
                "id of 300 characters",
                longId,
                changed("clf", b -> b.setModelId(longId)),
                DeadLetterCause.BAD_MODEL_ID));
        String hugeId = "x".repeat(100 << 10);
        h.add(new Hostile(
                "id of 100 KB", hugeId, changed("clf", b -> b.setModelId(hugeId)), DeadLetterCause.BAD_MODEL_ID));
        h.add(new Hostile("empty id", "", changed("clf", b -> b.setModelId("")), DeadLetterCause.BAD_MODEL_ID));
        h.add(new Hostile("key of another model", "reg", clfBytes, DeadLetterCause.KEY_MISMATCH));
        return h;
    }

    private static <T> List<T> withFirst(List<T> list, T first) {
        List<T> out = new ArrayList<>(list);
        out.set(0, first);
        return out;
    }

    /** What a run published and dead-lettered, and which cause each hostile record must carry. */
    record Run(Map<String, List<byte[]>> snapshots, List<DeadLetter> deadLetters, Map<Long, Hostile> sent) {}

    private static Run run(String name, List<Hostile> hostile, List<String> newIds, boolean defaultModel)
            throws Exception {
        KAFKA.broker().createTopics("in-" + name, 2, "out-" + name, "dead-" + name);
        Map<Long, Hostile> sent = new LinkedHashMap<>();
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                for (String id : GOOD) {
                    Topics.send(producer, "in-" + name, id, bytes(good(id, i)));
                }
                if (i == HOSTILE_AT) {
                    for (Hostile h : hostile) {
                        // one partition for the hostile records, so that an offset names one of them
                        RecordMetadata at = producer.send(new ProducerRecord<>("in-" + name, 0, h.key(), h.value()))
                                .get();
                        sent.put(at.offset(), h);
                    }
                    for (String id : newIds) {
                        Topics.send(producer, "in-" + name, id, bytes(good(id, i)));
                    }
                }
            }
        }
        JobConfig.Builder config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 2, true, MODELS),
                        "in-" + name,
                        "out-" + name,
                        "dead-" + name)
                .toBuilder()
                .set(JobOptions.RESTART_ATTEMPTS, 0)
                .set(JobOptions.MAX_RECORD_BYTES, MAX_RECORD_BYTES)
                .set(JobOptions.MAX_ABS_VALUE, MAX_ABS_VALUE)
                .set(JobOptions.MAX_MODELS, MAX_MODELS)
                .set(
                        JobOptions.SNAPSHOT_DIR,
                        Optional.of(dirs.resolve(name).toUri().toString()));
        if (defaultModel) {
            config.set(
                    JobOptions.DEFAULT_MODEL,
                    Optional.of(JobFixtures.logistic("default", "cyclical(final=0.9, period=1s, cycles=inf)")));
        }
        JobConfig job = config.build();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(job));
        TrainingJob.build(env, job);
        env.execute("hostile-" + name); // restart-attempts 0: a crash fails this call, and the test
        Map<String, List<byte[]>> snapshots = new LinkedHashMap<>();
        JobFixtures.byModel(Topics.readAll(KAFKA.bootstrapServers(), "out-" + name, Map.of(), Duration.ofSeconds(60)))
                .forEach((id, list) -> snapshots.put(
                        id, list.stream().map(ModelSnapshots::toBytes).collect(Collectors.toList())));
        List<DeadLetter> dead =
                Topics.readAll(KAFKA.bootstrapServers(), "dead-" + name, Map.of(), Duration.ofSeconds(60)).stream()
                        .map(r -> DeadLetters.fromBytes(r.value()))
                        .collect(Collectors.toList());
        return new Run(snapshots, dead, sent);
    }

    @BeforeAll
    static void cleanRun() throws Exception {
        clean = run("clean", List.of(), List.of(), true).snapshots();
        assertThat(clean.keySet()).containsExactlyInAnyOrderElementsOf(GOOD);
    }

    @Test
    void everyHostileRecordIsDeadLetteredWithItsCauseAndTheGoodModelsAreUntouched() throws Exception {
        List<Hostile> hostile = hostile();
        assertThat(hostile).hasSizeGreaterThanOrEqualTo(30);
        Run mixed = run("mixed", hostile, NEW_IDS, true);

        assertDeadLettered(mixed, "in-mixed");
        for (String id : GOOD) {
            assertSameBytes(mixed.snapshots().get(id), clean.get(id), id);
        }

        // the default model may create MAX_MODELS, shared over the two subtasks; the rest are refused
        Set<String> created = new TreeSet<>(mixed.snapshots().keySet());
        created.removeAll(GOOD);
        List<DeadLetter> refused = mixed.deadLetters().stream()
                .filter(d -> DeadLetters.causeOf(d) == DeadLetterCause.TOO_MANY_MODELS)
                .collect(Collectors.toList());
        assertThat(created.size() + refused.size()).isEqualTo(NEW_IDS.size());
        assertThat(created.size()).isBetween(MAX_MODELS - 1, MAX_MODELS);
        assertThat(created).contains("a/b", "a_b", "../../../../tmp/pwned");
        assertThat(refused).allSatisfy(d -> assertThat(NEW_IDS).contains(d.getModelId()));

        // every model's files in a folder of its own, inside the snapshot folder
        Path snapshotDir = dirs.resolve("mixed");
        for (String id : created) {
            Path folder = snapshotDir.resolve(SnapshotFolders.folderOf(id)).normalize();
            assertThat(folder.startsWith(snapshotDir)).isTrue();
            try (Stream<Path> files = Files.list(folder)) {
                List<Path> visible = files.filter(
                                f -> !f.getFileName().toString().startsWith("."))
                        .collect(Collectors.toList());
                assertThat(visible).as("snapshot files of %s", id).isNotEmpty();
                for (Path f : visible) {
                    assertThat(ModelSnapshots.readFile(f))
                            .allSatisfy(s -> assertThat(s.getModelId()).isEqualTo(id));
                }
            }
        }
        assertThat(Path.of("/tmp/pwned")).doesNotExist();
    }

    @Test
    void withoutADefaultModelUnknownIdsAreDeadLetteredToo() throws Exception {
        List<Hostile> hostile = new ArrayList<>(hostile());
        hostile.add(new Hostile(
                "unknown id", "nobody", changed("clf", b -> b.setModelId("nobody")), DeadLetterCause.UNKNOWN_MODEL));
        Run mixed = run("no-default", hostile, List.of(), false);

        assertDeadLettered(mixed, "in-no-default");
        assertThat(mixed.snapshots().keySet()).containsExactlyInAnyOrderElementsOf(GOOD);
        for (String id : GOOD) {
            assertSameBytes(mixed.snapshots().get(id), clean.get(id), id);
        }
    }

    private static void assertDeadLettered(Run run, String topic) {
        Map<Long, DeadLetter> byOffset = new LinkedHashMap<>();
        for (DeadLetter d : run.deadLetters()) {
            if (d.getPartition() == 0 && run.sent().containsKey(d.getOffset())) {
                assertThat(byOffset.put(d.getOffset(), d))
                        .as("one dead letter per record")
                        .isNull();
            }
        }
        for (Map.Entry<Long, Hostile> e : run.sent().entrySet()) {
            Hostile h = e.getValue();
            DeadLetter d = byOffset.get(e.getKey());
            assertThat(d).as("dead letter of '%s'", h.name()).isNotNull();
            assertThat(DeadLetters.causeOf(d))
                    .as("cause of '%s': %s", h.name(), d.getMessage())
                    .isEqualTo(h.cause());
            assertThat(d.getReason()).isEqualTo(DeadLetters.reasonOf(h.cause()));
            assertThat(d.getSourceTopic()).isEqualTo(topic);
            assertThat(d.getMessage()).isNotBlank().hasSizeLessThan(2000);
            if (d.getModelId() != null) {
                assertThat(d.getModelId().length()).isLessThan(2000);
            }
            byte[] raw = new byte[d.getRaw().remaining()];
            d.getRaw().duplicate().get(raw);
            byte[] value = h.value() == null ? new byte[0] : h.value();
            if (h.cause() == DeadLetterCause.BATCH_TOO_LARGE && value.length > MAX_RECORD_BYTES) {
                assertThat(raw).isEqualTo(Arrays.copyOf(value, MAX_RECORD_BYTES));
            } else if (h.cause() != DeadLetterCause.NON_FINITE_LOSS && h.cause() != DeadLetterCause.NON_FINITE_UPDATE) {
                assertThat(raw).as("the record's own bytes for '%s'", h.name()).isEqualTo(value);
            } else {
                assertThat(raw).isNotEmpty();
            }
        }
    }

    private static void assertSameBytes(List<byte[]> actual, List<byte[]> expected, String id) {
        assertThat(actual).as("snapshots of %s", id).hasSameSizeAs(expected);
        for (int v = 0; v < expected.size(); v++) {
            assertThat(actual.get(v)).as("%s version %s", id, v + 1).isEqualTo(expected.get(v));
        }
    }
}
