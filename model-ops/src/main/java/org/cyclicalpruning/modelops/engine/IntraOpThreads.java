package org.cyclicalpruning.modelops.engine;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread pool, which is process-wide: every model trained or served in this
 * JVM shares it.
 */
public final class IntraOpThreads {
    private IntraOpThreads() {}

    /** Returns the number of threads one operation may use (PyTorch's default is one per core). */
    public static int get() {
        Engine.getInstance(); // loads the native library, whose default this then reports
        return JniUtils.getNumThreads();
    }

    /**
     * Sets the number of threads one operation may use, for every model in this JVM.
     *
     * @param threads at least 1
     */
    public static void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, got " + threads);
        }
        Engine.getInstance();
        JniUtils.setNumThreads(threads);
    }
}
