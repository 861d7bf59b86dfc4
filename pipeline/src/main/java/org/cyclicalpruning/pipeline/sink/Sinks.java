package org.cyclicalpruning.pipeline.sink;

import java.io.Serializable;
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
import org.cyclicalpruning.schemas.RegistryFraming;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/** The job's sinks: snapshots to a compacted Kafka topic and to Avro files, dead letters to their topic. */
public final class Sinks {
    // longer than any checkpoint interval a job would use, shorter than brokers' default maximum
    private static final String TRANSACTION_TIMEOUT_MS = "600000";

    private Sinks() {}

    /**
     * What both Kafka sinks take from the job's configuration.
     *
     * @param bootstrapServers Kafka brokers
     * @param properties client properties (security settings)
     * @param transactionalIdPrefix unique per job on a cluster
     */
    public record KafkaSettings(
            String bootstrapServers, Map<String, String> properties, String transactionalIdPrefix) {}

    /**
     * How a topic's keys or values are written: plain (a key as the model id in UTF-8, a value as
     * Avro binary), or in a schema registry's wire format behind the id the registry gave their
     * schema (a key as an Avro string).
     *
     * @param schemaId the registry's id, or -1 for plain
     */
    public record WireFormat(int schemaId) implements Serializable {
        /** Plain keys and values. */
        public static WireFormat plain() {
            return new WireFormat(-1);
        }

        /**
         * A schema registry's wire format.
         *
         * @param schemaId the id the registry gave the schema under the topic's subject
         */
        public static WireFormat registry(int schemaId) {
            if (schemaId < 0) {
                throw new IllegalArgumentException("a schema registry's ids are not negative, got " + schemaId);
            }
            return new WireFormat(schemaId);
        }

        byte[] key(String modelId) {
            return schemaId < 0
                    ? modelId.getBytes(StandardCharsets.UTF_8)
                    : RegistryFraming.frameString(schemaId, modelId);
        }

        byte[] value(byte[] avro) {
            return schemaId < 0 ? avro : RegistryFraming.frame(schemaId, avro);
        }
    }

    /**
     * How a Kafka sink writes its keys and values.
     *
     * @param key the model id's format
     * @param value the record's format
     */
    public record Formats(WireFormat key, WireFormat value) implements Serializable {}

    /**
     * Returns the exactly-once sink of the snapshot topic, keyed by model id.
     *
     * @param kafka the brokers, client properties and transactional id prefix
     * @param topic the compacted snapshot topic
     * @param maxSnapshotBytes the largest snapshot, in Avro binary
     * @param formats plain, or a registry's wire format
     */
    public static KafkaSink<SparseModelSnapshot> snapshotTopic(
            KafkaSettings kafka, String topic, int maxSnapshotBytes, Formats formats) {
        // Kafka's timestamp is left to the producer (time of writing): event times of replayed
        // history would make retention and compaction lag treat fresh snapshots as old
        KafkaRecordSerializationSchema<SparseModelSnapshot> serializer = (snapshot, context, timestamp) ->
                record(topic, formats, snapshot.getModelId(), ModelSnapshots.toBytes(snapshot));
        // a large model's snapshot is megabytes: Kafka's 1 MB default would fail the job
        return exactlyOnce(kafka, "-snapshots", serializer, maxSnapshotBytes);
    }

    /**
     * Returns the exactly-once sink of the dead-letter topic, keyed by model id where known.
     *
     * @param kafka the brokers, client properties and transactional id prefix
     * @param topic the dead-letter topic
     * @param maxRecordBytes the job's largest input record, which a dead letter may carry
     * @param formats plain, or a registry's wire format
     */
    public static KafkaSink<DeadLetter> deadLetterTopic(
            KafkaSettings kafka, String topic, int maxRecordBytes, Formats formats) {
        KafkaRecordSerializationSchema<DeadLetter> serializer = (letter, context, timestamp) ->
                record(topic, formats, letter.getModelId(), DeadLetters.toBytes(letter));
        // a dead letter carries its record's bytes (at most max-record-bytes) and a little more
        return exactlyOnce(kafka, "-dead-letters", serializer, DeadLetters.maxRecordSize(maxRecordBytes));
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

    private static <T> KafkaSink<T> exactlyOnce(
            KafkaSettings kafka,
            String transactionalIdSuffix,
            KafkaRecordSerializationSchema<T> serializer,
            int maxRequestSize) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(kafka.bootstrapServers())
                .setKafkaProducerConfig(properties(kafka.properties()))
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(kafka.transactionalIdPrefix() + transactionalIdSuffix)
                .setProperty("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS)
                // with room for a registry's header
                .setProperty("max.request.size", String.valueOf(maxRequestSize + RegistryFraming.HEADER_BYTES))
                .build();
    }

    /** Returns a record with the producer's timestamp, keyed by a model id (none when it is unknown). */
    private static ProducerRecord<byte[], byte[]> record(String topic, Formats formats, String modelId, byte[] avro) {
        return new ProducerRecord<>(
                topic,
                null,
                null,
                modelId == null ? null : formats.key().key(modelId),
                formats.value().value(avro));
    }

    private static Properties properties(Map<String, String> kafkaProperties) {
        Properties p = new Properties();
        p.putAll(kafkaProperties);
        return p;
    }
}
