package org.cyclicalpruning.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.util.Durations;
import org.cyclicalpruning.schemas.ModelDeclaration;

/**
 * Every setting of the job: key, type, default and meaning in one place. Keys are hierarchical
 * ({@code kafka.bootstrap-servers}), and may be written nested in YAML ({@code kafka:
 * {bootstrap-servers: ...}}); the flat keys of release 0.1.0 ({@code bootstrap-servers}) still
 * work.
 */
public final class JobOptions {
    private JobOptions() {}

    public static final JobOption<String> BOOTSTRAP_SERVERS = string(
                    "kafka.bootstrap-servers", "localhost:9092", "Kafka brokers, host:port[,host:port...].")
            .withDeprecatedKeys("bootstrap-servers");

    public static final JobOption<Map<String, String>> KAFKA_PROPERTIES = new JobOption<Map<String, String>>(
                    "kafka.properties",
                    List.of(),
                    Map.<String, String>of(),
                    "Passed to every Kafka client (source, sinks), e.g. security.protocol, sasl.jaas.config;"
                            + " values whose key names a password, secret, key, token, credential or JAAS config"
                            + " are never printed.",
                    JobOptions::properties,
                    m -> m.isEmpty() ? "{}" : Secrets.redacted(m).toString())
            .withDeprecatedKeys("kafka-properties");

    public static final JobOption<String> GROUP_ID = string(
                    "kafka.group-id",
                    "cyclical-pruning",
                    "Consumer group of the source; offsets are committed on checkpoints, for monitoring only.")
            .withDeprecatedKeys("group-id");

    public static final JobOption<String> TRANSACTIONAL_ID_PREFIX = string(
                    "kafka.transactional-id-prefix",
                    "cyclical-pruning",
                    "Prefix of the exactly-once sinks' Kafka transactional ids; unique per job on a cluster.")
            .withDeprecatedKeys("transactional-id-prefix");

    public static final JobOption<String> INPUT_TOPIC = string(
                    "topics.input", "training-batches", "TrainingBatch records in (Avro binary, key = model id).")
            .withDeprecatedKeys("input-topic");

    public static final JobOption<String> SNAPSHOT_TOPIC = string(
                    "topics.snapshots",
                    "model-snapshots",
                    "SparseModelSnapshot records out, exactly once; a compacted topic keyed by model id.")
            .withDeprecatedKeys("snapshot-topic");

    public static final JobOption<String> DEAD_LETTER_TOPIC = string(
                    "topics.dead-letters", "dead-letters", "DeadLetter records out: every input that cannot be used.")
            .withDeprecatedKeys("dead-letter-topic");

    public static final JobOption<StartingOffsets> STARTING_OFFSETS = enumOption(
                    "source.starting-offsets",
                    StartingOffsets.class,
                    StartingOffsets.EARLIEST,
                    "Where a job without a checkpoint starts: earliest, latest, or committed (falling back to"
                            + " earliest).")
            .withDeprecatedKeys("starting-offsets");

    public static final JobOption<Boolean> BOUNDED = bool(
                    "source.bounded",
                    false,
                    "Stop at the offsets that were latest at start, then publish END_OF_INPUT snapshots.")
            .withDeprecatedKeys("bounded");

    public static final JobOption<Duration> MAX_OUT_OF_ORDERNESS = duration(
                    "source.max-out-of-orderness",
                    Duration.ofSeconds(1),
                    false,
                    "Watermark lag behind the latest event time.")
            .withDeprecatedKeys("max-out-of-orderness");

    public static final JobOption<Duration> IDLENESS = duration(
                    "source.idleness",
                    Duration.ofSeconds(30),
                    true,
                    "After this long without records a partition stops holding the watermark back.")
            .withDeprecatedKeys("idleness");

    public static final JobOption<Integer> PARALLELISM =
            positiveInt("parallelism", 1, "Parallelism of every operator.");

    public static final JobOption<Duration> CHECKPOINT_INTERVAL = duration(
                    "checkpoint.interval", Duration.ofSeconds(10), true, "Time between checkpoints.")
            .withDeprecatedKeys("checkpoint-interval");

    public static final JobOption<Optional<String>> CHECKPOINT_DIR = optionalString(
                    "checkpoint.dir",
                    "Where checkpoints go (any Flink file system URI); none takes the cluster's"
                            + " execution.checkpointing.dir, or a temporary folder when the job runs inside java -jar"
                            + " (Flink would otherwise keep checkpoints in the JobManager's memory, which refuses"
                            + " states above 5 MB).")
            .withDeprecatedKeys("checkpoint-dir");

    public static final JobOption<Integer> RESTART_ATTEMPTS = nonNegativeInt(
                    "restart.attempts", 10, "Fixed-delay restarts before the job fails.")
            .withDeprecatedKeys("restart-attempts");

    public static final JobOption<Duration> RESTART_DELAY = duration(
                    "restart.delay", Duration.ofSeconds(2), false, "Pause before a restart.")
            .withDeprecatedKeys("restart-delay");

