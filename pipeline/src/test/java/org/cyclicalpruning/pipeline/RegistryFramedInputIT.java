package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.config.SinkFraming;
import org.cyclicalpruning.pipeline.source.registry.StandInSchemaRegistry;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.RegistryFraming;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.cyclicalpruning.schemas.TrainingBatchRecords;
import org.junit.jupiter.api.Test;

/**
 * Batches written by Confluent's own Python client (python3-confluent-kafka's AvroProducer, keys
 * framed as Avro strings) in a schema registry's wire format, through a stand-in registry, to a
 * real broker: the job trains on them exactly as on the same batches in plain Avro, byte for byte;
 * a framed record with an unknown schema id and one whose schema cannot be read as a TrainingBatch
 * are dead-lettered with their causes; a registry that is down when the job starts holds the
 * batches back until it answers again, and loses none.
 */
class RegistryFramedInputIT extends KafkaJobTestBase {
    private static final Path PRODUCER = Path.of("..", "examples", "python", "produce_batches.py")
            .toAbsolutePath()
            .normalize();
    private static final Path FOLLOWER = PRODUCER.resolveSibling("follow_snapshots.py");
    private static final Path AVRO_CONSUMER =
            Path.of("src", "test", "python", "avro_consumer.py").toAbsolutePath();
    private static final int BATCHES = 60;
    private static final Duration OUTAGE = Duration.ofSeconds(3);

