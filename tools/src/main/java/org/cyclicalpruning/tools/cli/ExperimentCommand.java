package org.cyclicalpruning.tools.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.tools.experiment.Experiment;
import org.cyclicalpruning.tools.experiment.ExperimentSettings;
import org.cyclicalpruning.tools.experiment.ExperimentSettings.DatasetKind;
import org.cyclicalpruning.tools.experiment.Plots;
import org.cyclicalpruning.tools.experiment.Reports;
import org.cyclicalpruning.tools.experiment.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Compares dense training, gradual magnitude pruning and cyclical pruning with equal budgets.
 */
@Command(
        name = "experiment",
        mixinStandardHelpOptions = true,
        description = {
            "Compare dense, GMP and cyclical pruning with the same step budget.",
            "Defaults reproduce the paper's comparison on Fashion-MNIST with LeNet-300-100:"
                    + " 12 epochs, batch 128, SGD momentum 0.9, cosine learning rate, sparsities 0.9,0.95,0.98,0.99."
        })
final class ExperimentCommand implements Callable<Integer> {
    @Option(
            names = "--dataset",
            defaultValue = "fashion-mnist",
            description = "fashion-mnist, synthetic or synthetic-drift (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", description = "Fashion-MNIST IDX directory (default: the Debian package's).")
    Path dataDir;

    @Option(
            names = "--epochs",
            defaultValue = "12",
            description = "Fashion-MNIST budget in epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--steps",
            defaultValue = "3000",
            description = "Synthetic budget in batches (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "128", description = "Rows per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--seed",
            split = ",",
            description = "Seed(s); one run per seed (default: 1, or 1,2,3 on synthetic data).")
    List<Long> seeds;

    @Option(
            names = "--sparsities",
            split = ",",
            description = "Target sparsities (default: 0.9,0.95,0.98,0.99; 0.98 on synthetic data).")
    List<Double> sparsities;

    @Option(
            names = "--methods",
            split = ",",
            defaultValue = "dense,gmp,cyclical",
            description = "Methods to compare (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(
            names = "--cycles",
            description = "Cyclical: cycles in the budget (default: 3 on Fashion-MNIST, 12 on synthetic streams).")
    Integer cycles;

    @Option(
            names = "--ramp-fraction",
            defaultValue = "0.75",
            description = "Fraction of a cycle (or of GMP's window) spent ramping (default: ${DEFAULT-VALUE}).")
    double rampFraction;

    @Option(
            names = "--first-sparsity",
            defaultValue = "0",
            description = "Cyclical: sparsity the first cycle starts from (default: ${DEFAULT-VALUE}).")
    double firstSparsity;

    @Option(
            names = "--restart-sparsity",
            defaultValue = "0",
            description = "Cyclical: sparsity later cycles restart from (default: ${DEFAULT-VALUE}).")
    double restartSparsity;

    @Option(names = "--lr-restart", description = "Cyclical: restart the cosine learning rate at every cycle.")
    boolean lrRestart;

    @Option(
            names = "--mask-interval",
            defaultValue = "1",
            description = "Steps between mask recomputations while pruning (default: ${DEFAULT-VALUE}).")
    int maskInterval;

    @Option(
            names = "--pretrain-fraction",
            defaultValue = "0",
            description = "Fraction of the budget trained dense before pruning starts (default: ${DEFAULT-VALUE}).")
    double pretrainFraction;

    @Option(
            names = "--drift-at",
            defaultValue = "0.5",
            description =
                    "synthetic-drift: fraction of the stream after which the support moves (default: ${DEFAULT-VALUE}).")
    double driftAt;

    @Option(
            names = "--pruning",
            defaultValue = "global",
            description = "global, per-layer or N:M such as 2:4 (default: ${DEFAULT-VALUE}).")
    String pruning;

    @Option(
            names = "--optimizer",
            description = "sgd (momentum 0.9) or adam (default: sgd on Fashion-MNIST, adam on synthetic streams).")
    String optimizer;

    @Option(
            names = "--lr",
            description =
                    "Base learning rate (default: 0.05 sgd / 0.001 adam on Fashion-MNIST, 0.005 adam / 0.001 sgd on synthetic).")
    Double lr;

