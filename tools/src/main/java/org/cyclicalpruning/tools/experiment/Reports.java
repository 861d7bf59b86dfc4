package org.cyclicalpruning.tools.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Tables and CSV files of experiment results. Runs of the same method and sparsity (different
 * seeds) are aggregated: the table shows mean ± standard deviation, the CSV holds the means.
 */
public final class Reports {
    /** The CSV header, one row per method and target sparsity. */
    public static final String CSV_HEADER =
            "method,target_sparsity,achieved_sparsity,test_accuracy,test_mse,support_recall,recovered_weights,samples_per_second,"
                    + "seeds,test_accuracy_sd,support_recall_sd,pre_drift_accuracy,pre_drift_accuracy_sd,drift_detections,"
                    + "false_alarms,detection_delay,detection_steps";

    private Reports() {}

    /** Groups runs by (method, target sparsity), keeping first-seen order. */
    public static Map<String, List<RunResult>> groups(List<RunResult> runs) {
        Map<String, List<RunResult>> groups = new LinkedHashMap<>();
        for (RunResult r : runs) {
            groups.computeIfAbsent(r.method() + "@" + r.targetSparsity(), k -> new ArrayList<>())
                    .add(r);
        }
        return groups;
    }

    /**
     * Writes the CSV ({@link #CSV_HEADER}); figures that do not apply are left empty.
     *
     * @param runs the results
     * @param file where to write
     * @throws IOException if the file cannot be written
     */
    public static void writeCsv(List<RunResult> runs, Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(CSV_HEADER);
            w.write('\n');
            for (List<RunResult> g : groups(runs).values()) {
                RunResult first = g.get(0);
                w.write(String.join(
                        ",",
                        first.method(),
                        num(first.targetSparsity()),
                        num(mean(g, RunResult::achievedSparsity)),
                        num(mean(g, RunResult::testAccuracy)),
                        num(mean(g, RunResult::testMse)),
                        num(mean(g, RunResult::supportRecall)),
                        num(mean(g, r -> r.recoveredWeights())),
                        num(mean(g, RunResult::samplesPerSecond)),
                        Integer.toString(g.size()),
                        num(sd(g, RunResult::testAccuracy)),
                        num(sd(g, RunResult::supportRecall)),
                        num(mean(g, RunResult::preDriftAccuracy)),
                        num(sd(g, RunResult::preDriftAccuracy)),
                        num(mean(g, r -> r.detectionSteps().size())),
                        num(mean(g, RunResult::falseAlarms)),
                        num(
                                g.stream().allMatch(r -> r.detectionDelay() >= 0)
                                        ? mean(g, RunResult::detectionDelay)
                                        : Double.NaN),
                        detectionSteps(g)));
                w.write('\n');
            }
        }
    }

    /**
     * Prints an aligned table, mean ± sd over seeds; after a drift, with pre-drift accuracy and
     * recovery; with a drift-aware method, where its detector fired.
     */
    public static void printTable(List<RunResult> runs, PrintStream out) {
        boolean drift = runs.stream().anyMatch(r -> !Double.isNaN(r.preDriftAccuracy()));
        boolean watched = runs.stream().anyMatch(r -> r.method().startsWith("drift-aware"));
        String format = "%-28s %7s %9s %16s %18s %16s %10s %9s" + (drift ? " %16s %9s" : "") + (watched ? "  %s" : "");
        List<Object> header = new ArrayList<>(List.of(
                "method",
                "target",
                "achieved",
                "test accuracy",
                "test MSE",
                "support recall",
                "recovered",
                "samples/s"));
        if (drift) {
            header.addAll(List.of("pre-drift acc", "back in"));
        }
        if (watched) {
            boolean drifts = runs.stream().anyMatch(r -> r.driftStep() >= 0);
            header.add(drifts ? "detections (step - drift step)" : "detections (@step)");
        }
        out.println(String.format(Locale.ROOT, format, header.toArray()).stripTrailing());
        for (List<RunResult> g : groups(runs).values()) {
            RunResult first = g.get(0);
            List<Object> row = new ArrayList<>(List.of(
                    first.method(),
                    String.format(Locale.ROOT, "%.3f", first.targetSparsity()),
                    String.format(Locale.ROOT, "%.4f", mean(g, RunResult::achievedSparsity)),
                    pm(g, RunResult::testAccuracy, "%.4f"),
                    pm(g, RunResult::testMse, "%.5f"),
                    pm(g, RunResult::supportRecall, "%.3f"),
                    String.format(Locale.ROOT, "%.0f", mean(g, r -> r.recoveredWeights())),
                    String.format(Locale.ROOT, "%.0f", mean(g, RunResult::samplesPerSecond))));
            if (drift) {
                row.addAll(List.of(pm(g, RunResult::preDriftAccuracy, "%.4f"), recovery(g)));
            }
            if (watched) {
                row.add(detections(g));
            }
            out.println(String.format(Locale.ROOT, format, row.toArray()).stripTrailing());
        }
        if (runs.stream().map(RunResult::seed).distinct().count() > 1) {
            out.printf(
                    Locale.ROOT,
                    "(mean ± sd over %d seeds)%n",
                    runs.stream().map(RunResult::seed).distinct().count());
        }
    }

    /** Steps where the detector fired, per seed separated by '/': "4504/4503 5100/4505"; empty for none at all. */
    static String detectionSteps(List<RunResult> g) {
        if (g.stream().allMatch(r -> r.detectionSteps().isEmpty())) {
            return "";
        }
        return String.join(
                "/",
                g.stream()
                        .map(r -> r.detectionSteps().isEmpty()
                                ? "-"
                                : String.join(
                                        " ",
                                        r.detectionSteps().stream()
                                                .map(String::valueOf)
                                                .toList()))
                        .toList());
    }

    /** Per seed, the steps where the detector fired, relative to the drift where there is one: "+2 | +3 | 0". */
    private static String detections(List<RunResult> g) {
        if (!g.get(0).method().startsWith("drift-aware")) {
            return "";
        }
        return String.join(
                " | ",
                g.stream()
                        .map(r -> r.detectionSteps().isEmpty()
                                ? "none"
                                : String.join(
                                        " ",
                                        r.detectionSteps().stream()
                                                .map(step -> r.driftStep() < 0
                                                        ? "@" + step
                                                        : String.format(Locale.ROOT, "%+d", step - r.driftStep()))
                                                .toList()))
                        .toList());
    }

    /** Cycle ends after the drift until back within a point, per seed: "1 1 2", "-" where never. */
    private static String recovery(List<RunResult> g) {
        return String.join(
                " ",
                g.stream()
                        .map(r -> r.recoveryCycles() < 0 ? "-" : Integer.toString(r.recoveryCycles()))
                        .toList());
    }

    static double mean(List<RunResult> g, ToDoubleFunction<RunResult> f) {
        return g.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    /** The sample standard deviation over seeds; NaN for one seed or a figure that does not apply. */
    static double sd(List<RunResult> g, ToDoubleFunction<RunResult> f) {
        double m = mean(g, f);
        if (g.size() < 2 || Double.isNaN(m)) {
            return Double.NaN;
        }
        return Math.sqrt(g.stream()
                        .mapToDouble(r -> Math.pow(f.applyAsDouble(r) - m, 2))
                        .sum()
                / (g.size() - 1));
    }

    private static String pm(List<RunResult> g, ToDoubleFunction<RunResult> f, String fmt) {
        double m = mean(g, f);
        if (Double.isNaN(m)) {
            return "";
        }
        if (g.size() == 1) {
            return String.format(Locale.ROOT, fmt, m);
        }
        double var =
                g.stream().mapToDouble(r -> Math.pow(f.applyAsDouble(r) - m, 2)).sum() / (g.size() - 1);
        return String.format(Locale.ROOT, fmt + " ± " + fmt, m, Math.sqrt(var));
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }
}
