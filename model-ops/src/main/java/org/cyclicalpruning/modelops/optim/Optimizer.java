package org.cyclicalpruning.modelops.optim;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;

/**
 * An update rule whose state tensors the caller owns, so that they can be checkpointed with the
 * model and the entries of a weight that gets pruned can be reset.
 */
public interface Optimizer {

    /** Returns the number of state tensors per parameter tensor, each of the parameter's shape. */
    int stateTensors();

    /**
     * Updates one parameter tensor in place.
     *
     * @param w the parameter
     * @param grad its gradient
     * @param state its {@link #stateTensors()} state tensors, updated in place
     * @param lr the learning rate of this step
     * @param updates how many updates this step makes it, from 1 (for bias corrections)
     */
    void update(NDArray w, NDArray grad, NDArray[] state, float lr, long updates);

    /**
     * The same update as {@link #update} of some entries of a parameter, on views of the tensors'
     * memory: what a training step that computed gradients at kept weights only applies. Entries
     * not named keep their weight and state, as a pruned weight whose gradient is masked does in
     * {@link #update} (its weight and state are zero, so the update leaves them zero).
     *
     * @param w the parameter's values, updated in place
     * @param positions the entries updated, or null for all of them in order
     * @param grad the gradient of each entry updated, in the order of {@code positions}
     * @param state views of its state tensors, updated in place
     * @param lr the learning rate of this step
     * @param updates how many updates this step makes it, from 1 (for bias corrections)
     */
    void updateEntries(FloatBuffer w, int[] positions, float[] grad, FloatBuffer[] state, float lr, long updates);

    /**
     * Forgets the state of pruned entries, so that a weight that regrows later starts clean.
     *
     * @param state the parameter's state tensors
     * @param mask 1 where the weight is kept, 0 where it is pruned
     */
    default void resetPruned(NDArray[] state, NDArray mask) {
        for (NDArray s : state) {
            s.muli(mask);
        }
    }
}
