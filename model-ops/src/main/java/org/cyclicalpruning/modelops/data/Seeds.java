package org.cyclicalpruning.modelops.data;

/**
 * Derives independent generator seeds from a user seed plus a stream label.
 *
 * <p>{@code new SplittableRandom(s)} uses {@code s} as its raw state, so seeds that differ by a
 * multiple of its internal gamma give shifted copies of the same stream. Hashing (seed, domain,
 * index) with a 64-bit finaliser first makes e.g. epoch 1 and epoch 2, or batch 7 and the teacher,
 * statistically unrelated.
 */
final class Seeds {
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private Seeds() {}

    /** A seed for stream {@code index} of {@code domain} under the user's {@code seed}. */
    static long derive(long seed, long domain, long index) {
        long h = mix64(seed ^ mix64(domain + GOLDEN_GAMMA));
        return mix64(h + (index + 1) * GOLDEN_GAMMA);
    }

    /** Stafford's variant 13 of the MurmurHash3 finaliser, as used by SplittableRandom itself. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