    public static final JobOption<Optional<Duration>> SNAPSHOT_INTERVAL = optionalDuration(
                    "snapshots.interval",
                    "Also publish a snapshot every this much event time, counted from the model's first batch;"
                            + " none publishes at the schedule's milestones (cycle ends) only.")
            .withDeprecatedKeys("snapshot-interval");

    public static final JobOption<Optional<String>> SNAPSHOT_DIR = optionalString(
                    "snapshots.dir",
                    "File sink folder (Avro container files per model id); any Flink file system URI; none for no"
                            + " files.")
            .withDeprecatedKeys("snapshot-dir");

    public static final JobOption<Integer> MAX_SNAPSHOT_BYTES = positiveInt(
                    "snapshots.max-bytes",
                    64 << 20,
                    "Largest snapshot record the sink writes (its producer's max.request.size); a model whose"
                            + " snapshot with every weight kept could exceed it fails the config at start. The topics"
                            + " need max.message.bytes above it and above limits.max-record-bytes.")
            .withDeprecatedKeys("max-snapshot-bytes");

    public static final JobOption<Integer> MAX_BATCH_ROWS = positiveInt(
                    "limits.max-batch-rows", 8192, "Batches with more rows are dead-lettered (BATCH_TOO_LARGE).")
            .withDeprecatedKeys("max-batch-rows");

    public static final JobOption<Long> MAX_BATCH_VALUES = positiveLong(
                    "limits.max-batch-values",
                    8L << 20,
                    "Batches with more feature values (rows x dim) are dead-lettered (BATCH_TOO_LARGE).")
            .withDeprecatedKeys("max-batch-values");

    public static final JobOption<Integer> MAX_RECORD_BYTES = positiveInt(
                    "limits.max-record-bytes",
                    64 << 20,
                    "Larger records are dead-lettered before decoding; the dead letter keeps their first this many"
                            + " bytes.")
            .withDeprecatedKeys("max-record-bytes");

    public static final JobOption<Integer> HOT_MODELS = positiveInt(
                    "training.hot-models",
                    1024,
                    "Models kept in native memory per subtask; the least recently used one beyond it is written to"
                            + " keyed state and closed.")
            .withDeprecatedKeys("hot-models");

    public static final JobOption<DeviceChoice> DEVICE = enumOption(
                    "training.device",
                    DeviceChoice.class,
                    DeviceChoice.AUTO,
                    "auto (a GPU when DJL finds one), cpu or gpu.")
            .withDeprecatedKeys("device");

    public static final JobOption<Integer> INTRA_OP_THREADS = nonNegativeInt(
                    "training.intra-op-threads",
                    0,
                    "PyTorch's intra-op threads per TaskManager (process-wide), 0 for PyTorch's default (one per"
                            + " core); on small machines 1 leaves a core to Kafka, decoding and Flink's network"
                            + " threads.")
            .withDeprecatedKeys("intra-op-threads");

    public static final JobOption<List<ModelDeclaration>> MODELS = new JobOption<>(
            "models",
            List.of(),
            List.of(),
            "The models: a list of declarations (keys below).",
            value -> ModelDeclarations.list("models", value),
            list -> list.isEmpty() ? "[]" : list.size() + " models");

    public static final JobOption<Optional<ModelDeclaration>> DEFAULT_MODEL = new JobOption<>(
            "default-model",
            List.of(),
            Optional.empty(),
            "A declaration (keys below, no id) for model ids that are not declared; none dead-letters them.",
            value -> isNone(value)
                    ? Optional.empty()
                    : Optional.of(ModelDeclarations.declaration("default-model", value, false)),
            d -> d.isEmpty() ? "none" : "a model");

    /** Every option, in the order the README lists them. */
    public static final List<JobOption<?>> ALL = List.of(
            BOOTSTRAP_SERVERS,
            KAFKA_PROPERTIES,
            GROUP_ID,
            TRANSACTIONAL_ID_PREFIX,
            INPUT_TOPIC,
            SNAPSHOT_TOPIC,
            DEAD_LETTER_TOPIC,
            STARTING_OFFSETS,
            BOUNDED,
            MAX_OUT_OF_ORDERNESS,
            IDLENESS,
            PARALLELISM,
            CHECKPOINT_INTERVAL,
            CHECKPOINT_DIR,
            RESTART_ATTEMPTS,
            RESTART_DELAY,
            SNAPSHOT_INTERVAL,
            SNAPSHOT_DIR,
            MAX_SNAPSHOT_BYTES,
            MAX_BATCH_ROWS,
            MAX_BATCH_VALUES,
            MAX_RECORD_BYTES,
            HOT_MODELS,
            DEVICE,
            INTRA_OP_THREADS,
            MODELS,
            DEFAULT_MODEL);

    /** Returns the option a key (current or deprecated) sets, if any. */
    static Optional<JobOption<?>> byKey(String key) {
        return Optional.ofNullable(BY_KEY.get(key));
    }

    private static final Map<String, JobOption<?>> BY_KEY = byKey();

