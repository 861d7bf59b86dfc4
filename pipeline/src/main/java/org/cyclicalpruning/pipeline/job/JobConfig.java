package org.cyclicalpruning.pipeline.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.OptimizerKind;

/**
 * The streaming job's configuration: where to read and write, how to checkpoint, and which
 * models to train. Read from YAML by {@link #load(Path)} or {@link #parse(String)}; every key has
 * a default except {@code models} (or {@code default-model}); an unknown key, a bad value or an
 * invalid model fails at once with a message naming the key.
 *
 * @param bootstrapServers Kafka brokers
 * @param inputTopic the topic of {@code TrainingBatch} records
 * @param snapshotTopic the compacted topic that receives {@code SparseModelSnapshot}s
 * @param deadLetterTopic the topic that receives {@code DeadLetter}s
 * @param groupId consumer group of the source (offsets are committed on checkpoints, for monitoring)
 * @param startingOffsets earliest, latest or committed (falling back to earliest)
 * @param bounded stop at the offsets that were latest when the job started
 * @param parallelism operator parallelism
 * @param checkpointInterval time between checkpoints
 * @param checkpointDir where checkpoints go (a Flink file system URI); null for the cluster's
 *     {@code execution.checkpointing.dir}
 * @param maxOutOfOrderness how late a batch may be, in event time, before the watermark passes it
 * @param idleness after how long without records a partition stops holding back the watermark
 * @param snapshotInterval emit a snapshot every this much event time too; null for cycle ends only
 * @param snapshotDir where the file sink writes Avro snapshot files; null for none
 * @param maxBatchRows larger batches are dead-lettered
 * @param maxBatchValues batches with more feature values are dead-lettered
 * @param maxRecordBytes larger Kafka records are dead-lettered before decoding
 * @param maxSnapshotBytes the largest snapshot record the sink may write (its producer's {@code
 *     max.request.size}); a model whose dense snapshot could exceed it fails the config
 * @param hotModels models kept in native memory between batches; others are reloaded from state
 * @param device auto, cpu or gpu
 * @param intraOpThreads PyTorch's intra-op threads in each TaskManager, 0 for PyTorch's default
 * @param restartAttempts restarts before the job fails
 * @param restartDelay pause before a restart
 * @param transactionalIdPrefix prefix of the exactly-once sinks' transactional ids
 * @param kafkaProperties passed to every Kafka client (security settings go here); never logged
 * @param models declared models by id
 * @param defaultModel used for unknown ids, or null to dead-letter them
 */
