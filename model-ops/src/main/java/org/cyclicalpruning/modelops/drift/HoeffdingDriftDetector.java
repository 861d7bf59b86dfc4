package org.cyclicalpruning.modelops.drift;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/**
 * One-sided drift detection by Hoeffding's bounds: HDDM_A of Frías-Blanco, Campo-Ávila,
 * Ramos-Jiménez, Morales-Bueno, Ortiz-Díaz and Caballero-Mota, "Online and Non-Parametric Drift
 * Detection Methods Based on Hoeffding's Bounds", IEEE TKDE 27(3), 2015.
 *
 * <p>It watches a stream of observations in [0, 1], such as a classifier's 0/1 errors, and
 * signals when their mean has risen. It keeps a cut point: the prefix of the stream whose mean
 * plus its Hoeffding bound {@code sqrt(ln(1/alpha) / (2n))} is the lowest seen, which is where the
 * stream was best. A drift is signalled when the mean after the cut exceeds the mean up to it by
 * at least
 *
 * <pre>
 * eps = sqrt((1/n_cut + 1/n_after) * ln(1/alpha) / 2)
 * </pre>
 *
 * <p>By Hoeffding's inequality for the difference of two means of independent observations in
 * [0, 1], a stream whose mean has not risen passes each such test with probability at least
 * {@code 1 - alpha}: the paper's false-alarm guarantee. Only a rise counts (the paper's one-sided
 * test), so a model that keeps improving never fires it. Observations arrive in groups (a batch's
 * errors and its size); the cut point moves at group boundaries and the bounds count single
 * observations.
 *
 * <p>The cost is O(1) per group and the state is six numbers ({@link DriftDetectorState}), so a
 * job can keep it per model in keyed state and replay it exactly. The detector is a value: {@link
 * #add} returns the next state and leaves this one unchanged.
 */
public final class HoeffdingDriftDetector {
    /** The default confidence {@code alpha}: the bound on each test's false-alarm probability. */
    public static final double DEFAULT_ALPHA = 1e-4;

    private final double alpha;
    private final double logInverseAlpha;

    /**
     * Creates a detector.
     *
     * @param alpha the largest probability that a test fires on a stream whose mean has not risen,
     *     in (0, 1)
     */
    public HoeffdingDriftDetector(double alpha) {
        checkArgument(alpha > 0 && alpha < 1, "drift alpha must be in (0, 1), got %s", alpha);
        this.alpha = alpha;
        this.logInverseAlpha = Math.log(1 / alpha);
    }

    /** Returns the confidence {@code alpha}. */
    public double alpha() {
        return alpha;
    }

    /**
     * Adds a group of observations and tests for a rise.
     *
     * @param state what the detector has seen so far
     * @param sum the group's sum, in [0, count]
     * @param count the group's size, > 0
     * @return the new state and whether the mean has risen
     */
    public Result add(DriftDetectorState state, double sum, long count) {
        checkArgument(count > 0, "count must be > 0, got %s", count);
        checkArgument(sum >= 0 && sum <= count, "sum must be in [0, %s], got %s", count, sum);
        long n = state.count() + count;
        double total = state.sum() + sum;
        long cutCount = state.cutCount();
        double cutSum = state.cutSum();
        if (cutCount == 0 || total / n + bound(n) <= cutSum / cutCount + bound(cutCount)) {
            cutCount = n;
            cutSum = total;
        }
        DriftDetectorState next = new DriftDetectorState(n, total, cutCount, cutSum);
        double statistic = statistic(next);
        return new Result(next, statistic >= 1);
    }

    /**
     * Returns how far the mean after the cut point has risen above the mean up to it, in units of
     * the test's bound: 1 or more is a drift, 0 or less is no rise at all.
     *
     * @param state a detector's state
     * @return the statistic, 0 when nothing follows the cut point
     */
    public double statistic(DriftDetectorState state) {
        long after = state.count() - state.cutCount();
        if (after == 0 || state.cutCount() == 0) {
            return 0;
        }
        double rise = (state.sum() - state.cutSum()) / after - state.cutSum() / state.cutCount();
        double eps = Math.sqrt((1.0 / state.cutCount() + 1.0 / after) * logInverseAlpha / 2);
        return rise / eps;
    }

    /** The Hoeffding bound of a mean of {@code n} observations in [0, 1] at confidence alpha. */
    private double bound(long n) {
        return Math.sqrt(logInverseAlpha / (2.0 * n));
    }

    /**
     * What one {@link #add} did.
     *
     * @param state the detector's state after the group
     * @param drift whether the mean after the cut point rose beyond the bound
     */
    public record Result(DriftDetectorState state, boolean drift) {}
}
