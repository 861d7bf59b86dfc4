package org.cyclicalpruning.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.cyclicalpruning.kafka.EmbeddedKafkaExtension;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve-dir} against a real broker: the repository it leaves, and its argument checks. */
class ServeDirCommandIT {
    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void keepsTheNewestVersionOfEachModelAsAnOnnxFileAndStopsWhereToldTo(@TempDir Path dir) throws Exception {
        ModelSpec spec = ModelSpec.parse("mlp:20-8-3");
        try (org.apache.kafka.clients.admin.Admin admin =
                org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            admin.createTopics(java.util.List.of(
                            new org.apache.kafka.clients.admin.NewTopic("serve-dir-snapshots", 1, (short) 1)))
                    .all()
                    .get();
        }
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (long v = 1; v <= 2; v++) {
                producer.send(new ProducerRecord<>(
                        "serve-dir-snapshots",
                        "mlp",
                        ModelSnapshots.toBytes(TestSnapshots.snapshot("mlp", v, spec, 0.9, v))));
            }
        }
        Path repository = dir.resolve("repository");

        int code = run(
                "serve-dir",
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--topic",
                "serve-dir-snapshots",
                "--dir",
                repository.toString(),
                "--keep",
                "1",
                "--until",
                "mlp=2");

        assertThat(code).isZero();
        assertThat(repository.resolve("mlp").resolve("2").resolve("model.onnx")).isNotEmptyFile();
        assertThat(Files.exists(repository.resolve("mlp").resolve("1")))
                .as("only the last version is kept")
                .isFalse();
    }

    @Test
    void aKeepBelowOneIsRefusedByName(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("serve-dir", "--dir", dir.toString(), "--keep", "0");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("keep must be at least 1");
    }

    private static int run(String... args) {
        return Main.newCommandLine().execute(args);
    }
}
