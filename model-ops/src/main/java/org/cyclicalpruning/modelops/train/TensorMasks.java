package org.cyclicalpruning.modelops.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.cyclicalpruning.modelops.mask.MagnitudePruner;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.mask.MaskUpdate;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.optim.Optimizer;

/**
 * The masks of a model's prunable tensors, applied to its weights, gradients and optimizer state
 * where they live (native or GPU memory).
 *
 * <p>Masks are kept twice: as bits ({@link MaskState}, what checkpoints and snapshots carry) and
 * as float tensors of 1 and 0 (what multiplies gradients and weights). On the CPU a mask update
 * runs in place through direct buffers over the tensors' memory, which keeps only the bits
 * current; the float masks are rewritten lazily, when a step next needs them. Elsewhere (GPU) the
 * buffers are host copies, uploaded after writing.
 */
final class TensorMasks {
    private final boolean cpu;
    private final NDArray[] params;
    private final int[] prunable;
    private final NDArray[] masks;
    private final NDArray[][] optimizerState;
    private final Optimizer optimizer;
    private final MagnitudePruner pruner;
    private MaskState state;

    private ByteBuffer[] weightViews;
    private FloatBuffer[] maskViews;
    private ByteBuffer[] maskBytes;
    private ByteBuffer[][] stateViews;
    private boolean floatMasksStale;
    private double lastSparsity = -1;
    private boolean anyPruned;
    private long version;

    TensorMasks(
            boolean cpu,
            ModelLayout layout,
            NDArray[] params,
            NDArray[][] optimizerState,
            Optimizer optimizer,
            MagnitudePruner pruner,
            NDManager manager) {
        this.cpu = cpu;
        this.params = params;
        this.prunable = layout.prunable();
        this.optimizerState = optimizerState;
        this.optimizer = optimizer;
        this.pruner = pruner;
        this.masks = new NDArray[prunable.length];
        for (int t = 0; t < prunable.length; t++) {
            masks[t] = manager.ones(params[prunable[t]].getShape());
        }
        this.state = MaskState.dense(layout.prunableSizes());
        refreshViews();
    }

    /** Returns the masks as bits (live state: read only). */
    MaskState state() {
        return state;
    }

    /** Returns a number that changes whenever the masks do. */
    long version() {
        return version;
    }

    /** Returns whether any weight is pruned now. */
    boolean anyPruned() {
        return anyPruned;
    }

    /** Returns the sparsity of the last mask update, -1 before any. */
    double lastSparsity() {
        return lastSparsity;
    }

    /** Brings the float masks in line with the bits, where a step is about to use them. */
    void syncFloatMasks() {
        if (floatMasksStale) {
            MagnitudePruner.writeMasks(state, maskBytes);
            floatMasksStale = false;
        }
    }

    /** Zeroes the gradient of pruned weights of mask {@code t}; call {@link #syncFloatMasks()} first. */
    void maskGradient(int t, NDArray grad) {
        grad.muli(masks[t]);
    }

    /** Returns whether {@link #recompute} projects weights and resets optimizer state itself. */
    boolean updatesInPlace() {
        return cpu && pruner.updatesInPlace() && weightViews[0].isDirect();
    }

    /**
     * Recomputes every mask by magnitude at {@code sparsity} and resets the optimizer state of
     * pruned weights; in place, the pruned weights are zeroed too.
     */
    MaskUpdate recompute(double sparsity) {
        version++;
        if (updatesInPlace()) {
            // weights projected, optimizer state of pruned weights reset, float masks rewritten: one pass
            MaskUpdate update = pruner.updateInPlace(weightViews, stateViews, sparsity, state);
            floatMasksStale = true;
            lastSparsity = sparsity;
            anyPruned = update.pruned() > 0;
            return update;
        }
        if (!cpu) {
            for (int t = 0; t < prunable.length; t++) {
                weightViews[t] = params[prunable[t]].toByteBuffer();
            }
        }
        MaskUpdate update = pruner.update(weightViews, sparsity, state, maskViews);
        if (!cpu) {
            for (int t = 0; t < masks.length; t++) {
                masks[t].set(maskViews[t]);
            }
        }
        lastSparsity = sparsity;
        anyPruned = update.pruned() > 0;
        for (int t = 0; t < masks.length; t++) {
            // regrowth starts clean: a pruned weight forgets its momentum / moments
            optimizer.resetPruned(optimizerState[prunable[t]], masks[t]);
        }
        return update;
    }

    /** Projects the weights onto the masks: {@code w <- w * mask}. */
    void project() {
        syncFloatMasks();
        for (int t = 0; t < masks.length; t++) {
            params[prunable[t]].muli(masks[t]);
        }
    }

    /** Replaces the masks with restored ones, bits and floats. */
    void load(MaskState restored, double restoredLastSparsity) {
        version++;
        for (int t = 0; t < masks.length; t++) {
            float[] mask = new float[restored.size(t)];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = restored.isKept(t, i) ? 1f : 0f;
            }
            masks[t].set(mask);
        }
        state = restored.copy();
        lastSparsity = restoredLastSparsity;
        anyPruned = state.prunedCount() > 0;
        refreshViews();
    }

    /** Returns the number of masks. */
    int count() {
        return masks.length;
    }

    /** Returns the element count of mask {@code t}. */
    long size(int t) {
        return masks[t].size();
    }

    /** Takes fresh views of the tensors' memory, after the engine gave them new memory (set from an array). */
    void refreshViews() {
        weightViews = new ByteBuffer[prunable.length];
        maskViews = new FloatBuffer[prunable.length];
        maskBytes = new ByteBuffer[prunable.length];
        stateViews = new ByteBuffer[prunable.length][];
        for (int t = 0; t < prunable.length; t++) {
            if (cpu) {
                weightViews[t] = params[prunable[t]].toByteBuffer(true);
                maskBytes[t] = masks[t].toByteBuffer(true);
                maskViews[t] = maskBytes[t].asFloatBuffer();
                NDArray[] s = optimizerState[prunable[t]];
                stateViews[t] = new ByteBuffer[s.length];
                for (int k = 0; k < s.length; k++) {
                    stateViews[t][k] = s[k].toByteBuffer(true);
                }
            } else {
                maskViews[t] = ByteBuffer.allocateDirect(Math.toIntExact(masks[t].size()) * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
            }
        }
    }
}
