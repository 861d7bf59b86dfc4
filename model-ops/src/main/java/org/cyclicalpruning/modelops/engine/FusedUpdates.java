package org.cyclicalpruning.modelops.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The engine's fused optimizer kernels: one native call updates a whole tensor in place, where
 * the same arithmetic in {@code NDArray} operations would take several calls and temporaries.
 * Reached through DJL's engine-internal {@code NDArrayEx}, which is why it lives here.
 */
public final class FusedUpdates {
    private FusedUpdates() {}

    /**
     * SGD with heavy-ball momentum, in place: {@code v <- momentum * v - lr * (g + decay * w);
     * w <- w + v}, or without momentum {@code w <- w - lr * (g + decay * w)}.
     *
     * @param w the weights, updated in place
     * @param grad their gradient
     * @param velocity the momentum buffer, updated in place; null for plain SGD
     * @param lr the learning rate
     * @param decay the L2 penalty
     * @param momentum the momentum, ignored without a buffer
     */
    public static void sgd(NDArray w, NDArray grad, NDArray velocity, float lr, float decay, float momentum) {
        NDList inputs = velocity != null ? new NDList(w, grad, velocity) : new NDList(w, grad);
        w.getNDArrayInternal().sgdUpdate(inputs, new NDList(w), lr, decay, 1f, -1f, momentum, false);
    }

    /**
     * Adam, in place, with the bias correction folded into {@code correctedLr}.
     *
     * @param w the weights, updated in place
     * @param grad their gradient
     * @param mean the first moment, updated in place
     * @param variance the second moment, updated in place
     * @param lr the learning rate
     * @param correctedLr {@code lr * sqrt(1 - beta2^t) / (1 - beta1^t)}
     * @param decay the L2 penalty
     * @param beta1 the first moment's decay
     * @param beta2 the second moment's decay
     * @param epsilon the denominator guard
     */
    public static void adam(
            NDArray w,
            NDArray grad,
            NDArray mean,
            NDArray variance,
            float lr,
            float correctedLr,
            float decay,
            float beta1,
            float beta2,
            float epsilon) {
        w.getNDArrayInternal()
                .adamUpdate(
                        new NDList(w, grad, mean, variance),
                        new NDList(w),
                        lr,
                        correctedLr,
                        decay,
                        1f,
                        -1f,
                        beta1,
                        beta2,
                        epsilon,
                        false,
                        false);
    }
}