public record JobConfig(
        String bootstrapServers,
        String inputTopic,
        String snapshotTopic,
        String deadLetterTopic,
        String groupId,
        String startingOffsets,
        boolean bounded,
        int parallelism,
        Duration checkpointInterval,
        String checkpointDir,
        Duration maxOutOfOrderness,
        Duration idleness,
        Duration snapshotInterval,
        String snapshotDir,
        int maxBatchRows,
        long maxBatchValues,
        int maxRecordBytes,
        int maxSnapshotBytes,
        int hotModels,
        DeviceChoice device,
        int intraOpThreads,
        int restartAttempts,
        Duration restartDelay,
        String transactionalIdPrefix,
        Map<String, String> kafkaProperties,
        Map<String, ModelDeclaration> models,
        ModelDeclaration defaultModel)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The keys of the YAML file with their defaults, in the order the README lists them. */
    public static final Map<String, String> DEFAULTS = defaults();

    private static final Set<String> MODEL_KEYS = Set.of(
            "id",
            "spec",
            "schedule",
            "pruning",
            "mask-interval",
            "regrowth",
            "optimizer",
            "learning-rate",
            "momentum",
            "weight-decay",
            "seed");
    private static final Pattern UNIT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    public JobConfig {
        kafkaProperties = Collections.unmodifiableMap(new LinkedHashMap<>(kafkaProperties));
        models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
        for (ModelDeclaration d : models.values()) {
            checkSnapshotFits(d, maxSnapshotBytes);
        }
        if (defaultModel != null) {
            checkSnapshotFits(defaultModel, maxSnapshotBytes);
        }
    }

    /** Bytes a snapshot of the model may take at most: every weight kept, plus headers. */
    static long snapshotBound(ModelDeclaration d) {
        return 4L * ModelSpec.parse(d.getSpec()).parameterCount() + (64 << 10);
    }

    private static void checkSnapshotFits(ModelDeclaration d, int maxSnapshotBytes) {
        long bound = snapshotBound(d);
        require(
                bound <= maxSnapshotBytes,
                "model '%s' (%s) may publish snapshots of up to %s bytes (all weights kept), more than max-snapshot-bytes %s;"
                        + " raise max-snapshot-bytes, and the snapshot topic's max.message.bytes with it",
                d.getModelId(),
                d.getSpec(),
                bound,
                maxSnapshotBytes);
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("bootstrap-servers", "localhost:9092");
        d.put("input-topic", "training-batches");
        d.put("snapshot-topic", "model-snapshots");
        d.put("dead-letter-topic", "dead-letters");
        d.put("group-id", "cyclical-pruning");
        d.put("starting-offsets", "earliest");
        d.put("bounded", "false");
        d.put("parallelism", "1");
        d.put("checkpoint-interval", "10s");
        d.put("checkpoint-dir", "none");
        d.put("max-out-of-orderness", "1s");
        d.put("idleness", "30s");
        d.put("snapshot-interval", "none");
        d.put("snapshot-dir", "none");
        d.put("max-batch-rows", "8192");
        d.put("max-batch-values", "8388608");
        d.put("max-record-bytes", "67108864");
        d.put("max-snapshot-bytes", "67108864");
        d.put("hot-models", "1024");
        d.put("device", "auto");
        d.put("intra-op-threads", "0");
        d.put("restart-attempts", "10");
        d.put("restart-delay", "2s");
        d.put("transactional-id-prefix", "cyclical-pruning");
        d.put("kafka-properties", "{}");
        d.put("models", "[]");
        d.put("default-model", "none");
        return Collections.unmodifiableMap(d);
    }

    /** Returns the configuration with every default and no models. */
    public static JobConfig defaultConfig() {
        return parse("{}", false);
    }

    /**
     * Reads a YAML file.
     *
     * @param file the file
     * @return the configuration
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    public static JobConfig load(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read job config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads YAML text.
     *
     * @param yaml the configuration
     * @return the configuration
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    public static JobConfig parse(String yaml) {
        return parse(yaml, true);
    }

    private static JobConfig parse(String yaml, boolean needModels) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (IOException e) {
            throw new IllegalArgumentException("job config is not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = new ObjectMapper().createObjectNode();
        }
        require(root.isObject(), "job config must be a YAML mapping of keys to values");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            require(
                    DEFAULTS.containsKey(key),
                    "unknown key '%s' in job config; known keys: %s",
                    key,
                    String.join(", ", DEFAULTS.keySet()));
        }
        Reader r = new Reader(root);
        Map<String, ModelDeclaration> models = new LinkedHashMap<>();
        JsonNode list = root.get("models");
        if (list != null && !list.isNull()) {
            require(list.isArray(), "key 'models' must be a list of models, got %s", list.getNodeType());
            for (int i = 0; i < list.size(); i++) {
                ModelDeclaration d = declaration("models[" + i + "]", list.get(i), true);
                require(
                        !models.containsKey(d.getModelId()),
                        "models[%s]: model id '%s' is declared twice",
                        i,
                        d.getModelId());
                models.put(d.getModelId(), d);
            }
        }
        JsonNode defaultNode = root.get("default-model");
        ModelDeclaration defaultModel =
                defaultNode == null || defaultNode.isNull() || "none".equals(defaultNode.asText(null))
                        ? null
                        : declaration("default-model", defaultNode, false);
        require(
                !needModels || !models.isEmpty() || defaultModel != null,
                "job config declares no model: add a 'models' list or a 'default-model'");
        String offsets = r.string("starting-offsets").toLowerCase(Locale.ROOT);
        require(
                Set.of("earliest", "latest", "committed").contains(offsets),
                "key 'starting-offsets' must be earliest, latest or committed, got '%s'",
                offsets);
        JobConfig config = new JobConfig(
                r.string("bootstrap-servers"),
                r.string("input-topic"),
                r.string("snapshot-topic"),
                r.string("dead-letter-topic"),
                r.string("group-id"),
                offsets,
                r.bool("bounded"),
                r.positiveInt("parallelism"),
                r.positiveDuration("checkpoint-interval"),
                r.optionalString("checkpoint-dir"),
                r.duration("max-out-of-orderness"),
                r.positiveDuration("idleness"),
                r.optionalDuration("snapshot-interval"),
                r.optionalString("snapshot-dir"),
                r.positiveInt("max-batch-rows"),
                r.positiveLong("max-batch-values"),
                r.positiveInt("max-record-bytes"),
                r.positiveInt("max-snapshot-bytes"),
                r.positiveInt("hot-models"),
                DeviceChoice.parse(r.string("device")),
                r.nonNegativeInt("intra-op-threads"),
                r.nonNegativeInt("restart-attempts"),
                r.duration("restart-delay"),
                r.string("transactional-id-prefix"),
                r.properties("kafka-properties"),
                models,
                defaultModel);
        return config;
    }

    /**
     * Returns the declaration for a model id: the declared one, the default one renamed, or null.
     *
     * @param modelId the id
     * @return the declaration, or null if the id is unknown and no default is configured
     */
    public ModelDeclaration declarationFor(String modelId) {
        ModelDeclaration declared = models.get(modelId);
        if (declared != null || defaultModel == null) {
            return declared;
        }
        return ModelDeclaration.newBuilder(defaultModel).setModelId(modelId).build();
    }

    /** Returns a copy with other models (tests and the demo build configurations in code). */
    public JobConfig withModels(List<ModelDeclaration> declarations) {
        Map<String, ModelDeclaration> byId = new LinkedHashMap<>();
        for (ModelDeclaration d : declarations) {
            Declarations.validate("model '" + d.getModelId() + "'", d);
            byId.put(d.getModelId(), d);
        }
        return new JobConfig(
                bootstrapServers,
                inputTopic,
                snapshotTopic,
                deadLetterTopic,
                groupId,
                startingOffsets,
                bounded,
                parallelism,
                checkpointInterval,
                checkpointDir,
                maxOutOfOrderness,
                idleness,
                snapshotInterval,
                snapshotDir,
                maxBatchRows,
                maxBatchValues,
                maxRecordBytes,
                maxSnapshotBytes,
                hotModels,
                device,
                intraOpThreads,
                restartAttempts,
                restartDelay,
                transactionalIdPrefix,
                kafkaProperties,
                byId,
                defaultModel);
    }

    /** Returns a copy with settings replaced from YAML text (keys as in the file). */
    public JobConfig with(String yamlOverrides) {
        JsonNode overrides;
        try {
            overrides = new ObjectMapper(new YAMLFactory()).readTree(yamlOverrides);
        } catch (IOException e) {
            throw new IllegalArgumentException("overrides are not valid YAML: " + e.getMessage(), e);
        }
        com.fasterxml.jackson.databind.node.ObjectNode merged = new ObjectMapper().valueToTree(toYamlTree());
        overrides.fields().forEachRemaining(f -> merged.set(f.getKey(), f.getValue()));
        try {
            return parse(new ObjectMapper(new YAMLFactory()).writeValueAsString(merged), false);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Object> toYamlTree() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bootstrap-servers", bootstrapServers);
        m.put("input-topic", inputTopic);
        m.put("snapshot-topic", snapshotTopic);
        m.put("dead-letter-topic", deadLetterTopic);
        m.put("group-id", groupId);
        m.put("starting-offsets", startingOffsets);
        m.put("bounded", bounded);
        m.put("parallelism", parallelism);
        m.put("checkpoint-interval", checkpointInterval.toMillis() + "ms");
        m.put("checkpoint-dir", checkpointDir == null ? "none" : checkpointDir);
        m.put("max-out-of-orderness", maxOutOfOrderness.toMillis() + "ms");
        m.put("idleness", idleness.toMillis() + "ms");
        m.put("snapshot-interval", snapshotInterval == null ? "none" : snapshotInterval.toMillis() + "ms");
        m.put("snapshot-dir", snapshotDir == null ? "none" : snapshotDir);
        m.put("max-batch-rows", maxBatchRows);
        m.put("max-batch-values", maxBatchValues);
        m.put("max-record-bytes", maxRecordBytes);
        m.put("max-snapshot-bytes", maxSnapshotBytes);
        m.put("hot-models", hotModels);
        m.put("device", device.name().toLowerCase(Locale.ROOT));
        m.put("intra-op-threads", intraOpThreads);
        m.put("restart-attempts", restartAttempts);
        m.put("restart-delay", restartDelay.toMillis() + "ms");
        m.put("transactional-id-prefix", transactionalIdPrefix);
        m.put("kafka-properties", kafkaProperties);
        List<Object> list = new ArrayList<>();
        models.values().forEach(d -> list.add(declarationTree(d, true)));
        m.put("models", list);
        m.put("default-model", defaultModel == null ? "none" : declarationTree(defaultModel, false));
        return m;
    }

    private static Map<String, Object> declarationTree(ModelDeclaration d, boolean withId) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (withId) {
            m.put("id", d.getModelId());
        }
        m.put("spec", d.getSpec());
        m.put("schedule", d.getSchedule());
        m.put("pruning", d.getPruning());
        m.put("mask-interval", d.getMaskInterval());
        m.put("regrowth", d.getRegrowth());
        m.put("optimizer", d.getOptimizer().getKind().name().toLowerCase(Locale.ROOT));
        m.put("learning-rate", d.getOptimizer().getLearningRate());
        m.put("momentum", d.getOptimizer().getMomentum());
        m.put("weight-decay", d.getOptimizer().getWeightDecay());
        m.put("seed", d.getSeed());
        return m;
    }

    /**
     * Returns this configuration for a job that runs in this process: without a checkpoint folder,
     * Flink keeps checkpoints in the JobManager's memory, which refuses states above 5 MB (two
     * LeNet models with their momentum), so a temporary folder is chosen.
     *
     * @return this, or a copy with {@code checkpoint-dir} set
     */
    public JobConfig forLocalRun() {
        if (checkpointDir != null) {
            return this;
        }
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("cyclical-pruning-checkpoints");
            return with("{checkpoint-dir: '" + dir.toUri() + "'}");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a checkpoint folder: " + e.getMessage(), e);
        }
    }

    /** Kafka client properties with secrets hidden, for logs and messages. */
    public Map<String, String> redactedKafkaProperties() {
        Map<String, String> out = new LinkedHashMap<>();
        kafkaProperties.forEach((k, v) -> out.put(k, isSecret(k) ? "[hidden]" : v));
        return out;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password")
                || k.contains("jaas")
                || k.contains("secret")
                || k.contains("key")
                || k.contains("token")
                || k.contains("credential");
    }

    @Override
    public String toString() {
        // kafka-properties may hold credentials: never print them
        return "JobConfig[bootstrap-servers=" + bootstrapServers + ", input-topic=" + inputTopic + ", snapshot-topic="
                + snapshotTopic + ", dead-letter-topic=" + deadLetterTopic + ", parallelism=" + parallelism
                + ", models=" + models.keySet() + ", default-model=" + (defaultModel != null)
                + ", kafka-properties=" + redactedKafkaProperties() + "]";
    }

    private static ModelDeclaration declaration(String where, JsonNode node, boolean needId) {
        require(node.isObject(), "%s must be a mapping of model keys, got %s", where, node.getNodeType());
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            require(
                    MODEL_KEYS.contains(key) && (needId || !key.equals("id")),
                    "unknown key '%s' in %s; known keys: %s",
                    key,
                    where,
                    new TreeSet<>(MODEL_KEYS));
        }
        Reader r = new Reader(node, where + ".");
        String id = needId ? r.requiredString("id") : "default";
        String optimizer = r.stringOr("optimizer", "sgd").toUpperCase(Locale.ROOT);
        OptimizerKind kind;
        try {
            kind = OptimizerKind.valueOf(optimizer);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    where + ".optimizer must be sgd or adam, got '" + optimizer.toLowerCase(Locale.ROOT) + "'");
        }
        ModelDeclaration d = ModelDeclaration.newBuilder()
                .setModelId(id)
                .setSpec(r.requiredString("spec"))
                .setSchedule(r.requiredString("schedule"))
                .setPruning(r.stringOr("pruning", "global"))
                .setMaskInterval(r.intOr("mask-interval", 1))
                .setRegrowth(r.boolOr("regrowth", true))
                .setOptimizer(OptimizerDeclaration.newBuilder()
                        .setKind(kind)
                        .setLearningRate(r.doubleOr("learning-rate", 0.01))
                        .setMomentum(r.doubleOr("momentum", kind == OptimizerKind.SGD ? 0.9 : 0.0))
                        .setWeightDecay(r.doubleOr("weight-decay", 0.0))
                        .build())
                .setSeed(r.longOr("seed", 0))
                .build();
        Declarations.validate(where, d);
        return d;
    }

    static Duration parseDuration(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = UNIT_DURATION.matcher(t);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                switch (m.group(2)) {
                    case "ms":
                        return Duration.ofMillis(n);
                    case "s":
                        return Duration.ofSeconds(n);
                    case "m":
                        return Duration.ofMinutes(n);
                    case "h":
                        return Duration.ofHours(n);
                    default:
                        return Duration.ofDays(n);
                }
            }
            return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(String.format(
                    "key '%s' must be a duration such as 500ms, 10s, 5m, 2h, 1d or PT10M, got '%s'", key, text));
        }
    }

    private static void require(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }

    /** Typed reads with defaults, naming the key on error. */
    private static final class Reader {
        private final JsonNode node;
        private final String prefix;

        Reader(JsonNode node) {
            this(node, "");
        }

        Reader(JsonNode node, String prefix) {
            this.node = node;
            this.prefix = prefix;
        }

        private String raw(String key) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return prefix.isEmpty() ? DEFAULTS.get(key) : null;
            }
            require(v.isValueNode(), "key '%s%s' must be a single value, got %s", prefix, key, v.getNodeType());
            return v.asText();
        }

        String string(String key) {
            String v = raw(key);
            require(v != null && !v.isBlank(), "key '%s%s' must not be empty", prefix, key);
            return v.trim();
        }

        String requiredString(String key) {
            String v = raw(key);
            require(v != null && !v.isBlank(), "key '%s%s' is required", prefix, key);
            return v.trim();
        }

        String stringOr(String key, String fallback) {
            String v = raw(key);
            return v == null || v.isBlank() ? fallback : v.trim();
        }

        String optionalString(String key) {
            String v = raw(key);
            return v == null || v.isBlank() || v.equals("none") ? null : v.trim();
        }

        boolean bool(String key) {
            return parseBool(key, string(key));
        }

        boolean boolOr(String key, boolean fallback) {
            String v = raw(key);
            return v == null ? fallback : parseBool(key, v);
        }

        private boolean parseBool(String key, String v) {
            require(
                    v.equals("true") || v.equals("false"),
                    "key '%s%s' must be true or false, got '%s'",
                    prefix,
                    key,
                    v);
            return Boolean.parseBoolean(v);
        }

        long longValue(String key, String v) {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        String.format("key '%s%s' must be a whole number, got '%s'", prefix, key, v));
            }
        }

        int positiveInt(String key) {
            long v = longValue(key, string(key));
            require(
                    v > 0 && v <= Integer.MAX_VALUE,
                    "key '%s%s' must be a positive whole number, got %s",
                    prefix,
                    key,
                    v);
            return (int) v;
        }

        int nonNegativeInt(String key) {
            long v = longValue(key, string(key));
            require(v >= 0 && v <= Integer.MAX_VALUE, "key '%s%s' must be >= 0, got %s", prefix, key, v);
            return (int) v;
        }

        long positiveLong(String key) {
            long v = longValue(key, string(key));
            require(v > 0, "key '%s%s' must be positive, got %s", prefix, key, v);
            return v;
        }

        int intOr(String key, int fallback) {
            String v = raw(key);
            if (v == null) {
                return fallback;
            }
            long n = longValue(key, v);
            require(
                    n > 0 && n <= Integer.MAX_VALUE,
                    "key '%s%s' must be a positive whole number, got %s",
                    prefix,
                    key,
                    n);
            return (int) n;
        }

        long longOr(String key, long fallback) {
            String v = raw(key);
            return v == null ? fallback : longValue(key, v);
        }

        double doubleOr(String key, double fallback) {
            String v = raw(key);
            if (v == null) {
                return fallback;
            }
            try {
                return Double.parseDouble(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        String.format("key '%s%s' must be a number, got '%s'", prefix, key, v));
            }
        }

        Duration duration(String key) {
            return parseDuration(prefix + key, string(key));
        }

        Duration positiveDuration(String key) {
            Duration d = duration(key);
            require(!d.isZero() && !d.isNegative(), "key '%s%s' must be positive, got %s", prefix, key, string(key));
            return d;
        }

        Duration optionalDuration(String key) {
            String v = raw(key);
            if (v == null || v.isBlank() || v.trim().equals("none")) {
                return null;
            }
            Duration d = parseDuration(prefix + key, v);
            require(!d.isZero() && !d.isNegative(), "key '%s%s' must be positive or none, got %s", prefix, key, v);
            return d;
        }

        Map<String, String> properties(String key) {
            JsonNode v = node.get(key);
            Map<String, String> out = new LinkedHashMap<>();
            if (v == null || v.isNull()) {
                return out;
            }
            require(v.isObject(), "key '%s' must be a mapping of Kafka client properties", key);
            v.fields().forEachRemaining(f -> {
                require(f.getValue().isValueNode(), "key '%s.%s' must be a single value", key, f.getKey());
                out.put(f.getKey(), f.getValue().asText());
            });
            return out;
        }
    }
}
