package org.cyclicalpruning.pipeline.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.schemas.ModelDeclaration;

/**
 * Every setting of the job: key, type, default and meaning in one place. Keys are hierarchical
 * ({@code kafka.bootstrap-servers}), and may be written nested in YAML ({@code kafka:
 * {bootstrap-servers: ...}}); the flat keys of release 0.1.0 ({@code bootstrap-servers}) still
 * work.
 */
public final class JobOptions {
    private JobOptions() {}

    public static final JobOption<String> BOOTSTRAP_SERVERS = option(
            "kafka.bootstrap-servers",
            "bootstrap-servers",
            ValueType.STRING,
            "localhost:9092",
            "Kafka brokers, host:port[,host:port...].");

    public static final JobOption<Map<String, String>> KAFKA_PROPERTIES = option(
            "kafka.properties",
            "kafka-properties",
            ValueType.PROPERTIES,
            Map.of(),
            "Passed to every Kafka client (source, sinks), e.g. security.protocol, sasl.jaas.config;"
                    + " values whose key names a password, secret, key, token, credential or JAAS config"
                    + " are never printed.");

    public static final JobOption<String> GROUP_ID = option(
            "kafka.group-id",
            "group-id",
            ValueType.STRING,
            "cyclical-pruning",
            "Consumer group of the source; offsets are committed on checkpoints, for monitoring only.");

    public static final JobOption<Optional<String>> TRANSACTIONAL_ID_PREFIX = option(
            "kafka.transactional-id-prefix",
            "transactional-id-prefix",
            ValueType.OPTIONAL_STRING,
            Optional.empty(),
            "Prefix of the exactly-once sinks' Kafka transactional ids, which two jobs on one Kafka cluster"
                    + " must not share (they would fence each other); none: kafka.group-id and topics.snapshots"
                    + " joined by '-'.");

    public static final JobOption<String> INPUT_TOPIC = option(
            "topics.input",
            "input-topic",
            ValueType.STRING,
            "training-batches",
            "TrainingBatch records in (Avro binary, key = model id).");

    public static final JobOption<String> SNAPSHOT_TOPIC = option(
            "topics.snapshots",
            "snapshot-topic",
            ValueType.STRING,
            "model-snapshots",
            "SparseModelSnapshot records out, exactly once; a compacted topic keyed by model id.");

    public static final JobOption<String> DEAD_LETTER_TOPIC = option(
            "topics.dead-letters",
            "dead-letter-topic",
            ValueType.STRING,
            "dead-letters",
            "DeadLetter records out: every input that cannot be used.");

    public static final JobOption<StartingOffsets> STARTING_OFFSETS = option(
            "source.starting-offsets",
            "starting-offsets",
            ValueType.enumOf(StartingOffsets.class),
            StartingOffsets.EARLIEST,
            "Where a job without a checkpoint starts: earliest, latest, or committed (falling back to" + " earliest).");

    public static final JobOption<Framing> FRAMING = option(
            "source.framing",
            ValueType.enumOf(Framing.class),
            Framing.AUTO,
            "auto: plain Avro, or a schema registry's wire format (byte 0, a 4-byte schema id, Avro) when"
                    + " schema-registry.url is set; plain; or confluent (every record framed).");

    public static final JobOption<Optional<String>> SCHEMA_REGISTRY_URL = option(
            "schema-registry.url",
            ValueType.OPTIONAL_STRING,
            Optional.empty(),
            "A schema registry speaking Confluent's REST API (Confluent, Apicurio, Karapace, Redpanda),"
                    + " where the writer schemas of framed batches are looked up by id and, with sinks.framing:"
                    + " confluent, the output schemas registered; none reads and writes plain Avro only.");

    public static final JobOption<Map<String, String>> SCHEMA_REGISTRY_PROPERTIES = option(
            "schema-registry.properties",
            ValueType.PROPERTIES,
            Map.of(),
            "basic.auth.user.info (user:password), ssl.truststore.location, ssl.truststore.password,"
                    + " ssl.truststore.type; credentials are never printed.");

