package org.cyclicalpruning.modelops.mask.select;

import static org.cyclicalpruning.modelops.util.Checks.checkState;

import java.nio.ByteBuffer;

/**
 * Selection and projection in place, in the tensors' native memory: the threshold of the k
 * smallest magnitudes is searched first in a bracket predicted from the previous update ({@link
 * BracketSelector}), then in a bracket from a sample, and last by an exact radix select; then one
 * vectorised pass per tensor writes the kept bits and zeroes pruned weights and their optimizer
 * state. Every path gives the same mask. Not thread-safe.
 */
public final class NativeSelector {
    private final int[] sizes;
    private final BracketSelector[] selectors;
    private final Sampler sampler;
    private final JavaSelector exact;
    private final long[] fallbacks = new long[2]; // selections from a sampled bracket, and exact ones

    /**
     * Creates a selector for tensors of the given sizes.
     *
     * @param sizes element count of each tensor
     * @param groups selection groups: 1 for one threshold over all tensors, else one per tensor
     */
    public NativeSelector(int[] sizes, int groups) {
        this.sizes = sizes.clone();
        this.selectors = new BracketSelector[groups];
        long total = 0;
        for (int size : sizes) {
            total += size;
        }
        for (int g = 0; g < groups; g++) {
            selectors[g] = new BracketSelector(groups == 1 ? total : sizes[g]);
        }
        this.sampler = new Sampler(this.sizes);
        this.exact = new JavaSelector(this.sizes);
    }

    /** Returns whether the native kernels loaded here. */
    public static boolean available() {
        return NativeMaskKernels.available();
    }

    /**
     * Prunes the k smallest weights of tensors [from, to) in place (selection group g): finds
     * the threshold key and how many weights at exactly that key are pruned, then projects every
     * tensor at it; the native pass breaks those ties by index.
     *
     * @param kept per tensor, the mask words written
     */
    public void selectAndProject(
            int g, int from, int to, long k, ByteBuffer[] w, ByteBuffer[][] optimizerState, long[][] kept) {
        long n = 0;
        for (int t = from; t < to; t++) {
            n += sizes[t];
        }
        BracketSelector selector = selectors[g];
        // k <= 0: nothing pruned
        Threshold found =
                k <= 0 ? Threshold.NONE : selector.select(w, sizes, from, to, k).orElse(null);
        if (found == null) {
            found = zeroTies(from, to, k, w);
        }
        int[] bracket = null;
        if (found == null) {
            bracket = Sampler.bracketOf(
                    sampler.sampleKeys(from, to, n, (t, i) -> Threshold.key(w[t].getInt(4 * i))), k, n);
            found = selector.selectIn(w, sizes, from, to, k, bracket[0], bracket[1])
                    .orElse(null);
            fallbacks[0] += found == null ? 0 : 1;
        }
        if (found == null) {
            fallbacks[1]++;
            exact.load(w);
            found = exact.radixSelect(from, to, k);
            selector.remember(found.key(), k, bracket[0], bracket[1]);
        }
        long ties = found.ties();
        for (int t = from; t < to; t++) {
            ByteBuffer[] s = optimizerState[t];
            ties = NativeMaskKernels.project(
                    w[t], s.length > 0 ? s[0] : null, s.length > 1 ? s[1] : null, sizes[t], found.key(), ties, kept[t]);
            check(ties);
        }
    }

    /**
     * Handles the case a bracket cannot: the k smallest keys are all exact zeros (weights held at
     * zero by masked gradients), so the threshold is 0 and every one of the k is a tie. Returns
     * null otherwise.
     */
    private Threshold zeroTies(int from, int to, long k, ByteBuffer[] w) {
        long zeros = 0;
        int[] none = new int[0];
        for (int t = from; t < to; t++) {
            long r = NativeMaskKernels.scan(w[t], sizes[t], 0, 0, none, 0); // counts only
            check(r);
            zeros += r & 0xffffffffL;
        }
        return k <= zeros ? new Threshold(0, k, zeros) : null;
    }

    /** Returns how many selections a sampled bracket found, and how many the exact fallback. */
    public long[] fallbacks() {
        return fallbacks.clone();
    }

    /** Returns how many selections the predicted bracket found first, and how many a moved bracket found. */
    public long[] bracketPaths() {
        long[] out = new long[2];
        for (BracketSelector selector : selectors) {
            long[] p = selector.paths();
            out[0] += p[0];
            out[1] += p[1];
        }
        return out;
    }

    /** Fails when a native kernel reported that it refused its buffers. */
    public static void check(long nativeResult) {
        checkState(nativeResult >= 0, "a native mask kernel refused its buffers (not direct?)");
    }
}
