package org.cyclicalpruning.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cyclicalpruning.pipeline.source.registry.SchemaRegistry;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's configuration: a value for every {@link JobOptions option} and the {@link
 * ModelRegistry models}. Read from YAML by {@link #load} or {@link #parse}, built in code with
 * {@link #builder()}, changed with {@link #toBuilder()}; immutable.
 *
 * <pre>{@code
 * JobConfig config = JobConfig.builder()
 *         .set(JobOptions.BOOTSTRAP_SERVERS, "kafka:9092")
 *         .set(JobOptions.PARALLELISM, Optional.of(2))
 *         .models(List.of(declaration))
 *         .build();
 * }</pre>
 *
 * <p>Operators never receive this object (it holds Kafka credentials): they get {@link
 * #limits()}, {@link #training()} and {@link #models()}.
 */
public final class JobConfig {
    private static final Logger LOG = LoggerFactory.getLogger(JobConfig.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Map<String, Object> values;
    private final ModelRegistry models;

    private JobConfig(Map<String, Object> values, ModelRegistry models) {
        this.values = values;
        this.models = models;
    }

    /** Returns a builder with every option at its default and no models. */
    public static Builder builder() {
        return new Builder(new LinkedHashMap<>());
    }

    /** Returns a builder initialised with this configuration. */
    public Builder toBuilder() {
        return new Builder(new LinkedHashMap<>(values));
    }

    /** Returns the configuration with every default and no models. */
    public static JobConfig defaultConfig() {
        return builder().build();
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
     * Reads YAML text, which must declare at least one model or a default model.
     *
     * @param yaml the configuration
     * @return the configuration
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    public static JobConfig parse(String yaml) {
        JobConfig config = parseYaml(yaml).build();
        if (config.models.isEmpty()) {
            throw new ConfigError("job config declares no model: add a 'models' list or a 'default-model'");
        }
        return config;
    }

    /** Returns the value of an option. */
    @SuppressWarnings("unchecked")
    public <T> T get(JobOption<T> option) {
        return values.containsKey(option.key()) ? (T) values.get(option.key()) : option.defaultValue();
    }

    /**
     * Returns the prefix of the sinks' transactional ids: the configured one, else the group id and
     * the snapshot topic, which jobs reading as different groups or writing different topics do
     * not share.
     */
    public String transactionalIdPrefix() {
        return get(JobOptions.TRANSACTIONAL_ID_PREFIX)
                .orElseGet(() -> get(JobOptions.GROUP_ID) + "-" + get(JobOptions.SNAPSHOT_TOPIC));
    }

    /** Returns a copy with one option changed. */
    public <T> JobConfig with(JobOption<T> option, T value) {
        return toBuilder().set(option, value).build();
    }

    /** Returns the models. */
    public ModelRegistry models() {
        return models;
    }

    /** Returns what the source and the validator check records against. */
    public ValidationLimits limits() {
        return new ValidationLimits(
                get(JobOptions.MAX_BATCH_ROWS),
                get(JobOptions.MAX_BATCH_VALUES),
                get(JobOptions.MAX_RECORD_BYTES),
                get(JobOptions.MAX_MODEL_ID_BYTES),
                get(JobOptions.MAX_EVENT_TIME_SKEW).toMillis(),
                get(JobOptions.MAX_ABS_VALUE));
    }

    /** Returns where the schema registry is and how to reach it, if one is configured. */
    public Optional<SchemaRegistry.Settings> schemaRegistry() {
        return get(JobOptions.SCHEMA_REGISTRY_URL)
                .map(url -> new SchemaRegistry.Settings(
                        url, get(JobOptions.SCHEMA_REGISTRY_PROPERTIES), get(JobOptions.SCHEMA_REGISTRY_MAX_WAIT)));
    }

    /**
     * Returns what the training operator needs besides the models.
     *
     * <p>Without {@code snapshots.lineage}, the lineage is the time of this call: call it once per
     * job, when the job is built.
     *
     * @param parallelism the training operator's parallelism, over which {@code limits.max-models}
     *     is shared
     */
    public TrainingSettings training(int parallelism) {
        return new TrainingSettings(
                get(JobOptions.HOT_MODELS),
                get(JobOptions.DEVICE),
                get(JobOptions.INTRA_OP_THREADS),
                get(JobOptions.SNAPSHOT_INTERVAL).map(d -> d.toMillis()).orElse(0L),
                get(JobOptions.MAX_MODELS),
                parallelism,
                get(JobOptions.SNAPSHOT_LINEAGE).orElseGet(System::currentTimeMillis),
                get(JobOptions.METRICS_MAX_MODELS));
    }

    /**
     * Returns this configuration for a job that runs in this process: without a checkpoint folder,
     * Flink keeps checkpoints in the JobManager's memory, which refuses states above 5 MB (two
     * LeNet models with their momentum), so a temporary folder is chosen; without a parallelism, 1.
     *
     * @return this, or a copy with {@code checkpoint.dir} and {@code parallelism} set
     */
    public JobConfig forLocalRun() {
        JobConfig local = this;
        if (get(JobOptions.PARALLELISM).isEmpty()) {
            // a local Flink would take one subtask per core; one keeps a local run's output in order
            local = local.with(JobOptions.PARALLELISM, Optional.of(1));
        }
        if (get(JobOptions.CHECKPOINT_DIR).isPresent()) {
            return local;
        }
        try {
            Path dir = Files.createTempDirectory("cyclical-pruning-checkpoints");
            return local.with(JobOptions.CHECKPOINT_DIR, Optional.of(dir.toUri().toString()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a checkpoint folder: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        // kafka.properties may hold credentials: JobOption formats it redacted
        StringBuilder sb = new StringBuilder("JobConfig[");
        for (JobOption<?> option : JobOptions.ALL) {
            if (option != JobOptions.MODELS && option != JobOptions.DEFAULT_MODEL) {
                sb.append(option.key()).append('=').append(formatted(option)).append(", ");
            }
        }
        return sb.append(models).append(']').toString();
    }

    private <T> String formatted(JobOption<T> option) {
        return option.format(get(option));
    }

    // ------------- reading YAML --------------

    private static Builder parseYaml(String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new ConfigError("job config is not valid YAML: " + e.getMessage(), e);
        }
        Builder builder = builder();
        if (root == null || root.isMissingNode() || root.isNull()) {
            return builder;
        }
        if (!root.isObject()) {
            throw new ConfigError("job config must be a YAML mapping of keys to values");
        }
        readInto(builder, root, "");
        return builder;
    }

    /** Reads the keys of a mapping; a mapping under a key that names no option holds nested keys. */
    private static void readInto(Builder builder, JsonNode node, String prefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = prefix + field.getKey();
            Optional<JobOption<?>> option = JobOptions.byKey(key);
            if (option.isPresent()) {
                builder.read(option.get(), key, field.getValue());
            } else if (field.getValue().isObject() && isPrefix(key + ".")) {
                readInto(builder, field.getValue(), key + ".");
            } else {
                throw new ConfigError(String.format(
                        "unknown key '%s' in job config; known keys: %s",
                        key, JobOptions.ALL.stream().map(JobOption::key).toList()));
            }
        }
    }

    private static boolean isPrefix(String prefix) {
        return JobOptions.ALL.stream().anyMatch(o -> o.key().startsWith(prefix));
    }

    /** Builds configurations: {@code set} options, {@code models} and {@code defaultModel}, then {@code build}. */
    public static final class Builder {
        private final Map<String, Object> values;

        private Builder(Map<String, Object> values) {
            this.values = values;
        }

        /** Sets an option. */
        public <T> Builder set(JobOption<T> option, T value) {
            values.put(option.key(), value);
            return this;
        }

        /**
         * Sets an option from text as it would appear in the YAML file, such as a command line's
         * {@code --set parallelism=2}.
         *
         * @param key the option's key (current or deprecated)
         * @param value the value's text
         * @throws IllegalArgumentException naming the key if it is unknown or the value invalid
         */
        public Builder set(String key, String value) {
            JobOption<?> option = JobOptions.byKey(key)
                    .orElseThrow(() -> new ConfigError(String.format(
                            "unknown key '%s'; known keys: %s",
                            key, JobOptions.ALL.stream().map(JobOption::key).toList())));
            try {
                return read(option, key, YAML.readTree(value));
            } catch (IOException e) {
                throw new ConfigError(String.format("key '%s': '%s' is not a YAML value", key, value), e);
            }
        }

        /** Sets the declared models. */
        public Builder models(List<ModelDeclaration> models) {
            return set(JobOptions.MODELS, List.copyOf(models));
        }

        /** Sets the declaration that unknown model ids get, or none to dead-letter them. */
        public Builder defaultModel(Optional<ModelDeclaration> declaration) {
            return set(JobOptions.DEFAULT_MODEL, declaration);
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the setting that is invalid
         */
        public JobConfig build() {
            JobConfig config = new JobConfig(
                    Map.copyOf(values),
                    ModelRegistry.of(get(JobOptions.MODELS, values), get(JobOptions.DEFAULT_MODEL, values)));
            int maxSnapshotBytes = config.get(JobOptions.MAX_SNAPSHOT_BYTES);
            for (ModelDeclaration d : config.models.declared()) {
                checkSnapshotFits(ModelDefinition.of(d), maxSnapshotBytes);
            }
            config.models.defaultModel().ifPresent(d -> checkSnapshotFits(ModelDefinition.of(d), maxSnapshotBytes));
            if (config.get(JobOptions.FRAMING) == Framing.CONFLUENT
                    && config.get(JobOptions.SCHEMA_REGISTRY_URL).isEmpty()) {
                throw new ConfigError(String.format(
                        "key '%s' is confluent: records carry schema ids, so '%s' must name the registry",
                        JobOptions.FRAMING.key(), JobOptions.SCHEMA_REGISTRY_URL.key()));
            }
            for (JobOption<SinkFraming> sinkFraming : List.of(JobOptions.SINK_FRAMING, JobOptions.SINK_KEY_FRAMING)) {
                if (config.get(sinkFraming) == SinkFraming.CONFLUENT
                        && config.get(JobOptions.SCHEMA_REGISTRY_URL).isEmpty()) {
                    throw new ConfigError(String.format(
                            "key '%s' is confluent: snapshots and dead letters are written with schema ids, so"
                                    + " '%s' must name the registry that gives them",
                            sinkFraming.key(), JobOptions.SCHEMA_REGISTRY_URL.key()));
                }
            }
            try {
                config.schemaRegistry();
            } catch (IllegalArgumentException e) {
                throw new ConfigError(e.getMessage(), e);
            }
            return config;
        }

        private Builder read(JobOption<?> option, String keyAsWritten, JsonNode value) {
            if (!keyAsWritten.equals(option.key())) {
                LOG.warn("job config key '{}' is deprecated: use '{}'", keyAsWritten, option.key());
            }
            values.put(option.key(), option.parse(value, keyAsWritten));
            return this;
        }

        @SuppressWarnings("unchecked")
        private static <T> T get(JobOption<T> option, Map<String, Object> values) {
            return values.containsKey(option.key()) ? (T) values.get(option.key()) : option.defaultValue();
        }

        private static void checkSnapshotFits(ModelDefinition d, int maxSnapshotBytes) {
            long bound = d.snapshotBound();
            if (bound > maxSnapshotBytes) {
                throw new ConfigError(String.format(
                        "model '%s' (%s) may publish snapshots of up to %s bytes (all weights kept), more than"
                                + " %s %s; raise %s, and the snapshot topic's max.message.bytes with it",
                        d.id(),
                        d.declaration().getSpec(),
                        bound,
                        JobOptions.MAX_SNAPSHOT_BYTES.key(),
                        maxSnapshotBytes,
                        JobOptions.MAX_SNAPSHOT_BYTES.key()));
            }
        }
    }
}