    public static final JobOption<Duration> SCHEMA_REGISTRY_MAX_WAIT = option(
            "schema-registry.max-wait",
            ValueType.POSITIVE_DURATION,
            Duration.ofSeconds(30),
            "How long a batch waits for a registry that does not answer (retried with growing pauses)"
                    + " before it is dead-lettered as REGISTRY_UNAVAILABLE; schemas once read are cached, so an"
                    + " outage only holds back schema ids not seen before.");

    public static final JobOption<SinkFraming> SINK_FRAMING = option(
            "sinks.framing",
            ValueType.enumOf(SinkFraming.class),
            SinkFraming.PLAIN,
            "plain: snapshots and dead letters in plain Avro binary; confluent: in a schema registry's wire"
                    + " format, their schemas registered under <topic>-value at submission, for consumers with"
                    + " registry deserializers (needs schema-registry.url). The project's readers read both.");

    public static final JobOption<SinkFraming> SINK_KEY_FRAMING = option(
            "sinks.key-framing",
            ValueType.enumOf(SinkFraming.class),
            SinkFraming.PLAIN,
            "plain: the keys of snapshots and dead letters are the model id in UTF-8, as string"
                    + " deserializers read them; confluent: an Avro string in a schema registry's wire format,"
                    + " the schema \"string\" registered under <topic>-key, for consumers that deserialize keys"
                    + " with the registry too (Python's AvroConsumer, Kafka Connect's AvroConverter for keys).");

    public static final JobOption<Boolean> BOUNDED = option(
            "source.bounded",
            "bounded",
            ValueType.BOOLEAN,
            false,
            "Stop at the offsets that were latest at start, then publish END_OF_INPUT snapshots.");

    public static final JobOption<Duration> MAX_OUT_OF_ORDERNESS = option(
            "source.max-out-of-orderness",
            "max-out-of-orderness",
            ValueType.NON_NEGATIVE_DURATION,
            Duration.ofSeconds(1),
            "Watermark lag behind the latest event time.");

    public static final JobOption<Duration> IDLENESS = option(
            "source.idleness",
            "idleness",
            ValueType.POSITIVE_DURATION,
            Duration.ofSeconds(30),
            "After this long without records a partition stops holding the watermark back (not in bounded runs).");

    public static final JobOption<Optional<Integer>> PARALLELISM = option(
            "parallelism",
            ValueType.OPTIONAL_POSITIVE_INT,
            Optional.empty(),
            "Parallelism of every operator; none keeps Flink's own (flink run -p, the operator's"
                    + " spec.job.parallelism, parallelism.default; inside java -jar, 1).");

    public static final JobOption<Duration> CHECKPOINT_INTERVAL = option(
            "checkpoint.interval",
            "checkpoint-interval",
            ValueType.POSITIVE_DURATION,
            Duration.ofSeconds(10),
            "Time between checkpoints.");

    public static final JobOption<Optional<String>> CHECKPOINT_DIR = option(
            "checkpoint.dir",
            "checkpoint-dir",
            ValueType.OPTIONAL_STRING,
            Optional.empty(),
            "Where checkpoints go (any Flink file system URI); none takes the cluster's"
                    + " execution.checkpointing.dir, or a temporary folder when the job runs inside java -jar"
                    + " (Flink would otherwise keep checkpoints in the JobManager's memory, which refuses"
                    + " states above 5 MB).");

    public static final JobOption<Integer> CHECKPOINT_TOLERABLE_FAILURES = option(
            "checkpoint.tolerable-failures",
            ValueType.NON_NEGATIVE_INT,
            30,
            "Checkpoints in a row that may fail (checkpoint storage unreachable, a timeout) before the job"
                    + " restarts; at the 10 s interval, 30 ride out 5 minutes of storage outage, less than the"
                    + " sinks' 10-minute transaction timeout. Snapshots wait for the next checkpoint that"
                    + " completes: late, never lost. Flink's default, 0, restarts at the first failure.");

