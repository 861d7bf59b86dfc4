package org.cyclicalpruning.tools.cli;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.util.Durations;
import org.cyclicalpruning.tools.stream.DataOptions;
import org.cyclicalpruning.tools.stream.StreamProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Streams Fashion-MNIST or synthetic data into the input topic as TrainingBatch records. */
@Command(
        name = "produce",
        description =
                "Stream Fashion-MNIST or synthetic batches into a topic as TrainingBatch records, with event times.")
final class ProduceCommand extends Subcommand {
    @Option(
            names = "--bootstrap-servers",
            defaultValue = "localhost:9092",
            description = "Kafka brokers (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
            names = "--topic",
            defaultValue = "training-batches",
            description = "Input topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
            names = "--models",
            split = ",",
            required = true,
            description = "Model ids; every batch is sent to each (keyed by id), so the models see the same stream.")
    List<String> models;

    @Mixin
    DataOptions data;

    @Option(
            names = "--start",
            description = "Event time of the first batch: an ISO-8601 instant (2026-01-01T00:00:00Z) or epoch"
                    + " milliseconds (default: now).")
    String start;

    @Option(
            names = "--event-step",
            defaultValue = "100ms",
            description = "Event time between batches (default: ${DEFAULT-VALUE}).")
    String eventStep;

    @Option(
            names = "--rate",
            defaultValue = "0",
            description = "Batches per second per model; 0 for no limit (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--kafka-property",
            description = "Extra Kafka client property key=value (security settings); repeatable. max.block.ms"
                    + " (default here: " + MAX_BLOCK_MS + ") bounds how long produce waits for the brokers.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    /**
     * How long a send may wait for the brokers' metadata. Kafka's 60 s default, met by every record
     * in turn, made a run against a broker that is down last hours without a word.
     */
    static final String MAX_BLOCK_MS = "20000";

    @Override
    public Integer call() throws Exception {
        data.validate();
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("--rate: batches per second must be 0 (no limit) or more, got " + rate);
        }
        long step = option("--event-step", () -> Durations.parseMillis(eventStep));
        if (step <= 0) {
            throw new IllegalArgumentException("--event-step: must be positive, got " + eventStep);
        }
        long first = start == null ? System.currentTimeMillis() : option("--start", () -> eventTime(start));
        System.out.printf("producing %d batches of %s to %s for %s%n", data.batches, data.describe(), topic, models);
        long written;
        Map<String, String> properties = new LinkedHashMap<>(kafkaProperties);
        properties.putIfAbsent("max.block.ms", MAX_BLOCK_MS);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(bootstrapServers, properties)) {
            awaitBrokers(producer, properties.get("max.block.ms"));
            written = StreamProducer.produce(
                    producer, topic, models, data.stream(), data.batches, first, step, rate, true, data.uint8Divisor());
        }
        System.out.printf(
                "wrote %d records, event time %d .. %d%n", written, first, first + (data.batches - 1L) * step);
        return 0;
    }

    /**
     * Fails with a message naming the brokers when they cannot be reached, or do not have the topic,
     * within max.block.ms: a failed send does not throw, so without this every record would wait
     * that long in turn.
     */
    private void awaitBrokers(KafkaProducer<String, byte[]> producer, String maxBlockMs) {
        try {
            producer.partitionsFor(topic);
        } catch (KafkaException e) {
            throw new IllegalStateException(
                    "no Kafka broker at " + bootstrapServers + " answered with topic '" + topic + "' within "
                            + maxBlockMs + " ms (max.block.ms): " + e.getMessage(),
                    e);
        }
    }

    private static long eventTime(String text) {
        String t = text.trim();
        if (t.matches("-?\\d+")) {
            return Long.parseLong(t);
        }
        try {
            return Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    "'" + text + "' is neither an ISO-8601 instant such as 2026-01-01T00:00:00Z nor epoch milliseconds",
                    e);
        }
    }

    private static long option(String name, LongSupplier parse) {
        try {
            return parse.getAsLong();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }
}
