package org.cyclicalpruning.tools.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
import org.cyclicalpruning.tools.experiment.ExperimentSettings.Scaling;
import org.cyclicalpruning.tools.experiment.Plots;
import org.cyclicalpruning.tools.experiment.Reports;
import org.cyclicalpruning.tools.experiment.RunResult;
import org.cyclicalpruning.tools.experiment.Study;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Compares dense training, gradual magnitude pruning and cyclical pruning with equal budgets. */
@Command(
        name = "experiment",
        mixinStandardHelpOptions = true,
        description = {
            "Compare dense, GMP and cyclical pruning with the same step budget, data order and initialisation.",
            "Fashion-MNIST defaults are the reference setting of the README: LeNet-300-100, 12 epochs, batch 128,"
                    + " SGD momentum 0.9, lr 0.05 cosine, inputs standardised, ramps over 70%, mask every 50 steps.",
            "On fashion-mnist-drift the images shift 6 pixels at 80% of the stream and test_accuracy is measured on"
                    + " the shifted test set at the end; the rate is a stream's: constant 0.01."
        })
final class ExperimentCommand implements Callable<Integer> {
    @Option(
            names = "--dataset",
            defaultValue = "fashion-mnist",
            description =
                    "fashion-mnist, fashion-mnist-drift, synthetic or synthetic-drift (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--data-dir", description = "Fashion-MNIST IDX directory (default: the Debian package's).")
    Path dataDir;

    @Option(names = "--epochs", description = "Fashion-MNIST budget in epochs (default: 12).")
    Integer epochs;

    @Option(names = "--steps", description = "Synthetic budget in batches (default: 3000).")
    Integer steps;

    @Option(names = "--batch-size", description = "Rows per batch (default: 128).")
    Integer batchSize;

    @Option(names = "--seed", split = ",", description = "Seed(s), one run each (default: 1; 1,2,3 synthetic).")
    List<Long> seeds;

    @Option(names = "--sparsities", split = ",", description = "Targets (default: 0.9,0.95,0.98,0.99; 0.98 synthetic).")
    List<Double> sparsities;

    @Option(
            names = "--methods",
            split = ",",
            description = "dense, gmp, gmp-regrowth, cyclical (default: per dataset).")
    List<String> methods;

    @Option(names = "--cycles", description = "Cyclical: cycles in the pruning window (default: 3; 12 synthetic).")
    Integer cycles;

    @Option(names = "--ramp-fraction", description = "Share of a cycle (or GMP's window) ramping (default: 0.7; 0.75).")
    Double rampFraction;

    @Option(names = "--first-sparsity", description = "Cyclical: sparsity the first cycle starts at (default: 0).")
    Double firstSparsity;

    @Option(names = "--restart-sparsity", description = "Cyclical: sparsity later cycles restart at (default: 0).")
    Double restartSparsity;

    @Option(names = "--lr-restart", description = "Cyclical: restart the cosine learning rate at every cycle.")
    boolean lrRestart;

    @Option(names = "--mask-interval", description = "Steps between mask updates while pruning (default: 50; 1).")
    Integer maskInterval;

    @Option(names = "--pretrain-fraction", description = "Share of the budget trained dense first (default: 0).")
    Double pretrainFraction;

    @Option(names = "--drift-at", description = "Drifting data: where the data change (default: 0.8; 0.5 synthetic).")
    Double driftAt;

    @Option(names = "--drift", description = "fashion-mnist-drift: shift, shift(N) or permute (default: shift).")
    String drift;

    @Option(
            names = "--pruning",
            description = "global, per-layer, erk, first-denser or N:M such as 2:4 (default: global).")
    String pruning;

    @Option(names = "--optimizer", description = "sgd (momentum 0.9) or adam (default: sgd; adam synthetic).")
    String optimizer;

    @Option(names = "--lr", description = "Base learning rate (default: 0.05 cosine; 0.01 on fashion-mnist-drift).")
    Double lr;

    @Option(names = "--lr-schedule", description = "constant or cosine (default: cosine; constant on streams).")
    String lrSchedule;

