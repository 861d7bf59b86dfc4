package org.cyclicalpruning.modelops.optim;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;
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

    @Override
    public void updateEntries(
            FloatBuffer w, int[] positions, float[] grad, FloatBuffer[] state, float lr, long updates) {
        double c1 = 1 - Math.pow(beta1, updates);
        double c2 = 1 - Math.pow(beta2, updates);
        float corrected = (float) (lr * Math.sqrt(c2) / c1);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float rest1 = 1 - b1;
        float rest2 = 1 - b2;
        FloatBuffer mean = state[0];
        FloatBuffer variance = state[1];
        // the fused kernel's arithmetic, in its order
        for (int k = 0; k < grad.length; k++) {
            int i = positions == null ? k : positions[k];
            float wi = w.get(i);
            float g = grad[k] + decay * wi;
            float m = mean.get(i) * b1 + rest1 * g;
            float v = variance.get(i) * b2 + rest2 * g * g;
            mean.put(i, m);
            variance.put(i, v);
            w.put(i, wi - m * corrected / ((float) Math.sqrt(v) + epsilon));
        }
    }
}