    @Test
    void framedBatchesTrainAsPlainOnesAndBadSchemasAreDeadLettered() throws Exception {
        KAFKA.broker().createTopics("plain-in", 1, "plain-out", "plain-dead");
        KAFKA.broker().createTopics("framed-in", 1, "framed-out", "framed-dead");
        try (StandInSchemaRegistry registry = StandInSchemaRegistry.start()) {
            produce("--topic", "plain-in");
            String framed = produce("--topic", "framed-in", "--registry", registry.url());
            assertThat(framed).contains("\"framing\": \"confluent\"", "\"schema_id\": 1");
            // a schema id nobody registered, and a schema that is not a TrainingBatch's
            int other = registry.register(
                    "framed-in-value",
                    "{\"type\":\"record\",\"name\":\"TrainingBatch\",\"namespace\":\"org.cyclicalpruning.schemas\","
                            + "\"fields\":[{\"name\":\"modelId\",\"type\":\"int\"}]}");
            try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
                Topics.send(producer, "framed-in", "m", RegistryFraming.frame(9999, new byte[] {2, 'm'}));
                Topics.send(producer, "framed-in", "m", RegistryFraming.frame(other, new byte[] {2}));
            }

            Map<String, List<SparseModelSnapshot>> plain = run(config("plain-in", "plain-out", "plain-dead"));
            // the registry is down as the framed job starts: its first batch waits for it
            registry.stop();
            JobClient job = start(config("framed-in", "framed-out", "framed-dead")
                    .with(JobOptions.SCHEMA_REGISTRY_URL, Optional.of(registry.url())));
            Thread.sleep(OUTAGE.toMillis()); // the outage's length, not a wait for something to happen
            registry.resume();
            job.getJobExecutionResult().get(5, TimeUnit.MINUTES);
            Map<String, List<SparseModelSnapshot>> viaRegistry = JobFixtures.byModel(
                    Topics.readAll(KAFKA.bootstrapServers(), "framed-out", Map.of(), Duration.ofSeconds(60)));

            System.out.println(JobFixtures.describe(viaRegistry));
            assertThat(plain.get("m")).hasSizeGreaterThan(2);
            JobFixtures.assertSameBytes(viaRegistry, plain);
            List<DeadLetterCause> causes = new ArrayList<>();
            for (DeadLetter d :
                    JobFixtures.deadLetters(KAFKA.bootstrapServers(), "framed-dead", 2, Duration.ofSeconds(60))) {
                causes.add(d.getCause());
                System.out.println("dead letter: " + d.getCause() + ": " + d.getMessage());
            }
            assertThat(causes)
                    .containsExactlyInAnyOrder(DeadLetterCause.UNKNOWN_SCHEMA, DeadLetterCause.SCHEMA_MISMATCH);
        }
    }

    /**
     * The Java producer API of the schemas module (TrainingBatchRecords), plain and framed with the
     * id the stand-in registry gave the schema, through a real broker: the same snapshots.
     */
    @Test
    void theJavaProducerApiWritesBatchesThatTrainTheSameFramedOrPlain() throws Exception {
        KAFKA.broker().createTopics("java-plain-in", 1, "java-plain-out", "java-plain-dead");
        KAFKA.broker().createTopics("java-framed-in", 1, "java-framed-out", "java-framed-dead");
        try (StandInSchemaRegistry registry = StandInSchemaRegistry.start()) {
            int id = registry.register(
                    "java-framed-in-value", TrainingBatch.getClassSchema().toString());
            org.cyclicalpruning.modelops.data.SparseTeacher teacher = JobFixtures.classificationTeacher(11);
            try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
                for (int i = 0; i < BATCHES; i++) {
                    org.cyclicalpruning.modelops.data.Batch b = teacher.batch(i, 32);
                    TrainingBatch batch = TrainingBatchRecords.classification(
                            "j", i, JobFixtures.T0 + i * 50L, b.features(), b.rows(), b.dim(), b.labels());
                    Topics.send(producer, "java-plain-in", "j", TrainingBatchRecords.plain(batch));
                    Topics.send(producer, "java-framed-in", "j", TrainingBatchRecords.framed(batch, id));
                }
            }
            Map<String, List<SparseModelSnapshot>> plain =
                    run(javaConfig("java-plain-in", "java-plain-out", "java-plain-dead"));
            Map<String, List<SparseModelSnapshot>> framed =
                    run(javaConfig("java-framed-in", "java-framed-out", "java-framed-dead")
                            .with(JobOptions.SCHEMA_REGISTRY_URL, Optional.of(registry.url())));
            assertThat(plain.get("j")).hasSizeGreaterThan(2);
            JobFixtures.assertSameBytes(framed, plain);
        }
    }

    /**
     * With {@code sinks.framing: confluent} the job registers its output schemas under {@code
     * <topic>-value} and frames snapshots and dead letters with their ids: the Avro after each
     * header is byte for byte what the same run writes plain; the project's Java readers read the
     * framed values without a registry; Confluent's Python deserializer reads them through it (the
     * follower example with {@code --schema-registry}, and AvroConsumer on the dead letters).
     */
    @Test
    void framedOutputIsReadByConfluentsDeserializerAndCarriesThePlainBytes() throws Exception {
        KAFKA.broker().createTopics("out-in", 1, "out-plain", "out-plain-dead");
        // both runs read out-in: this input topic is created with the framed run's output topics only
        KAFKA.broker().createTopics("out-framed-in", 1, "out-framed", "out-framed-dead");
        try (StandInSchemaRegistry registry = StandInSchemaRegistry.start()) {
            produce("--topic", "out-in");
            try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
                Topics.send(producer, "out-in", "m", "not a training batch".getBytes(StandardCharsets.UTF_8));
            }
            run(config("out-in", "out-plain", "out-plain-dead"));
            run(config("out-in", "out-framed", "out-framed-dead")
                    .with(JobOptions.SCHEMA_REGISTRY_URL, Optional.of(registry.url()))
                    .with(JobOptions.SINK_FRAMING, SinkFraming.CONFLUENT)
                    .with(JobOptions.SINK_KEY_FRAMING, SinkFraming.CONFLUENT));

            int snapshotId = onlyId(registry, "out-framed-value");
            int deadLetterId = onlyId(registry, "out-framed-dead-value");
            int keyId = onlyId(registry, "out-framed-key");
            assertThat(registry.ids("out-framed-dead-key")).containsExactly(keyId);
            assertFramedCopies("out-framed", "out-plain", snapshotId, keyId, 3);
            assertFramedCopies("out-framed-dead", "out-plain-dead", deadLetterId, keyId, 1);
            List<DeadLetter> letters =
                    JobFixtures.deadLetters(KAFKA.bootstrapServers(), "out-framed-dead", 1, Duration.ofSeconds(60));
            assertThat(letters).extracting(DeadLetter::getCause).containsExactly(DeadLetterCause.NOT_AVRO);

            long lastVersion = JobFixtures.byModel(
                            Topics.readAll(KAFKA.bootstrapServers(), "out-plain", Map.of(), Duration.ofSeconds(60)))
                    .get("m")
                    .stream()
                    .mapToLong(SparseModelSnapshot::getVersion)
                    .max()
                    .orElseThrow();
            String followed = python(
                    FOLLOWER,
                    "--topic",
                    "out-framed",
                    "--model",
                    "m",
                    "--min-version",
                    String.valueOf(lastVersion),
                    "--schema-registry",
                    registry.url());
            System.out.println("python follower: " + followed);
            assertThat(followed)
                    .contains("\"version\": " + lastVersion + ",", "\"schema_id\": " + snapshotId, "\"skipped\": 0");
            String snapshot = python(AVRO_CONSUMER, "out-framed", registry.url());
            System.out.println("AvroConsumer: " + snapshot);
            assertThat(snapshot).contains("\"key\": \"m\"", "\"modelId\": \"m\"", "\"version\": 1,");
            String deadLetter = python(AVRO_CONSUMER, "out-framed-dead", registry.url());
            System.out.println("AvroConsumer: " + deadLetter);
            assertThat(deadLetter).contains("\"cause\": \"NOT_AVRO\"", "\"sourceTopic\": \"out-in\"");
            // the Python deserializer, not a local schema, decoded them: it asked the registry
            assertThat(registry.lookups(snapshotId)).isPositive();
            assertThat(registry.lookups(deadLetterId)).isPositive();
            assertThat(registry.lookups(keyId)).isPositive();
        }
    }

    /** A registry that cannot register the output schemas stops the submission, saying why. */
    @Test
    void framedOutputWithoutARegistryFailsAtSubmission() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        JobConfig config = config("nowhere-in", "nowhere-out", "nowhere-dead")
                .with(JobOptions.SCHEMA_REGISTRY_URL, Optional.of("http://127.0.0.1:" + port))
                .with(JobOptions.SCHEMA_REGISTRY_MAX_WAIT, Duration.ofMillis(300))
                .with(JobOptions.SINK_FRAMING, SinkFraming.CONFLUENT);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        assertThatThrownBy(() -> TrainingJob.build(env, config))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sinks.framing")
                .hasMessageContaining("'nowhere-out-value'")
                .hasMessageContaining("did not answer");
    }

    private static int onlyId(StandInSchemaRegistry registry, String subject) {
        assertThat(registry.ids(subject)).as("ids registered under %s", subject).hasSize(1);
        return registry.ids(subject).get(0);
    }

    /**
     * Every record of {@code framed} is the record of {@code plain} at its place: its value behind
     * {@code valueId}, its key (where it has one) as an Avro string behind {@code keyId}.
     */
    private static void assertFramedCopies(String framed, String plain, int valueId, int keyId, int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> framedRecords = records(framed);
        List<ConsumerRecord<byte[], byte[]>> plainRecords = records(plain);
        assertThat(plainRecords).hasSizeGreaterThanOrEqualTo(atLeast);
        assertThat(framedRecords).hasSameSizeAs(plainRecords);
        for (int i = 0; i < framedRecords.size(); i++) {
            byte[] value = framedRecords.get(i).value();
            assertThat(RegistryFraming.isFramed(value))
                    .as("%s #%s is framed", framed, i)
                    .isTrue();
            assertThat(RegistryFraming.schemaId(value)).isEqualTo(valueId);
            assertThat(RegistryFraming.avro(value))
                    .as("%s #%s after its header", framed, i)
                    .isEqualTo(plainRecords.get(i).value());
            byte[] plainKey = plainRecords.get(i).key();
            if (plainKey == null) {
                assertThat(framedRecords.get(i).key()).isNull();
            } else {
                assertThat(framedRecords.get(i).key())
                        .isEqualTo(RegistryFraming.frameString(keyId, new String(plainKey, StandardCharsets.UTF_8)));
            }
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        return Topics.readAll(KAFKA.bootstrapServers(), topic, Map.of(), Duration.ofSeconds(60));
    }

    private static JobConfig javaConfig(String in, String out, String dead) {
        return JobFixtures.withTopics(
                JobFixtures.config(
                        KAFKA.bootstrapServers(),
                        1,
                        true,
                        List.of(JobFixtures.logistic("j", "cyclical(final=0.8, period=1s, cycles=inf, ramp=0.5)"))),
                in,
                out,
                dead);
    }

    private static JobConfig config(String in, String out, String dead) {
        return JobFixtures.withTopics(
                JobFixtures.config(
                        KAFKA.bootstrapServers(),
                        1,
                        true,
                        List.of(JobFixtures.model(
                                "m",
                                "mlp:20-8-3",
                                "cyclical(final=0.8, period=1s, cycles=inf, ramp=0.5)",
                                "global",
                                true,
                                0.05))),
                in,
                out,
                dead);
    }

    private static Map<String, List<SparseModelSnapshot>> run(JobConfig config) throws Exception {
        start(config).getJobExecutionResult().get(5, TimeUnit.MINUTES);
        return JobFixtures.byModel(Topics.readAll(
                KAFKA.bootstrapServers(), config.get(JobOptions.SNAPSHOT_TOPIC), Map.of(), Duration.ofSeconds(60)));
    }

    private static JobClient start(JobConfig config) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        return env.executeAsync("registry-framed");
    }

    /** Runs the Python producer example for model m with Debian's interpreter; returns its JSON line. */
    private static String produce(String... args) throws Exception {
        List<String> all =
                new ArrayList<>(List.of("--model", "m", "--batches", String.valueOf(BATCHES), "--seed", "7"));
        all.addAll(List.of(args));
        return python(PRODUCER, all.toArray(String[]::new));
    }

    /** Runs a Python script with Debian's interpreter against the broker; returns what it printed. */
    private static String python(Path script, String... args) throws Exception {
        String interpreter = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        List<String> command =
                new ArrayList<>(List.of(interpreter, script.toString(), "--bootstrap", KAFKA.bootstrapServers()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s:%n%s", command, out).isZero();
        return out;
    }
}
