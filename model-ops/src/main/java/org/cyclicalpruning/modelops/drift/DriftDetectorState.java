package org.cyclicalpruning.modelops.drift;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/**
 * Everything a {@link HoeffdingDriftDetector} remembers: the observations since it was armed and
 * those up to its cut point. Six numbers, so keyed state can carry it per model at no cost.
 *
 * @param count observations since the detector was armed
 * @param sum their sum (each observation in [0, 1])
 * @param cutCount observations up to the cut point, the prefix whose mean plus bound was lowest
 * @param cutSum their sum
 */
public record DriftDetectorState(long count, double sum, long cutCount, double cutSum) {
    /** A detector that has seen nothing. */
    public static final DriftDetectorState EMPTY = new DriftDetectorState(0, 0, 0, 0);

    /**
     * Checks the state, which may come from a checkpoint.
     *
     * @throws IllegalArgumentException if the counts or sums cannot belong to observations in [0, 1]
     */
    public DriftDetectorState {
        checkArgument(
                count >= 0 && cutCount >= 0 && cutCount <= count, "counts out of range: %s of %s", cutCount, count);
        checkArgument(
                // a little slack: sums of doubles in [0, 1] may round past their count
                sum >= 0 && sum <= count * (1 + 1e-9) && cutSum >= 0 && cutSum <= sum + 1e-9 * count,
                "sums out of range: %s of %s, %s of %s",
                cutSum,
                cutCount,
                sum,
                count);
    }
}
