package org.cyclicalpruning.tools.experiment;

import java.util.List;

/**
 * The outcome of one training run of an experiment.
 *
 * @param method the method's label, e.g. {@code gmp} or {@code cyclical[lr-restart]}
 * @param targetSparsity the schedule's final sparsity
 * @param seed the run's seed
 * @param achievedSparsity the fraction of prunable weights that are zero at the end
 * @param testAccuracy accuracy on the held-out set (NaN for regression)
 * @param testMse mean squared error on the held-out set (NaN for classifiers)
 * @param supportRecall fraction of the teacher's support kept (NaN without a teacher)
 * @param recoveredWeights weights in the final mask that had been pruned at some point
 * @param samplesPerSecond training throughput, evaluation excluded
 * @param preDriftAccuracy accuracy just before the data drifted, on the data of then (NaN without
 *     a drift or for regression)
 * @param recoveryCycles cycle ends after the drift until the accuracy on the drifted data came back
 *     within one point of {@code preDriftAccuracy}; -1 if it did not within the budget
 * @param detectionSteps steps at which a drift-aware schedule's detector fired (empty for other
 *     methods); it is armed only once the schedule's own cycles are over
 * @param driftStep the step at which the data drift, or -1 on a stationary stream
 * @param curve figures measured along the run, for plots
 */
public record RunResult(
        String method,
        double targetSparsity,
        long seed,
        double achievedSparsity,
        double testAccuracy,
        double testMse,
        double supportRecall,
        long recoveredWeights,
        double samplesPerSecond,
        double preDriftAccuracy,
        int recoveryCycles,
        List<Long> detectionSteps,
        long driftStep,
        List<CurvePoint> curve) {

    /** Returns the detections before the drift (all of them on a stationary stream): false alarms. */
    public long falseAlarms() {
        return detectionSteps.stream()
                .filter(s -> driftStep < 0 || s < driftStep)
                .count();
    }

    /** Returns the batches from the drift to the first detection at or after it; -1 if none. */
    public long detectionDelay() {
        return driftStep < 0
                ? -1
                : detectionSteps.stream()
                        .filter(s -> s >= driftStep)
                        .findFirst()
                        .map(s -> s - driftStep)
                        .orElse(-1L);
    }

    /**
     * One point of a run's curve.
     *
     * @param step training steps done
     * @param targetSparsity the schedule's target at that step
     * @param sparsity the mask's sparsity at that step
     * @param quality test accuracy (classifiers) or support recall (teacher tasks)
     */
    public record CurvePoint(long step, double targetSparsity, double sparsity, double quality) {}
}
