package org.cyclicalpruning.tools.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.tools.stream.DataOptions;
import org.cyclicalpruning.tools.stream.StreamProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Streams Fashion-MNIST or synthetic data into the input topic as TrainingBatch records. */
@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description =
                "Stream Fashion-MNIST or synthetic batches into a topic as TrainingBatch records, with event times.")
final class ProduceCommand implements Callable<Integer> {
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

    @Option(names = "--start", description = "Event time of the first batch, epoch ms (default: now).")
    Long start;

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
            description = "Extra Kafka client property key=value (security settings); repeatable.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        data.validate();
        long step = Durations.millis("--event-step", eventStep);
        long first = start != null ? start : System.currentTimeMillis();
        System.out.printf("producing %d batches of %s to %s for %s%n", data.batches, data.describe(), topic, models);
        long written;
        try (KafkaProducer<String, byte[]> producer = Topics.producer(bootstrapServers, kafkaProperties)) {
            written = StreamProducer.produce(
                    producer, topic, models, data.stream(), data.batches, first, step, rate, true, data.uint8Divisor());
        }
        System.out.printf(
                "wrote %d records, event time %d .. %d%n", written, first, first + (data.batches - 1L) * step);
        return 0;
    }
}
