package org.cyclicalpruning.modelops.data;

/**
 * Features stored as unsigned bytes over a divisor, such as pixels over 255: feature = byte /
 * divisor, divided in float32 (not multiplied by 1/divisor, so that 255 / 255 is exactly 1). The
 * IDX reader, the wire form of a training batch and the trainer all decode through here, so a
 * model trains on the same floats whichever way its data came.
 */
public final class Uint8Features {
    private Uint8Features() {}

    /** Returns the feature of every byte value, indexed by {@code byte & 0xFF}. */
    public static float[] table(float divisor) {
        float[] table = new float[256];
        for (int b = 0; b < 256; b++) {
            table[b] = b / divisor;
        }
        return table;
    }

    /** Returns the features of {@code bytes}. */
    public static float[] decode(byte[] bytes, float divisor) {
        float[] table = table(divisor);
        float[] out = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = table[bytes[i] & 0xFF];
        }
        return out;
    }
}
