package org.cyclicalpruning.tools.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.tools.stream.DataOptions;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Lists and describes snapshots from the snapshot topic or from the file sink's folder. */
@Command(
        name = "inspect",
        description =
                "List snapshots (one line each) from the snapshot topic or from snapshot files, and describe the latest per model.")
final class InspectCommand extends Subcommand {
    static final class Source {
        @Option(
                names = "--dir",
                description = "A folder of Avro snapshot files (the job's snapshot-dir or demo --out).")
        Path dir;

        @Option(
                names = "--bootstrap-servers",
                description = "Read the snapshot topic of these brokers (committed records only).")
        String bootstrapServers;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(
            names = "--topic",
            defaultValue = "model-snapshots",
            description = "Snapshot topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--model", description = "Only this model.")
    String model;

    @Option(
            names = "--kafka-property",
            description = "Extra Kafka client property key=value (SASL, SSL) for --bootstrap-servers; repeatable.")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(
            names = "--quality",
            description = "Add each snapshot's quality on held-out data of the stream the data options describe"
                    + " (repeat produce's flags): support recall on synthetic data, test accuracy on Fashion-MNIST"
                    + " (on the shifted test set once the stream has drifted).")
    boolean quality;

    @Option(names = "--describe", description = "Also print each model's latest snapshot tensor by tensor.")
    boolean describe;

    @Option(names = "--recall", hidden = true, description = "The name --quality had on synthetic data.")
    boolean recall;

    @Mixin
    DataOptions data;

    @Override
    public Integer call() throws IOException {
        List<SparseModelSnapshot> snapshots =
                source.dir != null ? fromFiles(source.dir) : fromTopic(source.bootstrapServers, topic, kafkaProperties);
        snapshots.removeIf(s -> model != null && !s.getModelId().equals(model));
        snapshots.sort(Comparator.comparing(SparseModelSnapshot::getModelId)
                .thenComparingLong(SparseModelSnapshot::getVersion));
        SnapshotQuality judge = quality || recall ? SnapshotQuality.of(data) : SnapshotQuality.NONE;
        System.out.println(SnapshotLines.header(judge));
        Map<String, SparseModelSnapshot> latest = new LinkedHashMap<>();
        for (SparseModelSnapshot s : snapshots) {
            System.out.println(SnapshotLines.line(s, judge));
            latest.put(s.getModelId(), s);
        }
        System.out.printf("%d snapshots of %d models%n", snapshots.size(), latest.size());
        if (describe) {
            latest.values().forEach(s -> System.out.print(SnapshotLines.describe(s)));
        }
        return 0;
    }

    static List<SparseModelSnapshot> fromFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--dir " + dir + " is not a folder");
        }
        List<SparseModelSnapshot> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            // finished part files only: in-progress ones start with a dot
            for (Path f : files.filter(p -> p.toString().endsWith(".avro")
                            && !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList()) {
                out.addAll(ModelSnapshots.readFile(f));
            }
        }
        return out;
    }

    static List<SparseModelSnapshot> fromTopic(String bootstrapServers, String topic, Map<String, String> properties) {
        List<SparseModelSnapshot> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r :
                Topics.readAll(bootstrapServers, topic, properties, Duration.ofSeconds(60))) {
            out.add(ModelSnapshots.fromBytes(r.value()));
        }
        return out;
    }
}
