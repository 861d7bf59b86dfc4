package org.cyclicalpruning.modelops.schedule;

/**
 * What the trainer does with the pruning mask at a point of a {@link SparsitySchedule}.
 *
 * <p>When the phase changes from {@link #PRUNE} to {@link #HOLD} or {@link #FINAL}, the mask is
 * recomputed once more at the new point's sparsity before it is frozen: a ramp is sampled only
 * at the ticks the trainer sees, and a one-shot schedule prunes exactly at that transition.
 */
public enum Phase {
    /**
     * Sparsity ramps (or is held constant by a constant schedule) and the mask is recomputed by
     * magnitude; pruned weights still receive gradients, so they may regrow.
     */
    PRUNE,
    /** Fine-tuning inside a cycle at the target sparsity; the mask is frozen. */
    HOLD,
    /** The schedule is over; the mask is frozen for good. */
    FINAL;

    /**
     * Returns whether the mask is recomputed by magnitude in this phase.
     *
     * @return true only for {@link #PRUNE}
     */
    public boolean updatesMask() {
        return this == PRUNE;
    }
}
