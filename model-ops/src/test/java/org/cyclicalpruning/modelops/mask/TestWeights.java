package org.cyclicalpruning.modelops.mask;

import java.util.SplittableRandom;

/** Weight tensors for the pruner tests: Gaussian, or quantised to a few levels so that ties abound. */
final class TestWeights {
    private TestWeights() {}

    static float[] quantised(SplittableRandom random, int n, int levels) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (random.nextInt(2 * levels + 1) - levels) / (float) levels;
        }
        return w;
    }

    static float[] gaussian(SplittableRandom random, int n, double scale) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble();
            double v = random.nextDouble();
            w[i] = (float) (scale * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
        }
        return w;
    }
}
