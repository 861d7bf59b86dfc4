package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.OptimizerKind;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/** Data and config builders shared by the job's integration tests. */
public final class JobFixtures {
    public static final long T0 = 1_750_000_000_000L;
    public static final int DIM = 60;

    private JobFixtures() {}

    /** Returns a logistic regression on the fixtures' features: global pruning with regrowth, SGD at 0.05. */
    public static ModelDeclaration logistic(String id, String schedule) {
        return model(id, "logistic:" + DIM, schedule, "global", true, 0.05);
    }

    /**
     * Returns a drift-aware logistic regression: GMP's ramp over 1 s of event time, then the mask
     * held until its prequential error rises, when a cycle ramps over 500 ms. Feed it {@link
     * #driftingTeacher}.
     */
    public static ModelDeclaration driftAware(String id) {
        return logistic(id, "gradual(final=0.9, duration=1s, on-drift=restart, drift-ramp=500ms)");
    }

    /** Returns a teacher like {@link #classificationTeacher} whose support moves at batch {@code driftBatch}. */
    public static SparseTeacher driftingTeacher(long seed, int driftBatch, int rows) {
        return new SparseTeacher(classificationTeacher(seed).config().withDriftAtSample((long) driftBatch * rows));
    }

    /**
     * Returns a teacher per model, seeded {@code seed}, {@code seed + 1}, ... in declaration order;
     * the model {@code drifting} gets one whose support moves at batch {@code driftBatch}.
     */
    public static Map<String, SparseTeacher> teachers(
            List<ModelDeclaration> models, long seed, String drifting, int driftBatch, int rows) {
        Map<String, SparseTeacher> teachers = new java.util.LinkedHashMap<>();
        for (int m = 0; m < models.size(); m++) {
            String id = models.get(m).getModelId();
            teachers.put(
                    id,
                    id.equals(drifting)
                            ? driftingTeacher(seed + m, driftBatch, rows)
                            : classificationTeacher(seed + m));
        }
        return teachers;
    }

    /** Asserts that a drift-aware model's snapshots show one detection after {@code driftTime} and its cycle's end. */
    public static void assertOneRestartAfter(List<SparseModelSnapshot> snapshots, long driftTime) {
        SparseModelSnapshot restart = snapshots.stream()
                .filter(s -> s.getDrift() != null && s.getDrift().getRestart())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no snapshot ends a drift-triggered cycle: " + snapshots));
        assertThat(restart.getDrift().getDetections()).isEqualTo(1);
        assertThat(restart.getDrift().getLastDetectionEventTime()).isGreaterThanOrEqualTo(driftTime);
        assertThat(restart.getSparsity()).isCloseTo(0.9, within(1e-3));
        assertThat(snapshots.stream().filter(s -> s.getEventTime() <= driftTime))
                .allMatch(s -> s.getDrift() != null && s.getDrift().getDetections() == 0);
    }

    /** Returns an MLP with one hidden layer of 16 on the fixtures' features, trained like {@link #logistic}. */
    public static ModelDeclaration mlp(String id, String schedule) {
        return model(id, "mlp:" + DIM + "-16-2", schedule, "global", true, 0.05);
    }

    public static ModelDeclaration model(
            String id, String spec, String schedule, String pruning, boolean regrowth, double lr) {
        return ModelDeclaration.newBuilder()
                .setModelId(id)
                .setSpec(spec)
                .setSchedule(schedule)
                .setPruning(pruning)
                .setMaskInterval(1)
                .setRegrowth(regrowth)
                .setOptimizer(OptimizerDeclaration.newBuilder()
                        .setKind(OptimizerKind.SGD)
                        .setLearningRate(lr)
                        .setMomentum(0.9)
                        .setWeightDecay(0)
                        .build())
                .setSeed(id.hashCode())
                .build();
    }

    /**
     * The lineage of the snapshots of every test job: pinned, so that a run and its failure-free
     * reference publish the same bytes (by default each deployment's lineage is the time it was built).
     */
    public static final long LINEAGE = 1;

    public static JobConfig config(String bootstrap, int parallelism, boolean bounded, List<ModelDeclaration> models) {
        return JobConfig.builder()
                .set(JobOptions.SNAPSHOT_LINEAGE, Optional.of(LINEAGE))
                .set(JobOptions.BOOTSTRAP_SERVERS, bootstrap)
                .set(JobOptions.PARALLELISM, Optional.of(parallelism))
                .set(JobOptions.BOUNDED, bounded)
                .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(JobOptions.MAX_OUT_OF_ORDERNESS, Duration.ZERO)
                .set(JobOptions.IDLENESS, Duration.ofSeconds(1))
                .set(JobOptions.RESTART_ATTEMPTS, 3)
                .set(JobOptions.RESTART_DELAY, Duration.ofMillis(100))
                .set(JobOptions.TRANSACTIONAL_ID_PREFIX, Optional.of("it-" + System.nanoTime()))
                .models(models)
                .build();
    }

    /** Returns {@code config} reading and writing topics {@code in}, {@code out} and {@code dead}. */
    public static JobConfig withTopics(JobConfig config, String in, String out, String dead) {
        return config.toBuilder()
                .set(JobOptions.INPUT_TOPIC, in)
                .set(JobOptions.SNAPSHOT_TOPIC, out)
                .set(JobOptions.DEAD_LETTER_TOPIC, dead)
                .build();
    }

