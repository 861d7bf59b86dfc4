package org.cyclicalpruning.serving;

/**
 * Buffers per thread for the serving kernels' packed tiles, which layers write in turn: a batch
 * allocates only its activations between stages and its result.
 */
final class Scratch {
    /** A fully connected layer's packed input; the next layer's output. */
    static final int LAYER_IN = 0;
    /** A fully connected layer's packed output; the next layer's input. */
    static final int LAYER_OUT = 1;
    /** A convolution's image patches of one chunk of output positions. */
    static final int PATCHES = 2;
    /** A convolution's packed outputs of that chunk. */
    static final int PATCH_OUT = 3;

    private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(Scratch::new);

    private final float[][] buffers = {new float[0], new float[0], new float[0], new float[0]};

    private Scratch() {}

    /** Returns the calling thread's buffers. */
    static Scratch ofThisThread() {
        return OF_THREAD.get();
    }

    /** Returns buffer {@code which}, of at least {@code length} floats (only those are used). */
    float[] get(int which, int length) {
        if (buffers[which].length < length) {
            buffers[which] = new float[length];
        }
        return buffers[which];
    }
}
