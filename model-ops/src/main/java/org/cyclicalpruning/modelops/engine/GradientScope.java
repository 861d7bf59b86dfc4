package org.cyclicalpruning.modelops.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Records the autograd graph of one training step on the current thread.
 *
 * <p>DJL's {@code PtGradientCollector} allows one collector per JVM (a static flag), so two models
 * training on two threads, as two Flink subtasks in one TaskManager do, fail with "A
 * PtGradientCollector is already collecting". PyTorch's grad mode is thread-local, so this scope
 * does the same work per thread: it enables grad mode, runs backward, and disables it again.
 *
 * <p>Grad mode is left off, not restored: PyTorch starts every new thread with it on (only the
 * thread that loaded the engine has it off), and with it on the in-place weight updates and mask
 * projections of a step would fail on leaves that require gradients.
 */
public final class GradientScope implements AutoCloseable {

    public GradientScope() {
        JniUtils.setGradMode(true);
    }

    /** Turns grad mode off on this thread, for code that must not record a graph. */
    public static void off() {
        JniUtils.setGradMode(false);
    }

    /** Back-propagates from a scalar loss into the gradients of every leaf that requires them. */
    public void backward(NDArray loss) {
        try (NDArray seed = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
        }
    }

    /**
     * Zeroes the gradients of {@code parameters} in place. PyTorch adds every backward pass into
     * them; the fused optimizer updates zero them once used, so a step rolled back before its
     * update must do it, or its gradients would reach the next step.
     */
    public static void zeroGradients(NDArray... parameters) {
        for (NDArray p : parameters) {
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }

    @Override
    public void close() {
        JniUtils.setGradMode(false);
    }
}
