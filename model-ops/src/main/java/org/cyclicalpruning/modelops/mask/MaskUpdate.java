package org.cyclicalpruning.modelops.mask;

/**
 * What one mask recomputation did.
 *
 * @param pruned weights pruned after the update
 * @param total prunable weights
 * @param churn weights whose mask state changed (pruned to kept or kept to pruned)
 * @param regrown weights kept now that were pruned just before this update
 * @param recovered weights kept now that had been pruned at any earlier update
 */
public record MaskUpdate(long pruned, long total, long churn, long regrown, long recovered) {

    /** Returns the achieved sparsity, {@code pruned / total}. */
    public double sparsity() {
        return total == 0 ? 0.0 : (double) pruned / total;
    }
}
