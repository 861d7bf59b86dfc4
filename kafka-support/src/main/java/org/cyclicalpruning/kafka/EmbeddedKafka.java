package org.cyclicalpruning.kafka;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node KRaft Kafka broker inside this JVM, for {@code demo} and the tests. Kafka's
 * own test kit (an internal API) is kept behind this one class. Data lives in a temporary folder
 * removed on {@link #close()}.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit kit;

    private EmbeddedKafka(KafkaClusterTestKit kit) {
        this.kit = kit;
    }

    /**
     * Starts a broker (and its controller) on free local ports and waits until it is ready.
     *
     * @return the running broker
     * @throws Exception if it does not start
     */
    public static EmbeddedKafka start() throws Exception {
        KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                        .setCombined(true)
                        .setNumBrokerNodes(1)
                        .setNumControllerNodes(1)
                        .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                        .build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("transaction.max.timeout.ms", "900000")
                .build();
        PrintStream stdout = System.out;
        try {
            // the kit reports its storage formatting on standard output, which is the command line's report
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            try {
                kit.format();
            } finally {
                System.setOut(stdout);
            }
            kit.startup();
            kit.waitForReadyBrokers();
            return new EmbeddedKafka(kit);
        } catch (Exception e) {
            kit.close();
            throw e;
        }
    }

    /** Returns {@code host:port} of the broker. */
    public String bootstrapServers() {
        return kit.bootstrapServers();
    }

    /** Largest record the topics take: as deploy/bin/kafka.sh sets it, the job's max-record-bytes and max-snapshot-bytes plus room. */
    public static final int MAX_MESSAGE_BYTES = 80 << 20;

    /**
     * Creates the job's topics: the input with {@code partitions} partitions, a compacted snapshot
     * topic and a dead-letter topic. Compaction waits an hour ({@code min.compaction.lag.ms}), so
     * a reader can follow every version for that long; after it only the latest per model is kept.
     */
    public void createTopics(String input, int partitions, String snapshots, String deadLetters) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
            // batches, snapshots of large models and dead letters all exceed Kafka's 1 MB default
            String max = String.valueOf(MAX_MESSAGE_BYTES);
            admin.createTopics(List.of(
                            new NewTopic(input, partitions, (short) 1).configs(Map.of("max.message.bytes", max)),
                            new NewTopic(snapshots, 1, (short) 1)
                                    .configs(Map.of(
                                            "cleanup.policy",
                                            "compact",
                                            "min.compaction.lag.ms",
                                            "3600000",
                                            "max.message.bytes",
                                            max)),
                            new NewTopic(deadLetters, 1, (short) 1).configs(Map.of("max.message.bytes", max))))
                    .all()
                    .get();
        }
    }

    @Override
    public void close() throws Exception {
        kit.close();
    }
}
