package org.cyclicalpruning.modelops.optim;

import ai.djl.ndarray.NDArray;
import org.cyclicalpruning.modelops.engine.FusedUpdates;

/**
 * Adam (Kingma and Ba, https://arxiv.org/abs/1412.6980) with L2 weight decay; the bias correction
 * is folded into the step size, so one fused call per tensor does the rest.
 */
final class Adam implements Optimizer {
    private final double beta1;
    private final double beta2;
    private final float epsilon;
    private final float decay;

    Adam(double beta1, double beta2, double epsilon, double decay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = (float) epsilon;
        this.decay = (float) decay;
    }

    @Override
    public int stateTensors() {
        return 2;
    }

    @Override
    public void update(NDArray w, NDArray grad, NDArray[] state, float lr, long updates) {
        double c1 = 1 - Math.pow(beta1, updates);
        double c2 = 1 - Math.pow(beta2, updates);
        float corrected = (float) (lr * Math.sqrt(c2) / c1);
        FusedUpdates.adam(w, grad, state[0], state[1], lr, corrected, decay, (float) beta1, (float) beta2, epsilon);
    }
}
