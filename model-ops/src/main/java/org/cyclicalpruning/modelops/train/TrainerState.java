package org.cyclicalpruning.modelops.train;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import org.cyclicalpruning.modelops.drift.DriftState;
import org.cyclicalpruning.modelops.mask.MaskState;

/**
 * Everything a {@link SparseTrainer} needs to continue exactly where it stopped: weights, masks,
 * optimizer state and counters. A heap copy, taken with {@link SparseTrainer#exportState()} and
 * turned back into a hot trainer with {@link SparseTrainer#restore}; a stream processor keeps it
 * in its checkpointed state.
 *
 * <p>The arrays are owned by this object once constructed; callers must not change them.
 *
 * @param params every parameter tensor, in {@code ModelSpec#tensorNames()} order
 * @param optimizerState per parameter, the optimizer's tensors (momentum; or Adam's two moments)
 * @param masks masks of the prunable tensors and the ever-pruned sets
 * @param steps accepted steps
 * @param samples samples in accepted steps
 * @param anchor event time of the first batch, or {@link Long#MIN_VALUE} before any
 * @param lastMaskSparsity sparsity of the last mask update, -1 before any
 * @param optimizerUpdates optimizer updates so far (Adam's bias correction)
 * @param inputStats what the online input standardisation has seen ({@link InputStats#EMPTY} when
 *     the model does not estimate it)
 * @param drift what a drift-aware model remembers of its detections ({@link DriftState#NONE} for
 *     others)
 */
public record TrainerState(
        float[][] params,
        float[][][] optimizerState,
        MaskState masks,
        long steps,
        long samples,
        long anchor,
        double lastMaskSparsity,
        long optimizerUpdates,
        InputStats inputStats,
        DriftState drift) {

    public TrainerState {
        checkArgument(
                params != null && optimizerState != null && masks != null,
                "params, optimizer state and masks must be set");
        checkArgument(
                optimizerState.length == params.length,
                "optimizer state has %s tensors for %s parameters",
                optimizerState.length,
                params.length);
        checkArgument(steps >= 0 && samples >= 0 && optimizerUpdates >= 0, "counters must be >= 0");
        checkArgument(inputStats != null, "input statistics must be set (InputStats.EMPTY for none)");
        checkArgument(drift != null, "drift state must be set (DriftState.NONE for none)");
    }

    /** Returns the number of float values held (weights plus optimizer state). */
    public long floatCount() {
        long n = 0;
        for (int p = 0; p < params.length; p++) {
            n += params[p].length;
            for (float[] s : optimizerState[p]) {
                n += s.length;
            }
        }
        return n;
    }
}