    public static final JobOption<Integer> RESTART_ATTEMPTS = option(
            "restart.attempts",
            "restart-attempts",
            ValueType.NON_NEGATIVE_INT,
            10,
            "Fixed-delay restarts before the job fails.");

    public static final JobOption<Duration> RESTART_DELAY = option(
            "restart.delay",
            "restart-delay",
            ValueType.NON_NEGATIVE_DURATION,
            Duration.ofSeconds(2),
            "Pause before a restart.");

    public static final JobOption<Optional<Duration>> SNAPSHOT_INTERVAL = option(
            "snapshots.interval",
            "snapshot-interval",
            ValueType.OPTIONAL_DURATION,
            Optional.empty(),
            "Also publish a snapshot every this much event time, counted from the model's first batch;"
                    + " none publishes at the schedule's milestones (cycle ends) only.");

    public static final JobOption<Optional<String>> SNAPSHOT_DIR = option(
            "snapshots.dir",
            "snapshot-dir",
            ValueType.OPTIONAL_STRING,
            Optional.empty(),
            "File sink folder (Avro container files per model id); any Flink file system URI; none for no" + " files.");

    public static final JobOption<Optional<Long>> SNAPSHOT_LINEAGE = option(
            "snapshots.lineage",
            ValueType.OPTIONAL_POSITIVE_LONG,
            Optional.empty(),
            "The lineage of the snapshots of models this deployment creates (models restored from a"
                    + " checkpoint or savepoint keep theirs); none: the time the job is built, epoch ms, so that"
                    + " a deployment without state outranks the one before it at every follower. Set it only to"
                    + " reproduce a run byte for byte.");

    public static final JobOption<Integer> MAX_SNAPSHOT_BYTES = option(
            "snapshots.max-bytes",
            "max-snapshot-bytes",
            ValueType.POSITIVE_INT,
            64 << 20,
            "Largest snapshot record the sink writes (its producer's max.request.size); a model whose"
                    + " snapshot with every weight kept could exceed it fails the config at start. The topics"
                    + " need max.message.bytes above it and above limits.max-record-bytes.");

    public static final JobOption<Integer> MAX_BATCH_ROWS = option(
            "limits.max-batch-rows",
            "max-batch-rows",
            ValueType.POSITIVE_INT,
            8192,
            "Batches with more rows are dead-lettered (BATCH_TOO_LARGE).");

    public static final JobOption<Long> MAX_BATCH_VALUES = option(
            "limits.max-batch-values",
            "max-batch-values",
            ValueType.POSITIVE_LONG,
            8L << 20,
            "Batches with more feature values (rows x dim) are dead-lettered (BATCH_TOO_LARGE).");

    public static final JobOption<Integer> MAX_RECORD_BYTES = option(
            "limits.max-record-bytes",
            "max-record-bytes",
            ValueType.POSITIVE_INT,
            64 << 20,
            "Larger records are dead-lettered before decoding; the dead letter keeps their first this many"
                    + " bytes.");

    public static final JobOption<Integer> MAX_MODEL_ID_BYTES = option(
            "limits.max-model-id-bytes",
            ValueType.POSITIVE_INT,
            256,
            "Batches whose model id is empty or longer than this many bytes of UTF-8 are dead-lettered"
                    + " (BAD_MODEL_ID).");

    public static final JobOption<Duration> MAX_EVENT_TIME_SKEW = option(
            "limits.max-event-time-skew",
            ValueType.NON_NEGATIVE_DURATION,
            Duration.ofHours(1),
            "Batches whose event time is negative, or further ahead of their Kafka record's timestamp (the"
                    + " time it was written) than this, are dead-lettered (EVENT_TIME_OUT_OF_RANGE), so that"
                    + " a mistaken clock cannot move a model's schedule or the watermark for good.");

