package org.cyclicalpruning.modelops.mask.select;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Brackets the k-th smallest key from a fixed pseudo-random sample of the keys: the sample's
 * quantiles around k/n hold the k-th key with high probability, so a pass that gathers the keys
 * inside the bracket, and a quickselect among those few, find it.
 */
final class Sampler {
    static final int SAMPLE_SIZE = 1024;

    private final int[] sizes;
    private final Map<Long, int[]> positions = new HashMap<>();

    /** Reads key {@code index} of tensor {@code tensor}. */
    interface KeyReader {
        int key(int tensor, int index);
    }

    Sampler(int[] sizes) {
        this.sizes = sizes;
    }

    /** Returns the sorted keys at this range's fixed pseudo-random sample positions. */
    int[] sampleKeys(int from, int to, long n, KeyReader keys) {
        int[] at = positions.computeIfAbsent(from * 1000003L + to, r -> {
            SplittableRandom random = new SplittableRandom(0x5eed);
            int[] p = new int[SAMPLE_SIZE];
            for (int i = 0; i < p.length; i++) {
                p[i] = (int) random.nextLong(n);
            }
            Arrays.sort(p);
            return p;
        });
        int[] sample = new int[at.length];
        int t = from;
        long offset = 0;
        for (int i = 0; i < at.length; i++) {
            while (at[i] - offset >= sizes[t]) {
                offset += sizes[t++];
            }
            sample[i] = keys.key(t, (int) (at[i] - offset));
        }
        Arrays.sort(sample);
        return sample;
    }

    /** Returns the [lo, hi] key bracket that holds the k-th of n keys with high probability, from a sorted sample. */
    static int[] bracketOf(int[] sample, long k, long n) {
        double q = (double) k / n;
        double slack = 4 * Math.sqrt(q * (1 - q) / sample.length) + 2.0 / sample.length;
        int loIdx = (int) Math.floor((q - slack) * sample.length);
        int hiIdx = (int) Math.ceil((q + slack) * sample.length);
        int lo = loIdx <= 0 ? 0 : sample[Math.min(loIdx, sample.length - 1)];
        int hi = hiIdx >= sample.length ? Integer.MAX_VALUE : sample[hiIdx];
        return new int[] {lo, hi};
    }
}
