package org.cyclicalpruning.modelops.model;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/**
 * The standardisation a model applies to every feature before its first layer, {@code x' = (x -
 * mean) / std} in float32: what a snapshot carries and every reader of it must apply.
 *
 * @param mean subtracted from every feature
 * @param std every centred feature is divided by it; positive
 */
public record InputStandardization(float mean, float std) implements java.io.Serializable {
    public InputStandardization {
        checkArgument(Float.isFinite(mean), "input mean must be finite, got %s", mean);
        checkArgument(Float.isFinite(std) && std > 0, "input std must be positive and finite, got %s", std);
    }

    /** Returns {@code (x - mean) / std} in float32. */
    public float apply(float x) {
        return (x - mean) / std;
    }

    /** Returns a copy of {@code features} standardised. */
    public float[] apply(float[] features) {
        float[] out = new float[features.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = apply(features[i]);
        }
        return out;
    }
}
