package org.cyclicalpruning.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients for the command line and the tests: producing batches, reading committed output. */
public final class Topics {
    private Topics() {}

    /**
     * Returns a producer of byte-array values keyed by UTF-8 strings.
     *
     * @param bootstrapServers brokers
     * @param extra further client properties (security settings), may be empty
     * @return the producer
     */
    public static KafkaProducer<String, byte[]> producer(String bootstrapServers, Map<String, String> extra) {
        Properties p = client(
                bootstrapServers,
                extra,
                Map.of(
                        "key.serializer",
                        StringSerializer.class.getName(),
                        "value.serializer",
                        ByteArraySerializer.class.getName(),
                        "linger.ms",
                        "5"));
        // idempotent unless the caller says otherwise
        p.putIfAbsent("enable.idempotence", "true");
        // a batch of a few thousand rows is megabytes: Kafka's 1 MB default would refuse it
        p.putIfAbsent("max.request.size", String.valueOf(64 << 20));
        return new KafkaProducer<>(p);
    }

    /**
     * Returns a consumer that sees only committed records, reading from the beginning.
     *
     * @param bootstrapServers brokers
     * @param extra further client properties (security settings), may be empty
     * @return the consumer, not yet subscribed
     */
    public static KafkaConsumer<byte[], byte[]> committedReader(String bootstrapServers, Map<String, String> extra) {
        return new KafkaConsumer<>(client(
                bootstrapServers,
                extra,
                Map.of(
                        "key.deserializer", ByteArrayDeserializer.class.getName(),
                        "value.deserializer", ByteArrayDeserializer.class.getName(),
                        "isolation.level", "read_committed",
                        "auto.offset.reset", "earliest",
                        "enable.auto.commit", "false")));
    }

    /**
     * Reads a whole topic (from the beginning) until {@code done} holds for what was read, or the
     * timeout passes.
     *
     * @return the records read
     */
    public static List<ConsumerRecord<byte[], byte[]>> readUntil(
            String bootstrapServers,
            String topic,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done,
            Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader(bootstrapServers, Map.of())) {
            List<TopicPartition> partitions = fromBeginning(consumer, topic);
            while (!done.test(out) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Reads every committed record of a topic, from the beginning up to the end it has when the
     * read starts (for read_committed, the last stable offset).
     *
     * @param timeout gives up and returns what was read after this long
     * @return the records, partition by partition
     */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(
            String bootstrapServers, String topic, Map<String, String> extra, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader(bootstrapServers, extra)) {
            List<TopicPartition> partitions = fromBeginning(consumer, topic);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** Sends one record and waits for the broker's acknowledgement. */
    public static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot write to topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** The extra properties (security settings), the brokers, and the client's own settings over them. */
    private static Properties client(String bootstrapServers, Map<String, String> extra, Map<String, String> own) {
        Properties p = new Properties();
        p.putAll(extra);
        p.put("bootstrap.servers", bootstrapServers);
        p.putAll(own);
        return p;
    }

    /** Assigns the consumer every partition of the topic, each at its beginning; returns them. */
    private static List<TopicPartition> fromBeginning(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic).forEach(pi -> partitions.add(new TopicPartition(topic, pi.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return partitions;
    }
}
