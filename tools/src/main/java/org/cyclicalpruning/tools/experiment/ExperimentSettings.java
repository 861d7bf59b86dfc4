package org.cyclicalpruning.tools.experiment;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.file.Path;
import java.util.List;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.train.DeviceChoice;

/**
 * How an experiment compares methods. Every method of one experiment gets the same step budget,
 * data order, initialisation, optimizer and learning-rate schedule; only the sparsity schedule
 * differs.
 *
 * @param dataset which data
 * @param dataDir where Fashion-MNIST lives
 * @param epochs passes over Fashion-MNIST's training set (the budget there)
 * @param streamSteps batches drawn from a synthetic stream (the budget there)
 * @param batchSize rows per batch
 * @param seeds one run per seed
 * @param sparsities final sparsities to compare at
 * @param methods dense, gmp and/or cyclical
 * @param cycles cyclical: number of cycles in the budget
 * @param rampFraction fraction of a cycle (cyclical) or of the pruning window (gmp) spent ramping
 * @param firstSparsity cyclical: sparsity the first cycle starts from
 * @param restartSparsity cyclical: sparsity later cycles start from
 * @param lrRestart cyclical: restart the cosine learning rate at every cycle
 * @param maskInterval steps between mask recomputations while pruning
 * @param pretrainFraction fraction of the budget trained dense before any pruning starts
 * @param driftFraction synthetic-drift: where in the stream the teacher's support moves
 * @param pruningMode granularity of magnitude pruning
 * @param optimizer the optimizer
 * @param learningRate base learning rate
 * @param lrSchedule constant, or cosine-annealed over the budget (over each cycle with {@code
 *     lrRestart})
 * @param device where to train
 * @param curvePoints points per run on the plotted curves
 * @param label suffix naming a study variant, empty for the plain comparison
 * @param gmpRegrowth let GMP's pruned weights receive gradients (projected gradient descent)
 *     instead of Zhu and Gupta's masked gradients
 * @param correlation synthetic: correlation of each decoy with its pair of support features
 */
public record ExperimentSettings(
        DatasetKind dataset,
        Path dataDir,
        int epochs,
        int streamSteps,
        int batchSize,
        List<Long> seeds,
        List<Double> sparsities,
        List<String> methods,
        int cycles,
        double rampFraction,
        double firstSparsity,
        double restartSparsity,
        boolean lrRestart,
        int maskInterval,
        double pretrainFraction,
        double driftFraction,
        PruningMode pruningMode,
        OptimizerConfig optimizer,
        double learningRate,
        LearningRate.Kind lrSchedule,
        DeviceChoice device,
        int curvePoints,
        String label,
        boolean gmpRegrowth,
        double correlation) {

    /** The data an experiment runs on. */
    public enum DatasetKind {
        FASHION_MNIST("fashion-mnist"),
        SYNTHETIC("synthetic"),
        SYNTHETIC_DRIFT("synthetic-drift");

        private final String text;

        DatasetKind(String text) {
            this.text = text;
        }

        /** Returns the name used on the command line. */
        public String text() {
            return text;
        }

        /** Parses a command-line name. */
        public static DatasetKind parse(String text) {
            for (DatasetKind k : values()) {
                if (k.text.equalsIgnoreCase(text.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException(
                    "invalid dataset '" + text + "'; expected fashion-mnist, synthetic or synthetic-drift");
        }
    }

    public ExperimentSettings {
        checkArgument(epochs > 0, "--epochs must be positive, got %s", epochs);
        checkArgument(streamSteps > 0, "--steps must be positive, got %s", streamSteps);
        checkArgument(batchSize > 0 && batchSize <= 65536, "--batch-size must be in [1, 65536], got %s", batchSize);
        checkArgument(!seeds.isEmpty(), "--seed needs at least one seed");
        checkArgument(!methods.isEmpty(), "--methods needs at least one of dense, gmp, cyclical");
        for (String m : methods) {
            checkArgument(
                    List.of("dense", "gmp", "cyclical").contains(m),
                    "unknown method '%s'; expected dense, gmp or cyclical",
                    m);
        }
        checkArgument(
                !sparsities.isEmpty() || methods.equals(List.of("dense")), "--sparsities needs at least one value");
        for (double s : sparsities) {
            checkArgument(s > 0 && s < 1, "--sparsities values must be in (0, 1), got %s", s);
        }
        checkArgument(cycles >= 1, "--cycles must be >= 1, got %s", cycles);
        checkArgument(rampFraction > 0 && rampFraction <= 1, "--ramp-fraction must be in (0, 1], got %s", rampFraction);
        checkArgument(maskInterval >= 1, "--mask-interval must be >= 1, got %s", maskInterval);
        checkArgument(
                pretrainFraction >= 0 && pretrainFraction < 1,
                "--pretrain-fraction must be in [0, 1), got %s",
                pretrainFraction);
        checkArgument(driftFraction > 0 && driftFraction < 1, "--drift-at must be in (0, 1), got %s", driftFraction);
        checkArgument(learningRate > 0, "--lr must be positive, got %s", learningRate);
        checkArgument(
                !lrRestart || lrSchedule == LearningRate.Kind.COSINE,
                "--lr-restart restarts a cosine schedule; --lr-schedule is %s",
                lrSchedule);
        checkArgument(curvePoints >= 2, "--curve-points must be >= 2, got %s", curvePoints);
    }

    /** Returns a copy with another label and the given changes applied by the caller. */
    public ExperimentSettings with(
            String newLabel,
            int newEpochs,
            int newCycles,
            double newRamp,
            double newRestart,
            boolean newLrRestart,
            int newMaskInterval,
            double newPretrain) {
        return new ExperimentSettings(
                dataset,
                dataDir,
                newEpochs,
                streamSteps,
                batchSize,
                seeds,
                sparsities,
                methods,
                newCycles,
                newRamp,
                firstSparsity,
                newRestart,
                newLrRestart,
                newMaskInterval,
                newPretrain,
                driftFraction,
                pruningMode,
                optimizer,
                learningRate,
                lrSchedule,
                device,
                curvePoints,
                newLabel,
                gmpRegrowth,
                correlation);
    }

    /** Returns a copy whose GMP runs let pruned weights regrow, labelled {@code newLabel}. */
    public ExperimentSettings withGmpRegrowth(String newLabel) {
        return new ExperimentSettings(
                dataset,
                dataDir,
                epochs,
                streamSteps,
                batchSize,
                seeds,
                sparsities,
                methods,
                cycles,
                rampFraction,
                firstSparsity,
                restartSparsity,
                lrRestart,
                maskInterval,
                pretrainFraction,
                driftFraction,
                pruningMode,
                optimizer,
                learningRate,
                lrSchedule,
                device,
                curvePoints,
                newLabel,
                true,
                correlation);
    }

    /** Returns a copy restricted to the given methods and sparsities. */
    public ExperimentSettings restrictedTo(List<String> newMethods, List<Double> newSparsities) {
        return new ExperimentSettings(
                dataset,
                dataDir,
                epochs,
                streamSteps,
                batchSize,
                seeds,
                newSparsities,
                newMethods,
                cycles,
                rampFraction,
                firstSparsity,
                restartSparsity,
                lrRestart,
                maskInterval,
                pretrainFraction,
                driftFraction,
                pruningMode,
                optimizer,
                learningRate,
                lrSchedule,
                device,
                curvePoints,
                label,
                gmpRegrowth,
                correlation);
    }
}
