package org.cyclicalpruning.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.cyclicalpruning.tools.experiment.Reports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Runs the real command line end to end (real DJL training on synthetic data). */
class CommandLineTest {

    @Test
    void experimentWritesCsvAndPlot(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("results.csv");
        Path png = dir.resolve("results.png");

        int code = Main.newCommandLine()
                .execute(
                        "experiment",
                        "--dataset",
                        "synthetic",
                        "--steps",
                        "240",
                        "--seed",
                        "1",
                        "--sparsities",
                        "0.9,0.98",
                        "--methods",
                        "dense,gmp,cyclical,drift-aware",
                        "--csv",
                        csv.toString(),
                        "--plot",
                        png.toString());

        assertThat(code).isZero();
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.get(0)).isEqualTo(Reports.CSV_HEADER);
        assertThat(lines).hasSize(1 + 1 + 2 + 2 + 2);
        assertThat(lines.get(1)).startsWith("dense,0.00000,");
        assertThat(lines.subList(2, 8))
                .extracting(l -> l.split(",")[0])
                .containsExactly("gmp", "gmp", "cyclical", "cyclical", "drift-aware", "drift-aware");
        int columns = Reports.CSV_HEADER.split(",").length;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            assertThat(f).hasSize(columns);
            assertThat(f[8]).as("seeds").isEqualTo("1");
            // a stationary stream: the drift-aware schedule's detector never fires
            assertThat(f[13]).as("drift_detections").isEqualTo("0.00000");
            assertThat(f[14]).as("false_alarms").isEqualTo("0.00000");
            assertThat(f[16]).as("detection_steps").isEmpty();
            assertThat(f[3]).as("test_accuracy does not apply to regression").isEmpty();
            assertThat(Double.parseDouble(f[4])).as("test_mse").isPositive();
            assertThat(Double.parseDouble(f[5])).as("support_recall").isBetween(0.0, 1.0);
        }
        String gmp98 = lines.get(3);
        assertThat(Double.parseDouble(gmp98.split(",")[2]))
                .as("achieved sparsity")
                .isCloseTo(0.98, org.assertj.core.api.Assertions.within(0.001));
        byte[] header = Files.readAllBytes(png);
        assertThat(header.length).isGreaterThan(1000);
        assertThat(new String(header, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("PNG");
    }

    static Stream<Arguments> badExperiments() {
        return Stream.of(
                Arguments.of(List.of("--dataset", "synthetic", "--sparsities", "1.5"), List.of("--sparsities", "1.5")),
                Arguments.of(
                        List.of("--dataset", "cifar"),
                        List.of("cifar", "fashion-mnist, fashion-mnist-drift, synthetic or synthetic-drift")));
    }

    /** A bad setting fails fast, with the usage error code, naming the option or the value. */
    @ParameterizedTest
    @MethodSource("badExperiments")
    void badExperimentFailsNamingTheProblem(List<String> args, List<String> named) {
        assertUsageError(List.of("experiment"), args, named);
    }

    /** Runs {@code command} with {@code args}: exit code 2, and stderr names every one of {@code named}. */
    private static void assertUsageError(List<String> command, List<String> args, List<String> named) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setErr(new PrintWriter(err));
        List<String> line = new ArrayList<>(command);
        line.addAll(args);

        assertThat(cli.execute(line.toArray(String[]::new))).isEqualTo(2);
        assertThat(err.toString()).contains(named);
    }

    /**
     * Every command that reads Fashion-MNIST names its folder --data-dir; the name produce and
     * inspect had before, --fashion-mnist-dir, still works everywhere but is not shown.
     */
    @Test
    void theFashionMnistFolderIsDataDirEverywhereAndTheOldNameStillWorks() {
        CommandLine cli = Main.newCommandLine();
        for (String command : List.of("produce", "inspect", "experiment")) {
            CommandLine sub = cli.getSubcommands().get(command);
            assertThat(sub.getUsageMessage()).as(command).contains("--data-dir").doesNotContain("--fashion-mnist-dir");
        }
        for (String flag : List.of("--data-dir", "--fashion-mnist-dir")) {
            ProduceCommand produce = new ProduceCommand();
            new CommandLine(produce).parseArgs("--models", "m", flag, "/srv/fashion");
            assertThat(produce.data.fashionDir()).as(flag).isEqualTo(Path.of("/srv/fashion"));
        }
    }

    static Stream<Arguments> badProduces() {
        return Stream.of(
                Arguments.of(List.of("--rate", "-1"), List.of("--rate", "-1")),
                Arguments.of(List.of("--rate", "NaN"), List.of("--rate", "NaN")),
                Arguments.of(List.of("--event-step", "0ms"), List.of("--event-step", "0ms")));
    }

    /** produce refuses nonsense numbers before it opens a connection. */
    @ParameterizedTest
    @MethodSource("badProduces")
    void badProduceFailsNamingTheOption(List<String> args, List<String> named) {
        assertUsageError(List.of("produce", "--models", "m", "--dataset", "synthetic", "--batches", "3"), args, named);
    }

    /**
     * Against a port nobody listens on, produce ends with an error naming the brokers once
     * max.block.ms has passed (shortened here), instead of waiting that long for every record.
     */
    @Test
    void produceToABrokerThatIsDownFailsNamingIt() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setErr(new PrintWriter(err));

        int code = cli.execute(
                "produce",
                "--bootstrap-servers",
                "127.0.0.1:" + port,
                "--models",
                "m",
                "--dataset",
                "synthetic",
                "--batches",
                "1000",
                "--kafka-property",
                "max.block.ms=1500");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString())
                .contains("no Kafka broker at 127.0.0.1:" + port)
                .contains("max.block.ms");
    }

    @Test
    void schedulePrintsTheCyclicalShape() {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(out));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.out;
        System.setOut(new java.io.PrintStream(bytes, true));
        try {
            assertThat(cli.execute(
                            "schedule", "cyclical(final=0.9, period=100, cycles=2)", "--to", "200", "--points", "9"))
                    .isZero();
        } finally {
            System.setOut(saved);
        }
        String text = bytes.toString();
        assertThat(text).contains("PRUNE").contains("HOLD").contains("0.9000");
    }

    /**
     * An event-time schedule prints event time as durations over its real span: docs/cli.md's
     * example has a 30-minute warm-up (labelled so) and 10-minute cycles.
     */
    @Test
    void anEventTimeSchedulePrintsDurationsOverItsWarmUpAndCycles() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.out;
        System.setOut(new java.io.PrintStream(bytes, true));
        try {
            assertThat(Main.newCommandLine()
                            .execute(
                                    "schedule",
                                    "cyclical(final=0.9, period=10m, cycles=inf, ramp=0.75, warmup=30m)",
                                    "--points",
                                    "12"))
                    .isZero();
        } finally {
            System.setOut(saved);
        }
        List<String> rows = bytes.toString().lines().skip(2).toList();
        assertThat(rows).hasSize(12);
        assertThat(rows.get(0)).startsWith("        0.0s").endsWith("WARM-UP");
        assertThat(rows.get(5)).as("30m of warm-up in 66m").contains("30m00s").doesNotContain("WARM-UP");
        assertThat(rows.get(11)).startsWith("    1h06m00s");
        assertThat(bytes.toString()).contains("HOLD").contains("0.9000");
    }

    /** A mistyped value prints one line naming it and where the usage is, not the whole usage. */
    @Test
    void aTypeErrorPrintsOneLineAndPointsToHelp() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("produce", "--models", "m", "--rate", "fast")).isEqualTo(2);
        assertThat(err.toString().lines().toList())
                .hasSize(2)
                .satisfies(
                        lines -> assertThat(lines.get(0)).startsWith("error: ").contains("--rate", "fast"))
                .satisfies(lines -> assertThat(lines.get(1)).isEqualTo("see 'cyclical-pruning produce --help'"));
    }

    /** run --help lists every key of the job's configuration with its default. */
    @Test
    void runHelpListsEveryKey() {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(out));

        assertThat(cli.execute("run", "--help")).isZero();
        for (org.cyclicalpruning.pipeline.config.JobOption<?> option :
                org.cyclicalpruning.pipeline.config.JobOptions.ALL) {
            assertThat(out.toString()).contains("  " + option.key() + " (default: " + option.formattedDefault() + ")");
        }
    }
}
