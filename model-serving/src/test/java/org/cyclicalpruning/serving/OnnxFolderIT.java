package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cyclicalpruning.kafka.EmbeddedKafkaExtension;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A serving folder in Triton's layout that follows a real broker's snapshot topic. */
class OnnxFolderIT {
    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final ModelSpec SPEC = ModelSpec.parse("mlp:20-8-3");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static SparseModelSnapshot snapshot(String id, long version) {
        return TestSnapshots.snapshot(id, version, SPEC, 0.8, version);
    }

    @Test
    void everyNewVersionAppearsWholeTheLastTwoStayAndARestartRewritesNothing(@TempDir Path dir) throws Exception {
        String topic = "snapshots-for-a-folder";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (long v = 1; v <= 3; v++) {
                producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot("mlp", v))));
            }
            producer.send(new ProducerRecord<>(topic, "a/b", ModelSnapshots.toBytes(snapshot("a/b", 1))));
            producer.send(new ProducerRecord<>(topic, "x", new byte[] {1, 2, 3}));
        }
        Path repository = dir.resolve("models");
        OnnxFolder folder = OnnxFolder.into(repository, 2);

        try (SnapshotFollower follower = SnapshotFollower.start(KAFKA.bootstrapServers(), topic, Map.of(), folder)) {
            awaitTrue(() -> folder.versions("mlp").contains(3L)
                    && folder.versions("a/b").contains(1L));
        }
        assertThat(folder.versions("mlp")).containsExactly(2L, 3L);
        assertThat(folder.modelFolder("a/b").getParent())
                .isEqualTo(repository.toAbsolutePath().normalize());
        try (Stream<Path> all = Files.walk(repository)) {
            assertThat(all.filter(OnnxFolderIT::isLeftOver))
                    .as("no staging or half-deleted folder left")
                    .isEmpty();
        }
        // Triton's model configuration beside the versions: its name is the folder's, as Triton requires
        Path config = folder.modelFolder("mlp").resolve(OnnxFolder.CONFIG_FILE);
        assertThat(Files.readString(config))
                .contains("name: \"" + folder.modelFolder("mlp").getFileName() + "\"")
                .contains("backend: \"onnxruntime\"")
                .contains("name: \"" + OnnxExport.INPUT + "\"", "dims: [ -1, " + SPEC.inputs() + " ]")
                .contains("name: \"" + OnnxExport.OUTPUT + "\"", "dims: [ -1, " + SPEC.outputs() + " ]");
        assertThat(folder.modelFolder("a/b").resolve(OnnxFolder.CONFIG_FILE)).exists();
        Path v3 = folder.modelFolder("mlp").resolve("3").resolve(OnnxFolder.MODEL_FILE);
        assertRunsAsJava(v3, snapshot("mlp", 3));
        FileTime written = Files.getLastModifiedTime(v3);

        // a restarted follower reads the topic again: versions on disk stay as they are
        OnnxFolder again = OnnxFolder.into(repository, 2);
        try (SnapshotFollower follower = SnapshotFollower.start(KAFKA.bootstrapServers(), topic, Map.of(), again)) {
            // the garbage record is the topic's last: once it is skipped, everything was read
            awaitTrue(() -> follower.skippedRecords() == 1);
            assertThat(follower.latest("mlp")).map(ServingModel::version).contains(3L);
        }
        assertThat(again.versions("mlp")).containsExactly(2L, 3L);
        assertThat(Files.getLastModifiedTime(v3)).isEqualTo(written);
        try (Stream<Path> all = Files.walk(repository)) {
            assertThat(all.filter(OnnxFolderIT::isLeftOver)).isEmpty();
        }
    }

    /**
     * A redeploy without state starts a new lineage whose versions count from 1: its folders follow
     * the highest one on disk, so Triton's "latest" serves it; a restarted follower, reading the old
     * lineage first, leaves the folders alone.
     */
    @Test
    void aNewLineageContinuesTheFolderNumbersAndARestartLeavesThemAlone(@TempDir Path dir) throws Exception {
        String topic = "snapshots-of-two-deployments";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (long v = 1; v <= 3; v++) {
                producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot("mlp", v, 10))));
            }
            for (long v = 1; v <= 2; v++) {
                producer.send(new ProducerRecord<>(topic, "mlp", ModelSnapshots.toBytes(snapshot("mlp", v, 20))));
            }
            producer.send(new ProducerRecord<>(topic, "x", new byte[] {1, 2, 3}));
        }
        Path repository = dir.resolve("models");
        OnnxFolder folder = OnnxFolder.into(repository, 2);
        try (SnapshotFollower follower = SnapshotFollower.start(KAFKA.bootstrapServers(), topic, Map.of(), folder)) {
            awaitTrue(() ->
                    follower.skippedRecords() == 1 && folder.versions("mlp").contains(5L));
        }
        assertThat(folder.versions("mlp")).containsExactly(4L, 5L);
        Path newest = folder.modelFolder("mlp").resolve("5").resolve(OnnxFolder.MODEL_FILE);
        assertRunsAsJava(newest, snapshot("mlp", 2, 20));
        FileTime written = Files.getLastModifiedTime(newest);

        OnnxFolder again = OnnxFolder.into(repository, 2);
        try (SnapshotFollower follower = SnapshotFollower.start(KAFKA.bootstrapServers(), topic, Map.of(), again)) {
            awaitTrue(() -> follower.skippedRecords() == 1);
        }
        assertThat(again.versions("mlp")).containsExactly(4L, 5L);
        assertThat(Files.getLastModifiedTime(newest)).isEqualTo(written);
    }

    private static SparseModelSnapshot snapshot(String id, long version, long lineage) {
        SparseModelSnapshot s = TestSnapshots.snapshot(id, version, SPEC, 0.8, version + lineage);
        s.setLineage(lineage);
        return s;
    }

    /** A staging or half-deleted entry; the lineage record is meant to stay. */
    private static boolean isLeftOver(Path p) {
        String name = p.getFileName().toString();
        return name.startsWith(".") && !name.equals(OnnxFolder.LINEAGE_FILE);
    }

    private static void assertRunsAsJava(Path model, SparseModelSnapshot snapshot) throws Exception {
        float[] x = TestSnapshots.features(4, SPEC.inputs(), 3);
        float[] expected = SparsePredictor.of(snapshot).predict(x, 4);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {4, SPEC.inputs()});
                OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, input))) {
            float[][] out = (float[][]) result.get(0).getValue();
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < SPEC.outputs(); c++) {
                    assertThat(out[r][c]).isCloseTo(expected[r * SPEC.outputs() + c], within(1e-5f));
                }
            }
        }
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited %s", WAIT).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
