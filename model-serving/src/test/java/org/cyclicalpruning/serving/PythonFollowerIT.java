package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.cyclicalpruning.kafka.EmbeddedKafkaExtension;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python follower of docs/serving.md ({@code examples/python/follow_snapshots.py}, Debian's
 * confluent-kafka, Avro and NumPy) against a real broker: it reads only committed snapshots,
 * decodes every support encoding and predicts what the Java predictor predicts.
 */
class PythonFollowerIT {
    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final Path SCRIPT = Path.of("..", "examples", "python", "follow_snapshots.py")
            .toAbsolutePath()
            .normalize();
    private static final ModelSpec SPEC = ModelSpec.mlp(400, new int[] {64, 32}, 3);
    private static final int ROWS = 5;

    /** Layers pruned to 50%, 99% and 90%, so that the cheapest encodings differ from tensor to tensor. */
    private static SparseModelSnapshot snapshot(long version) {
        float[][] half = TestSnapshots.params(SPEC, 0.5, version);
        float[][] most = TestSnapshots.params(SPEC, 0.99, version);
        float[][] ninety = TestSnapshots.params(SPEC, 0.9, version);
        float[][] params = {half[0], half[1], most[2], most[3], ninety[4], ninety[5]};
        return TestSnapshots.snapshot("mlp", version, SPEC, params);
    }

