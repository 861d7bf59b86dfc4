package org.cyclicalpruning.tools.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;
import me.tongfei.progressbar.ProgressBar;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.model.ModelSpec;
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
import org.cyclicalpruning.tools.stream.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Compares dense training, gradual magnitude pruning and cyclical pruning with equal budgets. */
@Command(
        name = "experiment",
        modelTransformer = ExperimentCommand.SettingOptions.class,
        description = {
            "Compare dense, GMP and cyclical pruning with the same step budget, data order and initialisation.",
            "Fashion-MNIST defaults are the reference setting of the README: LeNet-300-100, 12 epochs, batch 128,"
                    + " SGD momentum 0.9, lr 0.05 cosine, inputs standardised, ramps over 70%%, mask every 50 steps.",
            "On fashion-mnist-drift the images shift 6 pixels at 80%% of the stream and test_accuracy is measured on"
                    + " the shifted test set at the end; the rate is a stream's: constant 0.01."
        })
final class ExperimentCommand extends Subcommand {
    /**
     * The options that each override one setting of the dataset's defaults, in the order they are
     * applied; one that is not given leaves its setting alone.
     */
    private static final List<SettingOption<?>> SETTINGS = List.of(
            SettingOption.of(
                    "--optimizer",
                    "optimizer",
                    String.class,
                    "sgd (momentum 0.9) or adam (default: sgd; adam synthetic).",
                    (b, v) -> b.optimizer(parseOptimizer(v))),
            SettingOption.of(
                    "--model",
                    "model",
                    String.class,
                    "Model to train, e.g. fashion-cnn, fashion-cnn-bn or cnn:1x28x28-c16k3bn-p2-f64-10 (default: lenet-300-100 on"
                            + " Fashion-MNIST, linear on synthetic data).",
                    (b, v) -> b.model(ModelSpec.parse(v))),
            SettingOption.of(
                    "--epochs",
                    "epochs",
                    Integer.class,
                    "Fashion-MNIST budget in epochs (default: 12).",
                    ExperimentSettings.Builder::epochs),
            SettingOption.of(
                    "--steps",
                    "steps",
                    Integer.class,
                    "Synthetic budget in batches (default: 3000).",
                    ExperimentSettings.Builder::steps),
            SettingOption.of(
                    "--batch-size",
                    "batchSize",
                    Integer.class,
                    "Rows per batch (default: 128, the reference setting; produce and demo stream 32).",
                    ExperimentSettings.Builder::batchSize),
            SettingOption.list(
                    "--seed",
                    "seeds",
                    Long.class,
                    "Seed(s), one run each (default: 1; 1,2,3 synthetic).",
                    ExperimentSettings.Builder::seeds),
            SettingOption.list(
                    "--sparsities",
                    "sparsities",
                    Double.class,
                    "Targets (default: 0.9,0.95,0.98,0.99; 0.98 synthetic).",
                    ExperimentSettings.Builder::sparsities),
            SettingOption.list(
                    "--methods",
                    "methods",
                    String.class,
                    "dense, gmp, gmp-regrowth, cyclical, drift-aware (default: per dataset).",
                    ExperimentSettings.Builder::methods),
            SettingOption.of(
                    "--cycles",
                    "cycles",
                    Integer.class,
                    "Cyclical: cycles in the pruning window (default: 3; 12 synthetic).",
                    ExperimentSettings.Builder::cycles),
            SettingOption.of(
                    "--ramp-fraction",
                    "rampFraction",
                    Double.class,
                    "Share of a cycle (or GMP's window) ramping (default: 0.7; 0.75).",
                    ExperimentSettings.Builder::rampFraction),
            SettingOption.of(
                    "--first-sparsity",
                    "firstSparsity",
                    Double.class,
                    "Cyclical: sparsity the first cycle starts at (default: 0).",
                    ExperimentSettings.Builder::firstSparsity),
            SettingOption.of(
                    "--restart-sparsity",
                    "restartSparsity",
                    Double.class,
                    "Cyclical: sparsity later cycles restart at (default: 0).",
                    ExperimentSettings.Builder::restartSparsity),
            SettingOption.of(
                    "--mask-interval",
                    "maskInterval",
                    Integer.class,
                    "Steps between mask updates while pruning (default: 50; 1).",
                    ExperimentSettings.Builder::maskInterval),
            SettingOption.of(
                    "--pretrain-fraction",
                    "pretrainFraction",
                    Double.class,
                    "Share of the budget trained dense first (default: 0).",
                    ExperimentSettings.Builder::pretrainFraction),
            SettingOption.of(
                    "--drift-at",
                    "driftAt",
                    Double.class,
                    "Drifting data: where the data change (default: 0.8; 0.5 synthetic).",
                    ExperimentSettings.Builder::driftFraction),
            SettingOption.of(
                    "--drift",
                    "drift",
                    String.class,
                    "fashion-mnist-drift: shift, shift(N) or permute (default: shift).",
                    ExperimentSettings.Builder::drift),
            SettingOption.of(
                    "--drift-aware-cycles",
                    "driftAwareCycles",
                    Integer.class,
                    "drift-aware: cycles before the mask is held and drift watched (default: 1, GMP's window; 6"
                            + " cyclical cycles on synthetic).",
                    ExperimentSettings.Builder::driftAwareCycles),
            SettingOption.of(
                    "--drift-ramp",
                    "driftRamp",
                    Double.class,
                    "drift-aware: share of the budget a detection's cycle ramps over; the detector waits a tenth"
                            + " of that after each ramp (default: 0.1).",
                    ExperimentSettings.Builder::driftRamp),
            SettingOption.of(
                    "--pruning",
                    "pruning",
                    String.class,
                    "global, per-layer, erk, first-denser or N:M such as 2:4 (default: global).",
                    (b, v) -> b.pruningMode(PruningMode.parse(v))),
            SettingOption.of(
                    "--lr",
                    "lr",
                    Double.class,
                    "Base learning rate (default: 0.05 cosine; 0.01 on fashion-mnist-drift).",
                    ExperimentSettings.Builder::learningRate),
            SettingOption.of(
                    "--lr-schedule",
                    "lrSchedule",
                    String.class,
                    "constant or cosine (default: cosine; constant on streams).",
                    (b, v) -> b.lrSchedule(parseLrSchedule(v))),
            SettingOption.of(
                    "--input-scaling",
                    "inputScaling",
                    String.class,
                    "none, standardize or online (default: standardize on images).",
                    (b, v) -> b.inputScaling(Scaling.parse(v))),
            SettingOption.of(
                    "--correlation",
                    "correlation",
                    Double.class,
                    "Synthetic: decoy correlation (default: 0.9).",
                    ExperimentSettings.Builder::correlation),
            SettingOption.of(
                    "--curve-points",
                    "curvePoints",
                    Integer.class,
                    "Points per run on the plot (default: 30).",
                    ExperimentSettings.Builder::curvePoints),
            SettingOption.of(
                    "--lr-restart",
                    "lrRestart",
                    Boolean.class,
                    "Cyclical: restart the cosine learning rate at every cycle.",
                    ExperimentSettings.Builder::lrRestart));

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or gpu (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(
            names = "--data-dir",
            description = "Where the Fashion-MNIST IDX files are (default: the Debian package's folder).")
    Path dataDir;

    /** The name produce, demo and inspect gave this flag before they shared experiment's. */
    @Option(names = "--fashion-mnist-dir", hidden = true)
    void oldFashionMnistDir(Path dir) {
        dataDir = dir;
    }

    @Option(names = "--study", description = "Run the study of what lets cyclical pruning beat GMP (see the README).")
    boolean study;

    @Option(names = "--gmp-regrowth", description = "Run GMP as gmp-regrowth (pruned weights get gradients).")
    boolean gmpRegrowth;

    @Option(names = "--csv", description = "Write results as CSV to this file.")
    Path csv;

    @Option(names = "--plot", description = "Write a PNG plot of sparsity and quality against steps.")
    Path plot;

    @Option(
            names = "--dataset",
            defaultValue = "fashion-mnist",
            description =
                    "fashion-mnist, fashion-mnist-drift, synthetic or synthetic-drift (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Spec
    CommandSpec spec;

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
        try (ProgressBar progress =
                Progress.bar("training", totalSteps).continuousUpdate().build()) {
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
        SETTINGS.forEach(option -> option.applyIfGiven(spec, b));
        ExperimentSettings s = b.build();
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

    /**
     * An option that sets one field of the settings: picocli reads it like an annotated field
     * named {@code field}, of type {@code type} (or a comma-separated list of it).
     */
    private record SettingOption<T>(
            String name,
            String field,
            Class<?> type,
            Optional<Class<?>> listOf,
            String description,
            BiConsumer<ExperimentSettings.Builder, T> setting) {
        static <T> SettingOption<T> of(
                String name,
                String field,
                Class<T> type,
                String description,
                BiConsumer<ExperimentSettings.Builder, T> setting) {
            return new SettingOption<>(name, field, type, Optional.empty(), description, setting);
        }

        static <E> SettingOption<List<E>> list(
                String name,
                String field,
                Class<E> type,
                String description,
                BiConsumer<ExperimentSettings.Builder, List<E>> setting) {
            return new SettingOption<>(name, field, List.class, Optional.of(type), description, setting);
        }

        OptionSpec spec() {
            OptionSpec.Builder option = OptionSpec.builder(name)
                    .paramLabel("<" + field + ">")
                    .type(type)
                    .description(description);
            listOf.ifPresent(element -> option.auxiliaryTypes(element).splitRegex(","));
            return option.build();
        }

        void applyIfGiven(CommandSpec command, ExperimentSettings.Builder b) {
            T value = command.findOption(name).getValue();
            if (value != null) {
                setting.accept(b, value);
            }
        }
    }

    /** Adds {@link #SETTINGS} to the command's options. */
    static final class SettingOptions implements IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec command) {
            SETTINGS.forEach(option -> command.addOption(option.spec()));
            return command;
        }
    }
}
