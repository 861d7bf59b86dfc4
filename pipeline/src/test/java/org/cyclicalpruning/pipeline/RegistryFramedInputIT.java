package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.registry.StandInSchemaRegistry;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.cyclicalpruning.schemas.TrainingBatchRecords;
import org.junit.jupiter.api.Test;

/**
 * Batches written by Confluent's own Python client (python3-confluent-kafka's serializer, the one
 * its AvroProducer uses) in a schema registry's wire format, through a stand-in registry, to a
 * real broker: the job trains on them exactly as on the same batches in plain Avro, byte for byte;
 * a framed record with an unknown schema id and one whose schema cannot be read as a TrainingBatch
 * are dead-lettered with their causes; a registry that is down when the job starts holds the
 * batches back until it answers again, and loses none.
 */
class RegistryFramedInputIT extends KafkaJobTestBase {
    private static final Path PRODUCER = Path.of("..", "examples", "python", "produce_batches.py")
            .toAbsolutePath()
            .normalize();
    private static final int BATCHES = 60;
    private static final Duration OUTAGE = Duration.ofSeconds(3);

    @Test
    void framedBatchesTrainAsPlainOnesAndBadSchemasAreDeadLettered() throws Exception {
        KAFKA.broker().createTopics("plain-in", 1, "plain-out", "plain-dead");
        KAFKA.broker().createTopics("framed-in", 1, "framed-out", "framed-dead");
        try (StandInSchemaRegistry registry = StandInSchemaRegistry.start()) {
            python("--topic", "plain-in");
            String framed = python("--topic", "framed-in", "--registry", registry.url());
            assertThat(framed).contains("\"framing\": \"confluent\"", "\"schema_id\": 1");
            // a schema id nobody registered, and a schema that is not a TrainingBatch's
            int other = registry.register(
                    "framed-in-value",
                    "{\"type\":\"record\",\"name\":\"TrainingBatch\",\"namespace\":\"org.cyclicalpruning.schemas\","
                            + "\"fields\":[{\"name\":\"modelId\",\"type\":\"int\"}]}");
            try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
                Topics.send(producer, "framed-in", "m", framedRecord(9999, new byte[] {2, 'm'}));
                Topics.send(producer, "framed-in", "m", framedRecord(other, new byte[] {2}));
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

    /** A byte 0, the id big-endian, then {@code avro}: Confluent's wire format by hand. */
    private static byte[] framedRecord(int id, byte[] avro) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        out.writeBytes(avro);
        return out.toByteArray();
    }

    /** Runs the Python producer example with Debian's interpreter; returns its JSON line. */
    private static String python(String... args) throws Exception {
        String interpreter = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        List<String> command = new ArrayList<>(List.of(
                interpreter,
                PRODUCER.toString(),
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--model",
                "m",
                "--batches",
                String.valueOf(BATCHES),
                "--seed",
                "7"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s:%n%s", command, out).isZero();
        return out;
    }
}
