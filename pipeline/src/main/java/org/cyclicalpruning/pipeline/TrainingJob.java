package org.cyclicalpruning.pipeline;

import java.io.IOException;
import java.util.Optional;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOption;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.config.SinkFraming;
import org.cyclicalpruning.pipeline.config.StartingOffsets;
import org.cyclicalpruning.pipeline.sink.Sinks;
import org.cyclicalpruning.pipeline.source.Received;
import org.cyclicalpruning.pipeline.source.TrainingBatchDeserializer;
import org.cyclicalpruning.pipeline.source.registry.SchemaRegistry;
import org.cyclicalpruning.pipeline.train.ModelTrainingOperator;
import org.cyclicalpruning.pipeline.validate.DeadLetterRouter;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.pipeline.validate.ValidBatch;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * The streaming job: Kafka {@code TrainingBatch}es, decoded and checked in the source (bad records
 * to the dead-letter topic, before they can move a watermark) → keyed by model id → {@link
 * ModelTrainingOperator} → snapshots to a compacted Kafka topic (exactly once) and, optionally, to
 * Avro files.
 *
 * <pre>{@code
 * JobConfig config = JobConfig.load(Path.of("job.yaml"));
 * StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
 * TrainingJob.build(env, config);
 * env.execute("cyclical-pruning");
 * }</pre>
 */
public final class TrainingJob {
    private TrainingJob() {}

