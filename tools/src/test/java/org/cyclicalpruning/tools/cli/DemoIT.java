package org.cyclicalpruning.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, {@code demo}, on the synthetic stream, then {@code inspect} on the files it kept. */
class DemoIT {

    private static String run(String... args) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = Main.newCommandLine().execute(args);
            assertThat(code).as("exit code of %s", Arrays.toString(args)).isZero();
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        stdout.print(out);
        return out;
    }

    @Test
    void demoEndsByItselfAndItsSnapshotFilesCanBeInspected(@TempDir Path dir) {
        // whatever the libraries log goes to the console between the table's lines: a demo that
        // runs as it should makes them log no warning at all (Flink's network buffers once did)
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.apache.logging.log4j.core.LoggerContext context =
                (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
        org.apache.logging.log4j.core.appender.AbstractAppender capture =
                new org.apache.logging.log4j.core.appender.AbstractAppender(
                        "warnings", null, null, true, org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
                    @Override
                    public void append(org.apache.logging.log4j.core.LogEvent event) {
                        if (event.getLevel().isMoreSpecificThan(org.apache.logging.log4j.Level.WARN)) {
                            warnings.add(event.getLoggerName() + ": "
                                    + event.getMessage().getFormattedMessage());
                        }
                    }
                };
        capture.start();
        context.getConfiguration().getRootLogger().addAppender(capture, org.apache.logging.log4j.Level.WARN, null);
        context.updateLoggers();
        String demo;
        try {
            // Fashion-MNIST's records (LeNet, 128 rows) are the ones that filled Flink's network buffers
            run("demo", "--dataset", "fashion-mnist-drift", "--batches", "300");
            demo = run("demo", "--dataset", "synthetic-drift", "--out", dir.toString());
        } finally {
            context.getConfiguration().getRootLogger().removeAppender("warnings");
            context.updateLoggers();
        }
        assertThat(warnings).as("warnings logged during the demo").isEmpty();
        assertThat(demo).contains("synthetic sparse teacher", "summary");
        List<String> snapshotLines = demo.lines()
                .filter(l -> l.matches("(cyclical|gmp|drift-aware) +\\d+ .*"))
                .toList();
        assertThat(snapshotLines).hasSize(19);
        assertThat(demo)
                .containsPattern(
                        "cyclical +6 snapshots, 600 steps, sparsity 0\\.9500, .*after loss [0-9.]+, recall 1\\.00");
        assertThat(demo).containsPattern("gmp +6 snapshots, 600 steps, .*after loss [0-9.]+, recall 0\\.00");
        // the drift-aware model holds GMP's mask until the support moves, then re-prunes once
        assertThat(demo).containsPattern("drift-aware +7 snapshots, 600 steps, .*after loss [0-9.]+, recall 1\\.00");
        assertThat(demo).containsPattern("drift-aware +\\d+ DRIFT_RESTART ");
        assertThat(demo)
                .containsPattern("drift-aware: 1 drift detection\\(s\\), the last at event time .*, [0-9.]+ s after");
        assertThat(demo).contains("dead letter: NOT_AVRO");

        String inspect = run(
                "inspect",
                "--dir",
                dir.toString(),
                "--describe",
                "--quality",
                "--dataset",
                "synthetic-drift",
                "--batches",
                "600",
                "--batch-size",
                "32");
        assertThat(inspect).contains("19 snapshots of 3 models", "layer0.weight");
        List<String> fromFiles = inspect.lines()
                .filter(l -> l.matches("(cyclical|gmp|drift-aware) +\\d+ .*"))
                .toList();
        assertThat(fromFiles).containsExactlyInAnyOrderElementsOf(snapshotLines);
    }
}