    @Option(
            names = "--lr-schedule",
            description = "constant or cosine (annealed to 0 over the budget; default: cosine on Fashion-MNIST, "
                    + "constant on synthetic streams, which have no end to anneal towards).")
    String lrSchedule;

    @Option(
            names = "--gmp-regrowth",
            description =
                    "Let GMP's pruned weights receive gradients and regrow (projected gradient descent) instead of Zhu and Gupta's masked gradients.")
    boolean gmpRegrowth;

    @Option(
            names = "--correlation",
            defaultValue = "0.9",
            description =
                    "Synthetic: correlation of each decoy feature with its pair of support features (default: ${DEFAULT-VALUE}).")
    double correlation;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(
            names = "--curve-points",
            defaultValue = "30",
            description = "Points per run on the plot (default: ${DEFAULT-VALUE}).")
    int curvePoints;

    @Option(names = "--csv", description = "Write results as CSV to this file.")
    Path csv;

    @Option(names = "--plot", description = "Write a PNG plot of sparsity and quality against steps.")
    Path plot;

    @Option(
            names = "--study",
            description = "Run the study of cyclical settings against GMP at the given sparsities (default 0.98,0.99).")
    boolean study;

    @Override
    public Integer call() throws Exception {
        DatasetKind kind = DatasetKind.parse(dataset);
        boolean synthetic = kind != DatasetKind.FASHION_MNIST;
        String optimizerName = optimizer != null ? optimizer : synthetic ? "adam" : "sgd";
        boolean adam = optimizerName.equalsIgnoreCase("adam");
        if (!adam && !optimizerName.equalsIgnoreCase("sgd")) {
            throw new IllegalArgumentException("--optimizer must be sgd or adam, got '" + optimizer + "'");
        }
        ExperimentSettings settings = new ExperimentSettings(
                kind,
                dataDir != null ? dataDir : FashionMnist.defaultDir(),
                epochs,
                steps,
                batchSize,
                seeds != null ? seeds : synthetic ? List.of(1L, 2L, 3L) : List.of(1L),
                sparsities != null
                        ? sparsities
                        : study ? List.of(0.98, 0.99) : synthetic ? List.of(0.98) : List.of(0.9, 0.95, 0.98, 0.99),
                methods,
                cycles != null ? cycles : synthetic ? 12 : 3,
                rampFraction,
                firstSparsity,
                restartSparsity,
                lrRestart,
                maskInterval,
                pretrainFraction,
                driftAt,
                PruningMode.parse(pruning),
                adam ? OptimizerConfig.adam() : OptimizerConfig.sgd(0.9),
                lr != null ? lr : synthetic ? (adam ? 0.005 : 0.001) : adam ? 0.001 : 0.05,
                lrSchedule != null
                        ? parseLrSchedule(lrSchedule)
                        : synthetic ? LearningRate.Kind.CONSTANT : LearningRate.Kind.COSINE,
                DeviceChoice.parse(device),
                curvePoints,
                "",
                gmpRegrowth,
                correlation);
        Experiment base = Experiment.prepare(settings);
        List<Experiment> experiments = study ? studyVariants(base) : List.of(base);

        long totalSteps = 0;
        for (Experiment e : experiments) {
            totalSteps += e.totalSteps() * e.runCount();
        }
        System.out.printf(
                Locale.ROOT,
                "%s: %d run(s), %d steps each (batch %d)%n",
                kind.text(),
                experiments.stream().mapToInt(Experiment::runCount).sum(),
                base.totalSteps(),
                batchSize);
        List<RunResult> results = new ArrayList<>();
        try (ProgressBar progress = new ProgressBarBuilder()
                .setTaskName("training")
                .setInitialMax(totalSteps)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(1000)
                .continuousUpdate()
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build()) {
            for (Experiment e : experiments) {
                results.addAll(e.runAll(progress));
            }
        }
        Reports.printTable(results, System.out);
        if (study) {
            printStudySummary(results);
        }
        if (csv != null) {
            Reports.writeCsv(results, csv);
            System.out.println("wrote " + csv);
        }
        if (plot != null) {
            Plots.writeCurves(results, synthetic ? "support recall" : "test accuracy", plot);
            System.out.println("wrote " + plot);
        }
        return 0;
    }