    public static SparseTeacher classificationTeacher(long seed) {
        return new SparseTeacher(SparseTeacher.Config.defaults()
                .withDimension(DIM)
                .withSupportSize(6)
                .withCorrelation(0.5)
                .withSeed(seed)
                .withTask(SparseTeacher.Task.CLASSIFICATION));
    }

    /** Batch {@code i} of a model, every {@code stepMillis} of event time from {@link #T0}. */
    public static byte[] batch(String modelId, SparseTeacher teacher, int i, int rows, long stepMillis) {
        Batch b = teacher.batch(i, rows);
        return TrainingBatches.toBytes(TrainingBatches.packed(modelId, i, T0 + i * stepMillis, b));
    }

    /** Produces {@code count} batches per model from {@code from}, interleaved in event-time order. */
    public static void produce(
            KafkaProducer<String, byte[]> producer,
            String topic,
            Map<String, SparseTeacher> teachers,
            int from,
            int count,
            int rows,
            long stepMillis) {
        for (int i = from; i < from + count; i++) {
            for (Map.Entry<String, SparseTeacher> e : teachers.entrySet()) {
                Topics.send(producer, topic, e.getKey(), batch(e.getKey(), e.getValue(), i, rows, stepMillis));
            }
        }
        producer.flush();
    }

    public static Map<String, List<SparseModelSnapshot>> byModel(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, List<SparseModelSnapshot>> out = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            SparseModelSnapshot s = ModelSnapshots.fromBytes(r.value());
            out.computeIfAbsent(s.getModelId(), k -> new ArrayList<>()).add(s);
        }
        out.values().forEach(l -> l.sort(Comparator.comparingLong(SparseModelSnapshot::getVersion)));
        return out;
    }

    public static String describe(Map<String, List<SparseModelSnapshot>> snapshots) {
        StringBuilder sb = new StringBuilder();
        snapshots.forEach((id, list) -> list.forEach(s -> sb.append(String.format(
                "%s v%d %s t=%d cycle=%d %s step=%d sparsity=%.4f target=%.4f acc=%s recovered=%d%n",
                id,
                s.getVersion(),
                s.getReason(),
                s.getEventTime() - T0,
                s.getCycle(),
                s.getPhase(),
                s.getStep(),
                s.getSparsity(),
                s.getTargetSparsity(),
                s.getAccuracy(),
                s.getRecovered()))));
        return sb.toString();
    }

    public static List<DeadLetter> deadLetters(String bootstrap, String topic, int atLeast, Duration timeout) {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : Topics.readUntil(bootstrap, topic, l -> l.size() >= atLeast, timeout)) {
            out.add(DeadLetters.fromBytes(r.value()));
        }
        return out;
    }

    /**
     * Reads a snapshot topic of one partition until every model has published a snapshot after
     * event time {@code last}, and returns each model's snapshots up to {@code last} in the order
     * they were published. The later snapshots are the positive signal that nothing more is coming
     * for the earlier boundaries: a duplicate would have been published before them.
     */
    public static Map<String, List<SparseModelSnapshot>> snapshotsUpTo(
            String bootstrap, String topic, Collection<String> modelIds, long last, Duration timeout) {
        List<SparseModelSnapshot> all = new ArrayList<>();
        Topics.readUntil(
                bootstrap,
                topic,
                records -> {
                    all.clear();
                    records.forEach(r -> all.add(ModelSnapshots.fromBytes(r.value())));
                    return modelIds.stream()
                            .allMatch(id ->
                                    all.stream().anyMatch(s -> s.getModelId().equals(id) && s.getEventTime() > last));
                },
                timeout);
        for (String id : modelIds) {
            assertThat(all)
                    .as("model %s published after event time %s within %s", id, last, timeout)
                    .anyMatch(s -> s.getModelId().equals(id) && s.getEventTime() > last);
        }
        Map<String, List<SparseModelSnapshot>> out = new TreeMap<>();
        for (SparseModelSnapshot s : all) {
            if (s.getEventTime() <= last) {
                out.computeIfAbsent(s.getModelId(), k -> new ArrayList<>()).add(s);
            }
        }
        return out;
    }

    /**
     * Asserts that each model's snapshots are versions 1, 2, 3, ... and equal, byte for byte, the
     * first ones {@code expected} has of that model.
     */
    public static void assertSameBytes(
            Map<String, List<SparseModelSnapshot>> actual, Map<String, List<SparseModelSnapshot>> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (Map.Entry<String, List<SparseModelSnapshot>> e : actual.entrySet()) {
            List<SparseModelSnapshot> got = e.getValue();
            assertThat(got.size()).isLessThanOrEqualTo(expected.get(e.getKey()).size());
            for (int v = 0; v < got.size(); v++) {
                assertThat(got.get(v).getVersion()).as("no gap, no duplicate").isEqualTo(v + 1L);
                assertThat(ModelSnapshots.toBytes(got.get(v)))
                        .as("%s v%s", e.getKey(), v + 1)
                        .isEqualTo(
                                ModelSnapshots.toBytes(expected.get(e.getKey()).get(v)));
            }
        }
    }

    /** Returns how many snapshots of {@code snapshots} fall at boundaries up to {@code last} (not at the end of input). */
    public static int boundariesUpTo(Map<String, List<SparseModelSnapshot>> snapshots, long last) {
        int n = 0;
        for (List<SparseModelSnapshot> list : snapshots.values()) {
            n += (int) list.stream()
                    .filter(s -> s.getReason() != SnapshotReason.END_OF_INPUT && s.getEventTime() <= last)
                    .count();
        }
        return n;
    }
}