    /**
     * Returns the Flink settings the job needs: checkpointing and the restart strategy.
     *
     * @param config the job's configuration
     * @return settings for {@link StreamExecutionEnvironment#getExecutionEnvironment(Configuration)}
     */
    public static Configuration flinkConfiguration(JobConfig config) {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, config.get(JobOptions.RESTART_ATTEMPTS));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, config.get(JobOptions.RESTART_DELAY));
        // a batch record is hundreds of KB: with 32 KB network buffers one record would not fit in a
        // receiver's buffers, and every record would cross between tasks in many credit round trips
        conf.set(TaskManagerOptions.MEMORY_SEGMENT_SIZE, MemorySize.parse("1mb"));
        // a Flink started in this process (java -jar, demo, tests) has 64 MB of network memory, 64
        // such buffers, fewer than a job at parallelism 2 asks for: Flink warns, and shuffles wait
        // for buffers. A cluster's TaskManagers take their own settings and ignore these.
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("192mb"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("192mb"));
        config.get(JobOptions.CHECKPOINT_DIR)
                .ifPresent(dir -> conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir));
        return conf;
    }

    /**
     * Adds the job to {@code env}.
     *
     * @param env the environment; checkpointing and object reuse are set here, and the
     *     parallelism when the config gives one
     * @param config what to read, train and write
     * @return the snapshot stream (already connected to its sinks), for tests that watch it
     */
    public static DataStream<SparseModelSnapshot> build(StreamExecutionEnvironment env, JobConfig config) {
        // set only when the config says so: otherwise flink run -p, the Kubernetes operator's
        // spec.job.parallelism or the cluster's parallelism.default hold, as Flink users expect
        config.get(JobOptions.PARALLELISM).ifPresent(env::setParallelism);
        int parallelism = Math.max(1, env.getParallelism());
        env.enableCheckpointing(config.get(JobOptions.CHECKPOINT_INTERVAL).toMillis());
        // a storage outage fails checkpoints one after the other: the job rides them out, its
        // sinks' transactions stay open meanwhile, and the next completed checkpoint commits them
        env.getCheckpointConfig()
                .setTolerableCheckpointFailureNumber(config.get(JobOptions.CHECKPOINT_TOLERABLE_FAILURES));
        // a batch record is hundreds of KB: sent as soon as it is written it starts in a fresh
        // network buffer, instead of spanning two that the receiver must stitch together
        env.setBufferTimeout(0);
        // operators never keep a reference to an input record, so Flink need not copy between them
        Configuration pipeline = new Configuration();
        pipeline.set(PipelineOptions.OBJECT_REUSE, true);
        // every record type has a Flink or Avro serializer: a Kryo fallback would be a silent slowdown
        pipeline.set(PipelineOptions.GENERIC_TYPES, false);
        env.configure(pipeline);

        SingleOutputStreamOperator<ValidBatch> valid = env.fromSource(
                        source(config), watermarks(config), "training-batches")
                .uid("kafka-source")
                .process(new DeadLetterRouter())
                .uid("validate")
                .name("validate");

        SingleOutputStreamOperator<SparseModelSnapshot> snapshots = valid.keyBy(
                        b -> b.modelId, TypeInformation.of(String.class))
                .transform(
                        "train",
                        new AvroTypeInfo<>(SparseModelSnapshot.class),
                        new ModelTrainingOperator(config.training(parallelism), config.models()))
                .uid("train");

        DataStream<DeadLetter> deadLetters =
                valid.getSideOutput(DeadLetters.TAG).union(snapshots.getSideOutput(DeadLetters.TAG));

        Sinks.KafkaSettings kafka = new Sinks.KafkaSettings(
                config.get(JobOptions.BOOTSTRAP_SERVERS),
                config.get(JobOptions.KAFKA_PROPERTIES),
                config.transactionalIdPrefix());
        String snapshotTopic = config.get(JobOptions.SNAPSHOT_TOPIC);
        String deadLetterTopic = config.get(JobOptions.DEAD_LETTER_TOPIC);
        sink(
                snapshots,
                Sinks.snapshotTopic(
                        kafka,
                        snapshotTopic,
                        config.get(JobOptions.MAX_SNAPSHOT_BYTES),
                        formats(config, snapshotTopic, SparseModelSnapshot.getClassSchema())),
                "snapshot-topic");
        sink(
                deadLetters,
                Sinks.deadLetterTopic(
                        kafka,
                        deadLetterTopic,
                        config.get(JobOptions.MAX_RECORD_BYTES),
                        formats(config, deadLetterTopic, DeadLetter.getClassSchema())),
                "dead-letter-topic");
        config.get(JobOptions.SNAPSHOT_DIR)
                .ifPresent(dir -> sink(snapshots, Sinks.snapshotFiles(dir), "snapshot-files"));
        return snapshots;
    }

    /**
     * Returns how a topic's keys and values are written. With {@code sinks.framing: confluent}
     * (and {@code sinks.key-framing}) the schema is registered under the topic-name strategy's
     * subject here, when the job is built, so that a registry that is down or refuses the schema
     * stops the submission with a message instead of failing running tasks; the job then writes the
     * id it was given and never calls the registry again. Registering a schema the subject already
     * has returns its id, so every resubmission (a redeploy, a JobManager failover in application
     * mode) gets the same one.
     */
    private static Sinks.Formats formats(JobConfig config, String topic, Schema valueSchema) {
        // config.build() checked that a confluent framing comes with a registry
        Optional<SchemaRegistry> registry = config.schemaRegistry().map(SchemaRegistry::of);
        return new Sinks.Formats(
                wireFormat(
                        config,
                        registry,
                        JobOptions.SINK_KEY_FRAMING,
                        topic + "-key",
                        Schema.create(Schema.Type.STRING)),
                wireFormat(config, registry, JobOptions.SINK_FRAMING, topic + "-value", valueSchema));
    }

    private static Sinks.WireFormat wireFormat(
            JobConfig config,
            Optional<SchemaRegistry> registry,
            JobOption<SinkFraming> option,
            String subject,
            Schema schema) {
        if (config.get(option) == SinkFraming.PLAIN) {
            return Sinks.WireFormat.plain();
        }
        try {
            return Sinks.WireFormat.registry(registry.orElseThrow().register(subject, schema));
        } catch (IOException e) {
            throw new IllegalStateException(
                    String.format(
                            "key '%s' is confluent, but the schema registry did not register %s under subject"
                                    + " '%s': %s",
                            option.key(), schema.getName(), subject, e.getMessage()),
                    e);
        }
    }

    /** Connects a stream to a sink, named the same for its state (uid) and for people (name). */
    private static <T> void sink(DataStream<T> stream, Sink<T> sink, String name) {
        stream.sinkTo(sink).uid(name).name(name);
    }

    private static KafkaSource<Received> source(JobConfig config) {
        Properties consumer = new Properties();
        // a batch record is large (a LeNet batch of 128 is 400 KB): Kafka's default of 1 MB per
        // partition and fetch would make every second record a network round trip
        consumer.setProperty("max.partition.fetch.bytes", String.valueOf(32 << 20));
        consumer.setProperty("fetch.max.bytes", String.valueOf(64 << 20));
        consumer.putAll(config.get(JobOptions.KAFKA_PROPERTIES));
        KafkaSourceBuilder<Received> builder = KafkaSource.<Received>builder()
                .setBootstrapServers(config.get(JobOptions.BOOTSTRAP_SERVERS))
                .setTopics(config.get(JobOptions.INPUT_TOPIC))
                .setGroupId(config.get(JobOptions.GROUP_ID))
                .setStartingOffsets(startingOffsets(config.get(JobOptions.STARTING_OFFSETS)))
                .setDeserializer(new TrainingBatchDeserializer(
                        config.limits(), config.models(), config.get(JobOptions.FRAMING), config.schemaRegistry()))
                .setProperties(consumer)
                .setProperty("isolation.level", "read_committed")
                .setProperty("commit.offsets.on.checkpoint", "true");
        if (config.get(JobOptions.BOUNDED)) {
            builder.setBounded(OffsetsInitializer.latest());
        } else {
            // new partitions of the input topic are picked up within a minute
            builder.setProperty("partition.discovery.interval.ms", "60000");
        }
        return builder.build();
    }

    private static WatermarkStrategy<Received> watermarks(JobConfig config) {
        WatermarkStrategy<Received> strategy = WatermarkStrategy.<Received>forBoundedOutOfOrderness(
                        config.get(JobOptions.MAX_OUT_OF_ORDERNESS))
                .withTimestampAssigner((r, recordTimestamp) -> r.eventTime());
        // A bounded run reads every partition to a fixed end, so none needs skipping; skipping one
        // that is merely slow (idleness is processing time) would make its records late and the
        // run's snapshots depend on timing instead of on its input.
        return config.get(JobOptions.BOUNDED) ? strategy : strategy.withIdleness(config.get(JobOptions.IDLENESS));
    }

    private static OffsetsInitializer startingOffsets(StartingOffsets which) {
        switch (which) {
            case LATEST:
                return OffsetsInitializer.latest();
            case COMMITTED:
                return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            default:
                return OffsetsInitializer.earliest();
        }
    }
}
