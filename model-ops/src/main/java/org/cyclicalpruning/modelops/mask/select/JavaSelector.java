package org.cyclicalpruning.modelops.mask.select;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Selection of the k smallest magnitudes in Java, over a heap copy of the weights' raw IEEE bits:
 * the reference the native path is tested against, and the path for N:M pruning, GPUs and
 * platforms without the native library.
 *
 * <p>Selection, not sorting. Large ranges take the sampled path: the k-th key's quantile is
 * bracketed from a fixed pseudo-random sample ({@link Sampler}), one branch-free pass counts the
 * keys below the bracket and gathers those inside it, and a quickselect over the (few percent of)
 * gathered keys finishes. Should the bracket miss, which a 1024-key sample makes rare, an exact
 * two-level radix select over the bits runs instead (histogram of the high 15 bits, then of the
 * low 16 inside the bucket that holds the threshold); both give the same answer. Not
 * thread-safe: it owns scratch buffers reused across calls.
 */
public final class JavaSelector {
    private static final int HIGH_BUCKETS = 1 << 15;
    private static final int LOW_BUCKETS = 1 << 16;
    private static final int SAMPLED_SELECT_MIN = 1 << 15;

    private final int[] sizes;
    private final int[][] bits;
    private final Sampler sampler;
    // radix histograms (384 KB): allocated on first use, as most pruners never need them and a
    // TaskManager may hold thousands of small models
    private int[] highHistogram;
    private int[] lowHistogram;
    private int[] window = new int[0];

    /**
     * Creates a selector for tensors of the given sizes.
     *
     * @param sizes element count of each tensor
     */
    public JavaSelector(int[] sizes) {
        this.sizes = sizes.clone();
        this.bits = new int[sizes.length][];
        this.sampler = new Sampler(this.sizes);
    }

    /** Copies the raw IEEE bits of float32 weights in native byte order (a memcpy per tensor). */
    public void load(ByteBuffer[] weights) {
        for (int t = 0; t < sizes.length; t++) {
            weights[t].duplicate().order(ByteOrder.nativeOrder()).asIntBuffer().get(0, bits(t), 0, sizes[t]);
        }
    }

    /** Copies the raw IEEE bits of heap weights. */
    public void load(float[][] weights) {
        for (int t = 0; t < sizes.length; t++) {
            int[] b = bits(t);
            for (int i = 0; i < sizes[t]; i++) {
                b[i] = Float.floatToRawIntBits(weights[t][i]);
            }
        }
    }

    /** Returns the loaded raw bits of tensor {@code t} (live: read only). */
    public int[] bits(int t) {
        if (bits[t] == null) {
            bits[t] = new int[sizes[t]];
        }
        return bits[t];
    }

    /**
     * Finds the magnitude key of the k-th smallest weight over tensors [from, to), how many weights
     * of exactly that key must be pruned (the first ones by index), and how many have that key.
     *
     * <p>Large ranges take the sampled path: the k-th key's quantile is bracketed from a fixed
     * pseudo-random sample, one branch-free pass counts the keys below the bracket and gathers
     * those inside it, and a quickselect over the (few percent of) gathered keys finishes. Should
     * the bracket miss, which a 1024-key sample makes rare, the exact radix select runs instead;
     * both give the same answer.
     */
    public Threshold select(int from, int to, long k) {
        if (k <= 0) {
            return Threshold.NONE;
        }
        long n = 0;
        for (int t = from; t < to; t++) {
            n += sizes[t];
        }
        if (n >= SAMPLED_SELECT_MIN) {
            Threshold sampled = sampledSelect(from, to, k, n);
            if (sampled != null) {
                return sampled;
            }
        }
        return radixSelect(from, to, k);
    }

    private Threshold sampledSelect(int from, int to, long k, long n) {
        int[] sample = sampler.sampleKeys(from, to, n, (t, i) -> key(bits[t][i]));
        int[] bracket = Sampler.bracketOf(sample, k, n);
        int lo = bracket[0];
        int hi = bracket[1];
        long below = 0;
        int gathered = 0;
        int[] window = windowBuffer((int) n);
        for (int t = from; t < to; t++) {
            int[] m = bits[t];
            for (int i = 0, size = sizes[t]; i < size; i++) {
                int key = key(m[i]);
                below += (key - lo) >>> 31;
                // branch-free gather: always store, advance only when lo <= key <= hi
                window[gathered] = key;
                gathered += ((lo - 1 - key) & (key - hi - 1)) >>> 31;
            }
        }
        if (k <= below || k > below + gathered) {
            return null;
        }
        int rank = (int) (k - below); // 1-based rank of the threshold inside the window
        int threshold = BracketSelector.quickselect(window, 0, gathered, rank - 1);
        long less = below;
        long equal = 0;
        for (int i = 0; i < gathered; i++) {
            less += (window[i] - threshold) >>> 31;
            equal += window[i] == threshold ? 1 : 0;
        }
        return new Threshold(threshold, k - less, equal);
    }

    /** Finds the threshold of the k smallest keys over tensors [from, to) exactly, by radix select. */
    public Threshold radixSelect(int from, int to, long k) {
        if (highHistogram == null) {
            highHistogram = new int[HIGH_BUCKETS];
            lowHistogram = new int[LOW_BUCKETS];
        }
        Arrays.fill(highHistogram, 0);
        for (int t = from; t < to; t++) {
            int[] m = bits[t];
            for (int i = 0, n = sizes[t]; i < n; i++) {
                highHistogram[key(m[i]) >>> 16]++;
            }
        }
        long before = 0;
        int high = 0;
        while (before + highHistogram[high] < k) {
            before += highHistogram[high++];
        }
        Arrays.fill(lowHistogram, 0);
        for (int t = from; t < to; t++) {
            int[] m = bits[t];
            for (int i = 0, n = sizes[t]; i < n; i++) {
                int key = key(m[i]);
                if (key >>> 16 == high) {
                    lowHistogram[key & 0xffff]++;
                }
            }
        }
        int low = 0;
        while (before + lowHistogram[low] < k) {
            before += lowHistogram[low++];
        }
        return new Threshold((high << 16) | low, k - before, lowHistogram[low]);
    }

    private int[] windowBuffer(int n) {
        if (window.length < n) {
            window = new int[n];
        }
        return window;
    }

    private static int key(int rawBits) {
        return Threshold.key(rawBits);
    }
}