    private static Map<String, JobOption<?>> byKey() {
        Map<String, JobOption<?>> m = new LinkedHashMap<>();
        for (JobOption<?> o : ALL) {
            m.put(o.key(), o);
            o.deprecatedKeys().forEach(k -> m.put(k, o));
        }
        return m;
    }

    // ------------- option types --------------

    private static JobOption<String> string(String key, String defaultValue, String description) {
        return new JobOption<>(key, List.of(), defaultValue, description, JobOptions::nonEmpty, s -> s);
    }

    private static JobOption<Optional<String>> optionalString(String key, String description) {
        return new JobOption<>(
                key,
                List.of(),
                Optional.empty(),
                description,
                v -> isNone(v) ? Optional.empty() : Optional.of(nonEmpty(v)),
                o -> o.orElse("none"));
    }

    private static JobOption<Boolean> bool(String key, boolean defaultValue, String description) {
        return new JobOption<>(
                key,
                List.of(),
                defaultValue,
                description,
                v -> {
                    String t = scalar(v);
                    if (!t.equals("true") && !t.equals("false")) {
                        throw new IllegalArgumentException("must be true or false, got '" + t + "'");
                    }
                    return Boolean.parseBoolean(t);
                },
                String::valueOf);
    }

    private static JobOption<Integer> positiveInt(String key, int defaultValue, String description) {
        return new JobOption<>(
                key,
                List.of(),
                defaultValue,
                description,
                v -> (int) whole(v, 1, Integer.MAX_VALUE, "a positive whole number"),
                String::valueOf);
    }

    private static JobOption<Integer> nonNegativeInt(String key, int defaultValue, String description) {
        return new JobOption<>(
                key,
                List.of(),
                defaultValue,
                description,
                v -> (int) whole(v, 0, Integer.MAX_VALUE, "a whole number >= 0"),
                String::valueOf);
    }

    private static JobOption<Long> positiveLong(String key, long defaultValue, String description) {
        return new JobOption<>(
                key,
                List.of(),
                defaultValue,
                description,
                v -> whole(v, 1, Long.MAX_VALUE, "a positive whole number"),
                String::valueOf);
    }

    private static JobOption<Duration> duration(
            String key, Duration defaultValue, boolean positive, String description) {
        return new JobOption<>(
                key, List.of(), defaultValue, description, v -> durationOf(v, positive), Durations::format);
    }

    private static JobOption<Optional<Duration>> optionalDuration(String key, String description) {
        return new JobOption<>(
                key,
                List.of(),
                Optional.empty(),
                description,
                v -> isNone(v) ? Optional.empty() : Optional.of(durationOf(v, true)),
                o -> o.map(Durations::format).orElse("none"));
    }

    private static <E extends Enum<E>> JobOption<E> enumOption(
            String key, Class<E> type, E defaultValue, String description) {
        Function<E, String> text = e -> e.name().toLowerCase(Locale.ROOT);
        return new JobOption<>(
                key,
                List.of(),
                defaultValue,
                description,
                v -> {
                    String t = scalar(v);
                    for (E e : type.getEnumConstants()) {
                        if (text.apply(e).equals(t.toLowerCase(Locale.ROOT))) {
                            return e;
                        }
                    }
                    throw new IllegalArgumentException("must be one of "
                            + Arrays.stream(type.getEnumConstants()).map(text).toList() + ", got '" + t + "'");
                },
                text);
    }

    // ------------- value readers --------------

    static boolean isNone(JsonNode v) {
        return v == null
                || v.isNull()
                || (v.isValueNode() && (v.asText().isBlank() || v.asText().equals("none")));
    }

    static String scalar(JsonNode v) {
        if (v == null || v.isNull() || !v.isValueNode()) {
            throw new IllegalArgumentException(
                    "must be a single value, got " + (v == null ? "nothing" : v.getNodeType()));
        }
        return v.asText().trim();
    }

    private static String nonEmpty(JsonNode v) {
        String t = scalar(v);
        if (t.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return t;
    }

    static long whole(JsonNode v, long min, long max, String what) {
        String t = scalar(v);
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be " + what + ", got '" + t + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be " + what + ", got " + n);
        }
        return n;
    }

    private static Duration durationOf(JsonNode v, boolean positive) {
        Duration d;
        try {
            d = Durations.parse(scalar(v));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "must be a duration such as " + Durations.FORMS + ", got '" + scalar(v) + "'", e);
        }
        if (d.isNegative() || (positive && d.isZero())) {
            throw new IllegalArgumentException("must be " + (positive ? "positive" : ">= 0") + ", got " + scalar(v));
        }
        return d;
    }

    private static Map<String, String> properties(JsonNode v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (isNone(v)) {
            return out;
        }
        if (!v.isObject()) {
            throw new IllegalArgumentException("must be a mapping of Kafka client properties");
        }
        v.fields().forEachRemaining(f -> {
            if (!f.getValue().isValueNode()) {
                throw new IllegalArgumentException("." + f.getKey() + " must be a single value");
            }
            out.put(f.getKey(), f.getValue().asText());
        });
        return out;
    }
}
