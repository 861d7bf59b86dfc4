package org.cyclicalpruning.pipeline.sink;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.avro.AvroWriters;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/** The job's sinks: snapshots to a compacted Kafka topic and to Avro files, dead letters to their topic. */
public final class Sinks {
    // longer than any checkpoint interval a job would use, shorter than brokers' default maximum
    private static final String TRANSACTION_TIMEOUT_MS = "600000";

    private Sinks() {}

    /**
     * Returns the exactly-once sink of the snapshot topic, keyed by model id.
     *
     * @param bootstrapServers Kafka brokers
     * @param kafkaProperties client properties (security settings)
     * @param topic the compacted snapshot topic
     * @param transactionalIdPrefix unique per job on a cluster
     * @param maxSnapshotBytes the producer's {@code max.request.size}
     */
    public static KafkaSink<SparseModelSnapshot> snapshotTopic(
            String bootstrapServers,
            Map<String, String> kafkaProperties,
            String topic,
            String transactionalIdPrefix,
            int maxSnapshotBytes) {
        // Kafka's timestamp is left to the producer (time of writing): event times of replayed
        // history would make retention and compaction lag treat fresh snapshots as old
        KafkaRecordSerializationSchema<SparseModelSnapshot> serializer =
                (snapshot, context, timestamp) -> new ProducerRecord<>(
                        topic,
                        null,
                        null,
                        snapshot.getModelId().getBytes(StandardCharsets.UTF_8),
                        ModelSnapshots.toBytes(snapshot));
        return KafkaSink.<SparseModelSnapshot>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(properties(kafkaProperties))
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix + "-snapshots")
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                // a large model's snapshot is megabytes: Kafka's 1 MB default would fail the job
                .setProperty("max.request.size", String.valueOf(maxSnapshotBytes))
                .build();
    }

    /**
     * Returns the exactly-once sink of the dead-letter topic, keyed by model id where known.
     *
     * @param maxRecordBytes the job's largest input record, which a dead letter may carry
     */
    public static KafkaSink<DeadLetter> deadLetterTopic(
            String bootstrapServers,
            Map<String, String> kafkaProperties,
            String topic,
            String transactionalIdPrefix,
            int maxRecordBytes) {
        KafkaRecordSerializationSchema<DeadLetter> serializer = (letter, context, timestamp) -> new ProducerRecord<>(
                topic,
                null,
                null,
                letter.getModelId() == null ? null : letter.getModelId().getBytes(StandardCharsets.UTF_8),
                DeadLetters.toBytes(letter));
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(properties(kafkaProperties))
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix + "-dead-letters")
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                // a dead letter carries its record's bytes (at most max-record-bytes) and a little more
                .setProperty("max.request.size", String.valueOf(DeadLetters.maxRecordSize(maxRecordBytes)))
                .build();
    }

    /**
     * Returns the file sink: Avro container files of snapshots, a folder per model id, files
     * committed on checkpoints.
     *
     * @param dir any Flink file system URI
     */
    public static FileSink<SparseModelSnapshot> snapshotFiles(String dir) {
        return FileSink.forBulkFormat(new Path(dir), AvroWriters.forSpecificRecord(SparseModelSnapshot.class))
                .withBucketAssigner(new ModelIdBucketAssigner())
                .withOutputFileConfig(OutputFileConfig.builder()
                        .withPartPrefix("snapshots")
                        .withPartSuffix(".avro")
                        .build())
                .build();
    }

    private static Properties properties(Map<String, String> kafkaProperties) {
        Properties p = new Properties();
        p.putAll(kafkaProperties);
        return p;
    }
}