    private static LearningRate.Kind parseLrSchedule(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "constant":
                return LearningRate.Kind.CONSTANT;
            case "cosine":
                return LearningRate.Kind.COSINE;
            default:
                throw new IllegalArgumentException("--lr-schedule must be constant or cosine, got '" + text + "'");
        }
    }

    /**
     * The settings a user would try to make cyclical pruning pay off at high sparsity. Each runs
     * GMP and cyclical under the same changed budget or start, so every row is a fair pair.
     */
    private static List<Experiment> studyVariants(Experiment base) {
        ExperimentSettings s = base.settings();
        List<String> both = List.of("gmp", "cyclical");
        List<String> cyc = List.of("cyclical");
        List<Experiment> variants = new ArrayList<>();
        variants.add(base.withSettings(s.restrictedTo(both, s.sparsities())));
        variants.add(base.withSettings(s.withGmpRegrowth("pgd").restrictedTo(List.of("gmp"), s.sparsities())));
        variants.add(base.withSettings(
                s.with("2 cycles", s.epochs(), 2, s.rampFraction(), s.restartSparsity(), false, s.maskInterval(), 0)
                        .restrictedTo(cyc, s.sparsities())));
        variants.add(base.withSettings(s.with(
                        "lr restart",
                        s.epochs(),
                        s.cycles(),
                        s.rampFraction(),
                        s.restartSparsity(),
                        true,
                        s.maskInterval(),
                        0)
                .restrictedTo(cyc, s.sparsities())));
        variants.add(base.withSettings(
                s.with("restart 0.5", s.epochs(), s.cycles(), s.rampFraction(), 0.5, false, s.maskInterval(), 0)
                        .restrictedTo(cyc, s.sparsities())));
        variants.add(base.withSettings(
                s.with("ramp 0.5", s.epochs(), s.cycles(), 0.5, s.restartSparsity(), false, s.maskInterval(), 0)
                        .restrictedTo(cyc, s.sparsities())));
        variants.add(base.withSettings(
                s.with("mask every 20", s.epochs(), s.cycles(), s.rampFraction(), s.restartSparsity(), false, 20, 0)
                        .restrictedTo(both, s.sparsities())));
        variants.add(base.withSettings(s.with(
                        "pretrained 1/3",
                        s.epochs(),
                        s.cycles(),
                        s.rampFraction(),
                        s.restartSparsity(),
                        false,
                        s.maskInterval(),
                        1.0 / 3)
                .restrictedTo(both, s.sparsities())));
        variants.add(base.withSettings(s.with(
                        "2x budget",
                        s.epochs() * 2,
                        s.cycles(),
                        s.rampFraction(),
                        s.restartSparsity(),
                        false,
                        s.maskInterval(),
                        0)
                .restrictedTo(both, s.sparsities())));
        return variants;
    }

    /** Pairs each cyclical variant with the GMP run of the same budget and start. */
    private static void printStudySummary(List<RunResult> results) {
        System.out.println();
        System.out.println("study: cyclical minus GMP test accuracy (same budget and start)");
        Map<String, List<RunResult>> groups = Reports.groups(results);
        for (List<RunResult> g : groups.values()) {
            RunResult r = g.get(0);
            if (!r.method().startsWith("cyclical")) {
                continue;
            }
            String variant =
                    r.method().contains("[") ? r.method().substring(r.method().indexOf('[')) : "";
            String gmpKey =
                    (variant.contains("mask every") || variant.contains("pretrained") || variant.contains("budget")
                                    ? "gmp" + variant
                                    : "gmp")
                            + "@" + r.targetSparsity();
            List<RunResult> gmp = groups.get(gmpKey);
            if (gmp == null) {
                continue;
            }
            double c = g.stream().mapToDouble(RunResult::testAccuracy).average().orElse(Double.NaN);
            double m =
                    gmp.stream().mapToDouble(RunResult::testAccuracy).average().orElse(Double.NaN);
            System.out.printf(
                    Locale.ROOT,
                    "  %-34s s=%.2f  cyclical %.4f  gmp %.4f  delta %+.4f  %s%n",
                    r.method(),
                    r.targetSparsity(),
                    c,
                    m,
                    c - m,
                    c >= m ? "cyclical >= gmp" : "gmp wins");
        }
    }
}
