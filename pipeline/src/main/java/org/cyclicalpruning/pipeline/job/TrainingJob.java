package org.cyclicalpruning.pipeline.job;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.avro.AvroWriters;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * The streaming job: Kafka {@code TrainingBatch}es → validation (bad records to the dead-letter
 * topic) → keyed by model id → {@link ModelTrainingOperator} → snapshots to a compacted Kafka
 * topic (exactly once) and, optionally, to Avro files.
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
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, config.restartAttempts());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, config.restartDelay());
        // a batch record is hundreds of KB: with 32 KB network buffers one record would not fit in a
        // receiver's buffers, and every record would cross between tasks in many credit round trips
        conf.set(TaskManagerOptions.MEMORY_SEGMENT_SIZE, MemorySize.parse("1mb"));
        if (config.checkpointDir() != null) {
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, config.checkpointDir());
        }
        return conf;
    }

    /**
     * Adds the job to {@code env}.
     *
     * @param env the environment; checkpointing, parallelism and object reuse are set here
     * @param config what to read, train and write
     * @return the snapshot stream (already connected to its sinks), for tests that watch it
     */
    public static DataStream<SparseModelSnapshot> build(StreamExecutionEnvironment env, JobConfig config) {
        env.setParallelism(config.parallelism());
        env.enableCheckpointing(config.checkpointInterval().toMillis());
        // a batch record is hundreds of KB: sent as soon as it is written it starts in a fresh
        // network buffer, instead of spanning two that the receiver must stitch together
        env.setBufferTimeout(0);
        // operators never keep a reference to an input record, so Flink need not copy between them
        Configuration pipeline = new Configuration();
        pipeline.set(PipelineOptions.OBJECT_REUSE, true);
        // every record type has a Flink or Avro serializer: a Kryo fallback would be a silent slowdown
        pipeline.set(PipelineOptions.GENERIC_TYPES, false);
        env.configure(pipeline);

        Properties kafka = new Properties();
        kafka.putAll(config.kafkaProperties());
        Properties consumer = new Properties();
        // a batch record is large (a LeNet batch of 128 is 400 KB): Kafka's default of 1 MB per
        // partition and fetch would make every second record a network round trip
        consumer.setProperty("max.partition.fetch.bytes", String.valueOf(32 << 20));
        consumer.setProperty("fetch.max.bytes", String.valueOf(64 << 20));
        consumer.putAll(kafka);

        KafkaSourceBuilder<Received> builder = KafkaSource.<Received>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.inputTopic())
                .setGroupId(config.groupId())
                .setStartingOffsets(startingOffsets(config.startingOffsets()))
                .setDeserializer(new TrainingBatchDeserializer(config.maxRecordBytes()))
                .setProperties(consumer)
                .setProperty("isolation.level", "read_committed")
                .setProperty("commit.offsets.on.checkpoint", "true");
        if (config.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        } else {
            // new partitions of the input topic are picked up within a minute
            builder.setProperty("partition.discovery.interval.ms", "60000");
        }
        KafkaSource<Received> source = builder.build();

        WatermarkStrategy<Received> watermarks = WatermarkStrategy.<Received>forBoundedOutOfOrderness(
                        config.maxOutOfOrderness())
                .withTimestampAssigner((r, recordTimestamp) -> r.eventTime())
                .withIdleness(config.idleness());

        SingleOutputStreamOperator<ValidBatch> valid = env.fromSource(source, watermarks, "training-batches")
                .uid("kafka-source")
                .process(new BatchValidator(config))
                .uid("validate")
                .name("validate");

        SingleOutputStreamOperator<SparseModelSnapshot> snapshots = valid.keyBy(
                        b -> b.modelId, TypeInformation.of(String.class))
                .transform("train", new AvroTypeInfo<>(SparseModelSnapshot.class), new ModelTrainingOperator(config))
                .uid("train");

        DataStream<DeadLetter> deadLetters = valid.getSideOutput(BatchValidator.DEAD_LETTERS)
                .union(snapshots.getSideOutput(BatchValidator.DEAD_LETTERS));

        snapshots
                .sinkTo(KafkaSink.<SparseModelSnapshot>builder()
                        .setBootstrapServers(config.bootstrapServers())
                        .setKafkaProducerConfig(kafka)
                        .setRecordSerializer(snapshotSerializer(config.snapshotTopic()))
                        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                        .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-snapshots")
                        .setProperty("transaction.timeout.ms", "600000")
                        // a large model's snapshot is megabytes: Kafka's 1 MB default would fail the job
                        .setProperty("max.request.size", String.valueOf(config.maxSnapshotBytes()))
                        .build())
                .uid("snapshot-topic")
                .name("snapshot-topic");

        deadLetters
                .sinkTo(KafkaSink.<DeadLetter>builder()
                        .setBootstrapServers(config.bootstrapServers())
                        .setKafkaProducerConfig(kafka)
                        .setRecordSerializer(deadLetterSerializer(config.deadLetterTopic()))
                        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                        .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-dead-letters")
                        .setProperty("transaction.timeout.ms", "600000")
                        // a dead letter carries its record's bytes (at most max-record-bytes) and a little more
                        .setProperty(
                                "max.request.size", String.valueOf(DeadLetters.maxRecordSize(config.maxRecordBytes())))
                        .build())
                .uid("dead-letter-topic")
                .name("dead-letter-topic");

        if (config.snapshotDir() != null) {
            snapshots
                    .sinkTo(FileSink.forBulkFormat(
                                    new Path(config.snapshotDir()),
                                    AvroWriters.forSpecificRecord(SparseModelSnapshot.class))
                            .withBucketAssigner(new ModelIdBucketAssigner())
                            .withOutputFileConfig(OutputFileConfig.builder()
                                    .withPartPrefix("snapshots")
                                    .withPartSuffix(".avro")
                                    .build())
                            .build())
                    .uid("snapshot-files")
                    .name("snapshot-files");
        }
        return snapshots;
    }

    private static OffsetsInitializer startingOffsets(String which) {
        switch (which) {
            case "latest":
                return OffsetsInitializer.latest();
            case "committed":
                return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            default:
                return OffsetsInitializer.earliest();
        }
    }

    private static KafkaRecordSerializationSchema<SparseModelSnapshot> snapshotSerializer(String topic) {
        // Kafka's timestamp is left to the producer (time of writing): event times of replayed
        // history would make retention and compaction lag treat fresh snapshots as old
        return (snapshot, context, timestamp) -> new ProducerRecord<>(
                topic,
                null,
                null,
                snapshot.getModelId().getBytes(StandardCharsets.UTF_8),
                ModelSnapshots.toBytes(snapshot));
    }

    private static KafkaRecordSerializationSchema<DeadLetter> deadLetterSerializer(String topic) {
        return (letter, context, timestamp) -> new ProducerRecord<>(
                topic,
                null,
                null,
                letter.getModelId() == null ? null : letter.getModelId().getBytes(StandardCharsets.UTF_8),
                DeadLetters.toBytes(letter));
    }
}