    @Option(names = "--input-scaling", description = "none, standardize or online (default: standardize on images).")
    String inputScaling;

    @Option(names = "--gmp-regrowth", description = "Run GMP as gmp-regrowth (pruned weights get gradients).")
    boolean gmpRegrowth;

    @Option(names = "--correlation", description = "Synthetic: decoy correlation (default: 0.9).")
    Double correlation;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--curve-points", description = "Points per run on the plot (default: 30).")
    Integer curvePoints;

    @Option(names = "--csv", description = "Write results as CSV to this file.")
    Path csv;

    @Option(names = "--plot", description = "Write a PNG plot of sparsity and quality against steps.")
    Path plot;

    @Option(names = "--study", description = "Run the study of what lets cyclical pruning beat GMP (see the README).")
    boolean study;

    @Override
    public Integer call() throws Exception {
        DatasetKind kind = DatasetKind.parse(dataset);
        ExperimentSettings settings = settings(kind);
        Experiment base = Experiment.prepare(settings);
        List<Experiment> experiments = study ? Study.variants(base) : List.of(base);

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
                settings.batchSize());
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
            Study.printSummary(results, System.out);
        }
        if (csv != null) {
            Reports.writeCsv(results, csv);
            System.out.println("wrote " + csv);
        }
        if (plot != null) {
            Plots.writeCurves(results, kind.isFashionMnist() ? "test accuracy" : "support recall", plot);
            System.out.println("wrote " + plot);
        }
        return 0;
    }

    private ExperimentSettings settings(DatasetKind kind) {
        ExperimentSettings.Builder b = ExperimentSettings.builder(kind)
                .dataDir(dataDir != null ? dataDir : FashionMnist.defaultDir())
                .device(DeviceChoice.parse(device));
        if (study) {
            Study.defaults(b);
        }
        if (optimizer != null) {
            b.optimizer(parseOptimizer(optimizer));
        }
        if (epochs != null) {
            b.epochs(epochs);
        }
        if (steps != null) {
            b.steps(steps);
        }
        if (batchSize != null) {
            b.batchSize(batchSize);
        }
        if (seeds != null) {
            b.seeds(seeds);
        }
        if (sparsities != null) {
            b.sparsities(sparsities);
        }
        if (methods != null) {
            b.methods(methods);
        }
        if (cycles != null) {
            b.cycles(cycles);
        }
        if (rampFraction != null) {
            b.rampFraction(rampFraction);
        }
        if (firstSparsity != null) {
            b.firstSparsity(firstSparsity);
        }
        if (restartSparsity != null) {
            b.restartSparsity(restartSparsity);
        }
        if (maskInterval != null) {
            b.maskInterval(maskInterval);
        }
        if (pretrainFraction != null) {
            b.pretrainFraction(pretrainFraction);
        }
        if (driftAt != null) {
            b.driftFraction(driftAt);
        }
        if (drift != null) {
            b.drift(drift);
        }
        if (pruning != null) {
            b.pruningMode(PruningMode.parse(pruning));
        }
        if (lr != null) {
            b.learningRate(lr);
        }
        if (lrSchedule != null) {
            b.lrSchedule(parseLrSchedule(lrSchedule));
        }
        if (inputScaling != null) {
            b.inputScaling(Scaling.parse(inputScaling));
        }
        if (correlation != null) {
            b.correlation(correlation);
        }
        if (curvePoints != null) {
            b.curvePoints(curvePoints);
        }
        ExperimentSettings s = b.lrRestart(lrRestart).build();
        if (gmpRegrowth) {
            s = s.toBuilder()
                    .methods(s.methods().stream()
                            .map(m -> m.equals("gmp") ? "gmp-regrowth" : m)
                            .distinct()
                            .toList())
                    .build();
        }
        return s;
    }

    private static OptimizerConfig parseOptimizer(String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "sgd":
                return OptimizerConfig.sgd(0.9);
            case "adam":
                return OptimizerConfig.adam();
            default:
                throw new IllegalArgumentException("--optimizer must be sgd or adam, got '" + text + "'");
        }
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
}
