package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.cyclicalpruning.kafka.EmbeddedKafkaExtension;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The follower against a real broker: a compacted topic of two partitions, one model on each. */
class SnapshotFollowerIT {
    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final String TOPIC = "model-snapshots";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ModelSpec MLP = ModelSpec.parse("mlp:20-8-3");
    private static final ModelSpec LOGISTIC = ModelSpec.logistic(20);
    private static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void createTopicAndProducer() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                    .all()
                    .get();
        }
        producer = Topics.producer(KAFKA.bootstrapServers(), Map.of());
    }

    @AfterAll
    static void closeProducer() throws Exception {
        if (producer != null) {
            producer.close();
        }
    }

    /** Model "mlp" lives on partition 0 and "lr" on partition 1, so each partition's order is the test's order. */
    private static void send(int partition, String key, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(TOPIC, partition, key, value)).get();
    }

    private static SparseModelSnapshot mlp(long version) {
        return TestSnapshots.snapshot("mlp", version, MLP, 0.8, version);
    }

    private static SparseModelSnapshot lr(long version) {
        return TestSnapshots.snapshot("lr", version, LOGISTIC, 0.5, 100 + version);
    }

    @Test
    void servesTheLatestVersionSwapsInNewerOnesAndSkipsGarbage() throws Exception {
        send(0, "mlp", ModelSnapshots.toBytes(mlp(1)));
        send(0, "mlp", new byte[] {1, 2, 3}); // not a snapshot
        // a model id claiming 2 GB, then a valid record of a few hundred bytes whose spec has a
        // billion parameters: a reader that sized anything from them would die
        send(0, "mlp", new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 'a'});
        org.cyclicalpruning.schemas.SparseModelSnapshot huge = mlp(2);
        huge.setSpec(ModelSpec.mlp(1, new int[] {268_435_456}, 2).toAvro());
        send(0, "mlp", ModelSnapshots.toBytes(huge));
        send(0, "mlp", ModelSnapshots.toBytes(mlp(2)));
        for (long v = 1; v <= 3; v++) {
            send(1, "lr", ModelSnapshots.toBytes(lr(v)));
        }
        List<String> swaps = new CopyOnWriteArrayList<>();

        try (SnapshotFollower follower = SnapshotFollower.start(
                KAFKA.bootstrapServers(),
                TOPIC,
                Map.of("client.id", "follower-test"),
                (previous, current) -> swaps.add((previous == null ? "-" : previous.version()) + "->"
                        + current.modelId() + current.version()))) {
            assertThat(follower.awaitVersion("mlp", 2, WAIT))
                    .map(ServingModel::version)
                    .contains(2L);
            assertThat(follower.awaitVersion("lr", 3, WAIT))
                    .map(ServingModel::version)
                    .contains(3L);
            assertThat(follower.modelIds()).containsExactlyInAnyOrder("mlp", "lr");
            assertThat(follower.skippedRecords())
                    .as("the three hostile records before mlp v2")
                    .isEqualTo(3);
            assertThat(follower.latest("nobody")).isEmpty();
            assertThat(follower.awaitVersion("mlp", 3, Duration.ofMillis(300))).isEmpty();

            // hot swap: the reference a reader already holds keeps serving v2 while v3 moves in
            ServingModel v2 = follower.latest("mlp").orElseThrow();
            send(0, "mlp", ModelSnapshots.toBytes(mlp(3)));
            ServingModel v3 = follower.awaitVersion("mlp", 3, WAIT).orElseThrow();
            assertThat(follower.latest("mlp")).containsSame(v3);
            float[] x = TestSnapshots.features(4, 20, 9);
            assertThat(v3.predict(x, 4))
                    .containsExactly(SparsePredictor.of(mlp(3)).predict(x, 4));
            assertThat(v2.predict(x, 4))
                    .containsExactly(SparsePredictor.of(mlp(2)).predict(x, 4));
            assertThat(v3.predict(x, 4)).isNotEqualTo(v2.predict(x, 4));
            assertThat(v3.snapshot().getStep()).isEqualTo(300);

            // a late older version is ignored; the garbage after it shows it has been read
            send(0, "mlp", ModelSnapshots.toBytes(mlp(1)));
            send(0, "mlp", new byte[0]);
            waitUntil(() -> follower.skippedRecords() == 4);
            assertThat(follower.latest("mlp")).containsSame(v3);
            assertThat(follower.isRunning()).isTrue();

            assertThat(swaps).containsExactlyInAnyOrder("-->mlp1", "1->mlp2", "-->lr1", "1->lr2", "2->lr3", "2->mlp3");
            follower.close();
            assertThat(follower.isRunning()).isFalse();
            assertThat(follower.latest("lr")).map(ServingModel::version).contains(3L);
        }
    }

    /**
     * A redeploy without state: the new deployment's lineage counts versions from 1 again, and its
     * version 1 replaces the old deployment's version 3; a late record of the old one does not come back.
     */
    @Test
    void aNewLineageReplacesTheOldOnesLastVersionAndLateRecordsOfTheOldOneAreIgnored() throws Exception {
        String topic = "snapshots-across-redeploys";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        for (long v = 1; v <= 3; v++) {
            producer.send(new ProducerRecord<>(topic, "lr", ModelSnapshots.toBytes(lr(v, 1_000))))
                    .get();
        }
        List<String> swaps = new CopyOnWriteArrayList<>();
        try (SnapshotFollower follower = SnapshotFollower.start(
                KAFKA.bootstrapServers(),
                topic,
                Map.of(),
                (previous, current) -> swaps.add(current.lineage() + "v" + current.version()))) {
            assertThat(follower.awaitVersion("lr", 3, WAIT)).isPresent();

            producer.send(new ProducerRecord<>(topic, "lr", ModelSnapshots.toBytes(lr(1, 2_000))))
                    .get();
            ServingModel fresh =
                    follower.await("lr", m -> m.lineage() == 2_000, WAIT).orElseThrow();
            assertThat(fresh.version()).isEqualTo(1);

            // the old deployment's last transaction, committed late; the garbage after it shows it was read
            producer.send(new ProducerRecord<>(topic, "lr", ModelSnapshots.toBytes(lr(4, 1_000))))
                    .get();
            producer.send(new ProducerRecord<>(topic, "lr", new byte[0])).get();
            waitUntil(() -> follower.skippedRecords() == 1);
            assertThat(follower.latest("lr")).containsSame(fresh);
        }
        assertThat(swaps).containsExactly("1000v1", "1000v2", "1000v3", "2000v1");
    }

    private static SparseModelSnapshot lr(long version, long lineage) {
        SparseModelSnapshot s = lr(version);
        s.setLineage(lineage);
        return s;
    }

    @Test
    void extraKafkaPropertiesReachTheConsumerButNotTheLog() throws Exception {
        String topic = "snapshots-with-credentials";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        producer.send(new ProducerRecord<>(topic, "lr", ModelSnapshots.toBytes(lr(1))))
                .get();
        String secret = "s3cret-never-logged";
        Map<String, String> extra = Map.of(
                "client.id",
                "follower-with-credentials",
                // unused on a PLAINTEXT listener, but configured and reported like any other property
                "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"serving\" password=\""
                        + secret + "\";",
                "ssl.truststore.password",
                secret);
        StringWriter log = new StringWriter();
        List<String> loggers =
                List.of("org.cyclicalpruning.serving", "org.apache.kafka.clients", "org.apache.kafka.common");
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Appender appender = WriterAppender.newBuilder()
                .setName("capture")
                .setTarget(log)
                .setLayout(
                        PatternLayout.newBuilder().withPattern("%p %c{1} %m%n").build())
                .build();
        appender.start();
        for (String name : loggers) {
            Configurator.setLevel(name, Level.INFO);
            context.getConfiguration().getLoggerConfig(name).addAppender(appender, Level.ALL, null);
        }
        context.updateLoggers();
        try (SnapshotFollower follower = SnapshotFollower.start(KAFKA.bootstrapServers(), topic, extra)) {
            assertThat(follower.awaitVersion("lr", 1, WAIT)).isPresent();
        } finally {
            for (String name : loggers) {
                context.getConfiguration().getLoggerConfig(name).removeAppender("capture");
                Configurator.setLevel(name, Level.WARN);
            }
            context.updateLoggers();
            appender.stop();
        }
        assertThat(log.toString())
                .contains("following snapshot topic " + topic, "follower-with-credentials", "serving lr v1")
                .as("Kafka reports its configuration, masking credentials")
                .contains("sasl.jaas.config = [hidden]", "ssl.truststore.password = [hidden]")
                .doesNotContain(secret);
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", WAIT).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
