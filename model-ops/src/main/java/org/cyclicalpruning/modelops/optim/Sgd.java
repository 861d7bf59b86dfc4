package org.cyclicalpruning.modelops.optim;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;
import org.cyclicalpruning.modelops.engine.FusedUpdates;

/** SGD with heavy-ball momentum (none when it is 0) and L2 weight decay, in one fused call per tensor. */
final class Sgd implements Optimizer {
    private final float momentum;
    private final float decay;

    Sgd(double momentum, double decay) {
        this.momentum = (float) momentum;
        this.decay = (float) decay;
    }

    @Override
    public int stateTensors() {
        return momentum > 0 ? 1 : 0;
    }

    @Override
    public void update(NDArray w, NDArray grad, NDArray[] state, float lr, long updates) {
        FusedUpdates.sgd(w, grad, momentum > 0 ? state[0] : null, lr, decay, momentum);
    }

    @Override
    public void updateEntries(
            FloatBuffer w, int[] positions, float[] grad, FloatBuffer[] state, float lr, long updates) {
        // the fused kernel's arithmetic, in its order: g = (grad + decay * w) * lr; v = momentum * v + g; w -= v
        FloatBuffer velocity = momentum > 0 ? state[0] : null;
        for (int k = 0; k < grad.length; k++) {
            int i = positions == null ? k : positions[k];
            float wi = w.get(i);
            float g = (grad[k] + decay * wi) * lr;
            if (velocity != null) {
                g = momentum * velocity.get(i) + g;
                velocity.put(i, g);
            }
            w.put(i, wi - g);
        }
    }
}