    public static final JobOption<Double> MAX_ABS_VALUE = option(
            "limits.max-abs-value",
            ValueType.POSITIVE_DOUBLE,
            1e6,
            "Batches with a feature or target of larger magnitude (for uint8 features: 255 / uint8Divisor)"
                    + " are dead-lettered (VALUE_OUT_OF_RANGE): float32 training cannot take them.");

    public static final JobOption<Integer> MAX_MODELS = option(
            "limits.max-models",
            ValueType.POSITIVE_INT,
            1000,
            "With a default-model, batches that would create more than this many models in the job are"
                    + " dead-lettered (TOO_MANY_MODELS); declared models do not count.");

    public static final JobOption<Integer> HOT_MODELS = option(
            "training.hot-models",
            "hot-models",
            ValueType.POSITIVE_INT,
            1024,
            "Models kept in native memory per subtask; the least recently used one beyond it is written to"
                    + " keyed state and closed.");

    public static final JobOption<DeviceChoice> DEVICE = option(
            "training.device",
            "device",
            ValueType.enumOf(DeviceChoice.class),
            DeviceChoice.AUTO,
            "auto (a GPU when DJL finds one), cpu or gpu.");

    public static final JobOption<Integer> INTRA_OP_THREADS = option(
            "training.intra-op-threads",
            "intra-op-threads",
            ValueType.NON_NEGATIVE_INT,
            0,
            "PyTorch's intra-op threads per TaskManager (process-wide), 0 for PyTorch's default (one per"
                    + " core); on small machines 1 leaves a core to Kafka, decoding and Flink's network"
                    + " threads.");

    public static final JobOption<Integer> METRICS_MAX_MODELS = option(
            "metrics.max-models",
            ValueType.NON_NEGATIVE_INT,
            100,
            "Models per subtask that get metrics of their own (a group model=<id> of 14 series, which"
                    + " Prometheus labels model=\"<id>\"); the ones after them get none. 0 turns per-model metrics"
                    + " off. The job-wide metrics (dead letters per cause, training time) are always there.");

    public static final JobOption<List<ModelDeclaration>> MODELS =
            option("models", ValueType.MODELS, List.of(), "The models: a list of declarations (keys below).");

    public static final JobOption<Optional<ModelDeclaration>> DEFAULT_MODEL = option(
            "default-model",
            ValueType.DEFAULT_MODEL,
            Optional.empty(),
            "A declaration (keys below, no id) for model ids that are not declared; none dead-letters them.");

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
            FRAMING,
            SCHEMA_REGISTRY_URL,
            SCHEMA_REGISTRY_PROPERTIES,
            SCHEMA_REGISTRY_MAX_WAIT,
            SINK_FRAMING,
            SINK_KEY_FRAMING,
            BOUNDED,
            MAX_OUT_OF_ORDERNESS,
            IDLENESS,
            PARALLELISM,
            CHECKPOINT_INTERVAL,
            CHECKPOINT_DIR,
            CHECKPOINT_TOLERABLE_FAILURES,
            RESTART_ATTEMPTS,
            RESTART_DELAY,
            SNAPSHOT_INTERVAL,
            SNAPSHOT_DIR,
            SNAPSHOT_LINEAGE,
            MAX_SNAPSHOT_BYTES,
            MAX_BATCH_ROWS,
            MAX_BATCH_VALUES,
            MAX_RECORD_BYTES,
            MAX_MODEL_ID_BYTES,
            MAX_EVENT_TIME_SKEW,
            MAX_ABS_VALUE,
            MAX_MODELS,
            HOT_MODELS,
            DEVICE,
            INTRA_OP_THREADS,
            METRICS_MAX_MODELS,
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

    /** Returns an option that the flat key of release 0.1.0 also sets. */
    private static <T> JobOption<T> option(
            String key, String deprecatedKey, ValueType<T> type, T defaultValue, String description) {
        return new JobOption<>(key, List.of(deprecatedKey), type, defaultValue, description);
    }

    private static <T> JobOption<T> option(String key, ValueType<T> type, T defaultValue, String description) {
        return new JobOption<>(key, List.of(), type, defaultValue, description);
    }
}