    @Test
    void pythonReadsOnlyCommittedSnapshotsDecodesEveryEncodingAndPredictsAsJavaDoes(@TempDir Path dir)
            throws Exception {
        String topic = "snapshots-for-python";
        createTopic(topic);
        SparseModelSnapshot v2 = snapshot(2);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", KAFKA.bootstrapServers(),
                "transactional.id", "python-follower-it",
                "key.serializer", StringSerializer.class.getName(),
                "value.serializer", ByteArraySerializer.class.getName()))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot(1))));
            producer.send(new ProducerRecord<>(topic, "mlp", new byte[] {1, 2, 3}));
            producer.commitTransaction();
            // a version the job never committed (a failed checkpoint): read_committed never sees it
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot(9))));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(v2)));
            producer.commitTransaction();
        }
        Set<String> encodings = new TreeSet<>();
        for (SparseTensor t : v2.getTensors()) {
            encodings.add(t.getEncoding().name());
        }
        assertThat(encodings).as("the encodings the script must decode").hasSizeGreaterThanOrEqualTo(3);

        float[] x = TestSnapshots.features(ROWS, SPEC.inputs(), 7);
        Path features = writeFeatures(dir, x);

        JsonNode result = runScript(
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                topic,
                "--model",
                "mlp",
                "--min-version",
                "2",
                "--features",
                features.toString(),
                "--rows",
                String.valueOf(ROWS));

        assertThat(result.get("version").asLong()).as("v9 was aborted").isEqualTo(2);
        assertThat(result.get("skipped").asInt()).isEqualTo(1);
        Set<String> decoded = new TreeSet<>();
        result.get("encodings").forEach(e -> decoded.add(e.asText()));
        assertThat(decoded).isEqualTo(encodings);
        JsonNode outputs = result.get("outputs");
        assertThat(outputs.size()).isEqualTo(ROWS);
        assertOutputsMatch(outputs, SparsePredictor.of(v2).predict(x, ROWS), SPEC.outputs());
    }

    @Test
    void pythonPredictsACnnAsJavaDoes(@TempDir Path dir) throws Exception {
        String topic = "cnn-snapshots-for-python";
        // a convolution with batch normalisation and one without
        ModelSpec cnn = ModelSpec.parse("cnn:3x11x11-c6k5p0bn-p2-c4k3-f8-3");
        SparseModelSnapshot s = TestSnapshots.snapshot("cnn", 1, cnn, TestSnapshots.fanInScaledParams(cnn, 0.8, 3));
        createTopic(topic);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>(topic, "cnn", ModelSnapshots.toBytes(s)))
                    .get();
        }
        float[] x = TestSnapshots.features(ROWS, cnn.inputs(), 11);
        Path features = writeFeatures(dir, x);

        JsonNode outputs = runScript(
                        "--bootstrap",
                        KAFKA.bootstrapServers(),
                        "--topic",
                        topic,
                        "--model",
                        "cnn",
                        "--features",
                        features.toString(),
                        "--rows",
                        String.valueOf(ROWS))
                .get("outputs");
        assertOutputsMatch(outputs, SparsePredictor.of(s).predict(x, ROWS), cnn.outputs());
    }

    /**
     * Python orders snapshots as the Java follower does: a redeploy's newer lineage replaces the old
     * one's higher version, a late record of the old lineage does not, and a record of an earlier
     * build, without the lineage field, still reads (as lineage 0).
     */
    @Test
    void pythonServesTheNewestLineageAndReadsRecordsWithoutOne() throws Exception {
        String topic = "lineages-for-python";
        createTopic(topic);
        Schema withoutLineage = withoutLastField(SparseModelSnapshot.getClassSchema());
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>(topic, "mlp", bytes(snapshot(5), withoutLineage)));
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(withLineage(snapshot(3), 100))));
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(withLineage(snapshot(1), 200))));
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(withLineage(snapshot(4), 100))))
                    .get();
        }

        // the schemas from the released artifact, as a team outside this repository reads them
        JsonNode result = runScript(
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                topic,
                "--model",
                "mlp",
                "--min-lineage",
                "200",
                "--schemas",
                schemasJar().toString());

        assertThat(result.get("lineage").asLong()).isEqualTo(200);
        assertThat(result.get("version").asLong()).isEqualTo(1);
        assertThat(result.get("skipped").asInt())
                .as("the record without a lineage was read")
                .isZero();
    }

    /**
     * As a service, the follower keeps reading and prints a line for each newer version it would
     * serve, with Kafka settings passed through.
     */
    @Test
    void pythonFollowsAsAServiceAndPrintsEachNewVersion() throws Exception {
        String topic = "snapshots-followed-by-python";
        createTopic(topic);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot(1))))
                    .get();
            String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
            Process p = new ProcessBuilder(
                            python,
                            SCRIPT.toString(),
                            "--bootstrap",
                            KAFKA.bootstrapServers(),
                            "--topic",
                            topic,
                            "--model",
                            "mlp",
                            "--follow",
                            "--timeout",
                            "120",
                            "--property",
                            "client.id=python-service",
                            "--schemas",
                            schemasJar().toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try (java.io.BufferedReader lines = new java.io.BufferedReader(
                    new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                ObjectMapper json = new ObjectMapper();
                assertThat(json.readTree(lines.readLine()).get("version").asLong())
                        .isEqualTo(1);
                // the positive signal that it follows: the next version, published after it started
                producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot(2))))
                        .get();
                assertThat(json.readTree(lines.readLine()).get("version").asLong())
                        .isEqualTo(2);
                assertThat(p.isAlive()).as("still following").isTrue();
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The schemas module's jar, the released artifact that carries the .avsc files. */
    private static Path schemasJar() throws java.io.IOException {
        try (var jars = Files.list(Path.of("..", "schemas", "target"))) {
            return jars.filter(p -> p.getFileName().toString().matches("schemas-.*\\.jar"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("build the schemas module first"));
        }
    }

    private static SparseModelSnapshot withLineage(SparseModelSnapshot s, long lineage) {
        s.setLineage(lineage);
        return s;
    }

    private static Schema withoutLastField(Schema schema) {
        List<Schema.Field> fields = new java.util.ArrayList<>();
        for (Schema.Field f : schema.getFields().subList(0, schema.getFields().size() - 1)) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        assertThat(schema.getFields().get(fields.size()).name()).isEqualTo("lineage");
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    /** The record as a job of an earlier build wrote it, in that build's layout. */
    private static byte[] bytes(SparseModelSnapshot s, Schema writer) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SparseModelSnapshot>(writer).write(s, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static void createTopic(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
    }

    /** Writes the features as the script reads them: float32 little-endian, row after row. */
    private static Path writeFeatures(Path dir, float[] x) throws java.io.IOException {
        Path features = dir.resolve("x.f32");
        ByteBuffer bytes = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(x);
        return Files.write(features, bytes.array());
    }

    /** Python's outputs against the Java predictor's, to 1e-5 relative. */
    private static void assertOutputsMatch(JsonNode outputs, float[] expected, int width) {
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < width; c++) {
                double want = expected[r * width + c];
                assertThat(outputs.get(r).get(c).asDouble())
                        .as("row %s, output %s", r, c)
                        .isCloseTo(want, org.assertj.core.api.Assertions.within(1e-5 * Math.max(1, Math.abs(want))));
            }
        }
    }

    private static JsonNode runScript(String... args) throws Exception {
        // Debian's interpreter, which has Debian's packages, before whatever else is on the path
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        List<String> command = new java.util.ArrayList<>(List.of(python, SCRIPT.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s%n%s", out, err).isZero();
        return new ObjectMapper().readTree(out.trim());
    }
}
