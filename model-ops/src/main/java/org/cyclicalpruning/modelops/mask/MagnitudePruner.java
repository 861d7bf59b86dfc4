package org.cyclicalpruning.modelops.mask;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Recomputes pruning masks by weight magnitude: exactly {@code round(s * n)} weights are pruned
 * (per tensor for {@link PruningMode.Kind#PER_LAYER}, over all tensors for {@link
 * PruningMode.Kind#GLOBAL}), the smallest by {@code |w|}; among equal magnitudes the lower index
 * (tensor order, then element order) is pruned first, so the result is deterministic.
 *
 * <p>Selection, not sorting: the threshold is found with a two-level radix select over the bits
 * of {@code |w|} (for non-negative floats the IEEE bit pattern orders like the value), which is
 * linear in the number of weights. Three passes in all: histogram of the high 15 bits, histogram
 * of the low 16 bits inside the bucket that holds the threshold, then writing the mask 64 weights
 * at a time, branch-free. Weights are read through {@link FloatBuffer}s, so a direct buffer over a
 * native tensor's memory works as well as a heap array; the optional float mask output is only
 * written where the mask changed, which in steady state is a small fraction of it.
 *
 * <p>Magnitude pruning after Zhu and Gupta, "To prune, or not to prune" (2017),
 * https://arxiv.org/abs/1710.01878. Not thread-safe: it owns scratch buffers reused across calls.
 */
public final class MagnitudePruner {
    private static final int HIGH_BUCKETS = 1 << 15;
    private static final int LOW_BUCKETS = 1 << 16;
    private static final int SAMPLED_SELECT_MIN = 1 << 15;
    private static final int SAMPLE_SIZE = 1024;

    private final PruningMode mode;
    private final int[] sizes;
    private final int[] rowLengths;
    private final int[][] bits;
    private final int[] highHistogram = new int[HIGH_BUCKETS];
    private final int[] lowHistogram = new int[LOW_BUCKETS];
    private long[] oldWords = new long[0];
    private int[] window = new int[0];
    private final Map<Long, int[]> samplePositions = new HashMap<>();

    /**
     * Creates a pruner for tensors of the given sizes.
     *
     * @param mode the granularity
     * @param sizes element count of each prunable tensor
     * @param rowLengths length of each tensor's rows (the last dimension); N:M groups run along rows
     */
    public MagnitudePruner(PruningMode mode, int[] sizes, int[] rowLengths) {
        checkArgument(sizes.length == rowLengths.length, "need a row length per tensor");
        checkArgument(sizes.length > 0, "nothing to prune: no prunable tensors");
        this.mode = mode;
        this.sizes = sizes.clone();
        this.rowLengths = rowLengths.clone();
        this.bits = new int[sizes.length][];
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(
                    rowLengths[t] > 0 && sizes[t] % rowLengths[t] == 0,
                    "tensor %s: row length %s does not divide its size %s",
                    t,
                    rowLengths[t],
                    sizes[t]);
            if (mode.kind() == PruningMode.Kind.N_OF_M) {
                checkArgument(
                        rowLengths[t] % mode.m() == 0,
                        "N:M pruning with M=%s needs rows whose length is a multiple of M; tensor %s has rows of %s",
                        mode.m(),
                        t,
                        rowLengths[t]);
            }
            bits[t] = new int[sizes[t]];
        }
    }

    /** Returns the granularity. */
    public PruningMode mode() {
        return mode;
    }

    /**
     * Recomputes the masks of {@code state} at {@code sparsity} from the magnitudes of {@code weights}.
     *
     * @param weights the current weights as float32 in native byte order, one buffer per tensor
     *     (read from index 0, not modified), e.g. a direct buffer over a native tensor's memory
     * @param sparsity the target fraction of pruned weights, in [0, 1)
     * @param state the masks to update in place
     * @param maskOut if not null, one buffer per tensor that receives the mask as 1f (kept) / 0f
     * @return counts of what changed
     */
    public MaskUpdate update(ByteBuffer[] weights, double sparsity, MaskState state, FloatBuffer[] maskOut) {
        checkArgument(weights.length == sizes.length, "expected %s weight tensors, got %s", sizes.length, weights.length);
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(weights[t].limit() >= 4L * sizes[t], "tensor %s has %s bytes, expected %s", t, weights[t].limit(), 4L * sizes[t]);
            // the raw IEEE bits, copied in bulk (a memcpy): |w| orders like (bits & 0x7fffffff)
            weights[t].duplicate().order(ByteOrder.nativeOrder()).asIntBuffer().get(0, bits[t], 0, sizes[t]);
        }
        return updateLoaded(sparsity, state, maskOut);
    }

    /** Convenience overload for heap arrays, e.g. in tests and for state restored from checkpoints. */
    public MaskUpdate update(float[][] weights, double sparsity, MaskState state) {
        checkArgument(weights.length == sizes.length, "expected %s weight tensors, got %s", sizes.length, weights.length);
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(weights[t].length >= sizes[t], "tensor %s has %s values, expected %s", t, weights[t].length, sizes[t]);
            for (int i = 0; i < sizes[t]; i++) {
                bits[t][i] = Float.floatToRawIntBits(weights[t][i]);
            }
        }
        return updateLoaded(sparsity, state, null);
    }

    private MaskUpdate updateLoaded(double sparsity, MaskState state, FloatBuffer[] maskOut) {
        checkSparsity("sparsity", sparsity);
        checkArgument(state.tensorCount() == sizes.length, "mask state has %s tensors, expected %s", state.tensorCount(), sizes.length);
        long churn = 0;
        long regrown = 0;
        long recovered = 0;
        long pruned = 0;
        long total = 0;
        switch (mode.kind()) {
            case GLOBAL: {
                long n = state.totalCount();
                long k = Math.round(sparsity * n);
                Threshold th = select(0, sizes.length, k);
                long tiesLeft = th.ties;
                for (int t = 0; t < sizes.length; t++) {
                    long[] c = writeByThreshold(t, th.key, tiesLeft, th.equal > th.ties, state, maskOut);
                    tiesLeft = c[4];
                    churn += c[0];
                    regrown += c[1];
                    recovered += c[2];
                    pruned += c[3];
                }
                total = n;
                break;
            }
            case PER_LAYER:
                for (int t = 0; t < sizes.length; t++) {
                    Threshold th = select(t, t + 1, Math.round(sparsity * sizes[t]));
                    long[] c = writeByThreshold(t, th.key, th.ties, th.equal > th.ties, state, maskOut);
                    churn += c[0];
                    regrown += c[1];
                    recovered += c[2];
                    pruned += c[3];
                    total += sizes[t];
                }
                break;
            default: {
                int perGroup = (int) Math.min(Math.round(sparsity * mode.m()), mode.m() - mode.n());
                for (int t = 0; t < sizes.length; t++) {
                    long[] c = writeNofM(t, perGroup, state, maskOut);
                    churn += c[0];
                    regrown += c[1];
                    recovered += c[2];
                    pruned += c[3];
                    total += sizes[t];
                }
            }
        }
        return new MaskUpdate(pruned, total, churn, regrown, recovered);
    }

    // ------------- private helpers --------------

    private record Threshold(int key, long ties, long equal) {}

    private static int key(int rawBits) {
        return rawBits & 0x7fffffff;
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
    private Threshold select(int from, int to, long k) {
        if (k <= 0) {
            return new Threshold(-1, 0, 0); // below every key: nothing pruned
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
        int[] sample = sampleKeys(from, to, n);
        double q = (double) k / n;
        double slack = 4 * Math.sqrt(q * (1 - q) / sample.length) + 2.0 / sample.length;
        int loIdx = (int) Math.floor((q - slack) * sample.length);
        int hiIdx = (int) Math.ceil((q + slack) * sample.length);
        int lo = loIdx <= 0 ? 0 : sample[Math.min(loIdx, sample.length - 1)];
        int hi = hiIdx >= sample.length ? Integer.MAX_VALUE : sample[hiIdx];
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
        int threshold = quickselect(window, gathered, rank - 1);
        long less = below;
        long equal = 0;
        for (int i = 0; i < gathered; i++) {
            less += (window[i] - threshold) >>> 31;
            equal += window[i] == threshold ? 1 : 0;
        }
        return new Threshold(threshold, k - less, equal);
    }

    private Threshold radixSelect(int from, int to, long k) {
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

    /** Returns the sorted keys at this range's fixed pseudo-random sample positions. */
    private int[] sampleKeys(int from, int to, long n) {
        int[] positions = samplePositions.computeIfAbsent(from * 1000003L + to, r -> {
            SplittableRandom random = new SplittableRandom(0x5eed);
            int[] p = new int[SAMPLE_SIZE];
            for (int i = 0; i < p.length; i++) {
                p[i] = (int) random.nextLong(n);
            }
            Arrays.sort(p);
            return p;
        });
        int[] sample = new int[positions.length];
        int t = from;
        long offset = 0;
        for (int i = 0; i < positions.length; i++) {
            while (positions[i] - offset >= sizes[t]) {
                offset += sizes[t++];
            }
            sample[i] = key(bits[t][(int) (positions[i] - offset)]);
        }
        Arrays.sort(sample);
        return sample;
    }

    private int[] windowBuffer(int n) {
        if (window.length < n) {
            window = new int[n];
        }
        return window;
    }

    /** Returns the value of rank {@code r} (0-based) among a[0, n); reorders a. */
    private static int quickselect(int[] a, int n, int r) {
        int lo = 0;
        int hi = n - 1;
        while (hi > lo) {
            int mid = (lo + hi) >>> 1;
            // median of three as pivot keeps sorted or constant inputs linear
            int pivot = Math.max(Math.min(a[lo], a[mid]), Math.min(Math.max(a[lo], a[mid]), a[hi]));
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    int tmp = a[i];
                    a[i++] = a[j];
                    a[j--] = tmp;
                }
            }
            if (r <= j) {
                hi = j;
            } else if (r >= i) {
                lo = i;
            } else {
                return a[r];
            }
        }
        return a[r];
    }

    /**
     * Writes the mask of tensor t: kept when key > threshold; of the weights whose key equals the
     * threshold the first {@code ties} (by index) are pruned and the rest kept, which needs a
     * second scan only when some of them must be kept ({@code fixTies}). Returns {churn,
     * regrown, recovered, pruned, ties still to prune in later tensors}.
     */
    private long[] writeByThreshold(int t, int threshold, long ties, boolean fixTies, MaskState state, FloatBuffer[] maskOut) {
        int[] m = bits[t];
        long[] kept = state.kept(t);
        long[] ever = state.everPruned(t);
        long[] old = scratchWords(kept.length);
        System.arraycopy(kept, 0, old, 0, kept.length);
        int size = sizes[t];
        int fullWords = size >>> 6;
        for (int w = 0; w < fullWords; w++) {
            int base = w << 6;
            long bits = 0;
            for (int j = 0; j < 64; j++) {
                // sign bit of (threshold - key) is set exactly when key > threshold
                bits |= (long) ((threshold - key(m[base + j])) >>> 31) << j;
            }
            kept[w] = bits;
        }
        if (fullWords < kept.length) {
            long bits = 0;
            for (int i = fullWords << 6; i < size; i++) {
                bits |= (long) ((threshold - key(m[i])) >>> 31) << i;
            }
            kept[fullWords] = bits;
        }
        long tiesLeft = ties;
        if (fixTies) {
            // weights at exactly the threshold were all pruned above; keep all but the first tiesLeft
            for (int i = 0; i < size; i++) {
                if (key(m[i]) == threshold) {
                    if (tiesLeft > 0) {
                        tiesLeft--;
                    } else {
                        kept[i >>> 6] |= 1L << i;
                    }
                }
            }
        }
        long[] counts = account(t, old, kept, ever, maskOut);
        counts[4] = tiesLeft;
        return counts;
    }

    private long[] writeNofM(int t, int perGroup, MaskState state, FloatBuffer[] maskOut) {
        int m = mode.m();
        int[] mags = bits[t];
        long[] kept = state.kept(t);
        long[] old = scratchWords(kept.length);
        System.arraycopy(kept, 0, old, 0, kept.length);
        Arrays.fill(kept, 0L);
        int[] order = new int[m];
        for (int g = 0; g < sizes[t]; g += m) {
            for (int j = 0; j < m; j++) {
                order[j] = j;
            }
            // insertion sort of M (small) indices by (key, index): the first perGroup are pruned
            for (int a = 1; a < m; a++) {
                int idx = order[a];
                int b = a - 1;
                while (b >= 0 && key(mags[g + order[b]]) > key(mags[g + idx])) {
                    order[b + 1] = order[b];
                    b--;
                }
                order[b + 1] = idx;
            }
            for (int j = perGroup; j < m; j++) {
                int i = g + order[j];
                kept[i >>> 6] |= 1L << i;
            }
        }
        return account(t, old, kept, state.everPruned(t), maskOut);
    }

    /** Counts what changed from {@code old} to {@code kept}, updates ever-pruned, writes changed mask words. */
    private long[] account(int t, long[] old, long[] kept, long[] ever, FloatBuffer[] maskOut) {
        int size = sizes[t];
        long churn = 0;
        long regrown = 0;
        long recovered = 0;
        long pruned = 0;
        FloatBuffer out = maskOut == null ? null : maskOut[t];
        for (int w = 0; w < kept.length; w++) {
            int base = w << 6;
            int end = Math.min(base + 64, size);
            long valid = end - base == 64 ? -1L : (1L << (end - base)) - 1;
            long now = kept[w];
            long changed = old[w] ^ now;
            churn += Long.bitCount(changed);
            regrown += Long.bitCount(now & ~old[w]);
            recovered += Long.bitCount(now & ever[w]);
            pruned += Long.bitCount(~now & valid);
            ever[w] |= ~now & valid;
            if (out != null && changed != 0) {
                for (int i = base; i < end; i++) {
                    out.put(i, (now >>> i & 1L) == 0 ? 0f : 1f);
                }
            }
        }
        return new long[] {churn, regrown, recovered, pruned, 0};
    }

    private long[] scratchWords(int length) {
        if (oldWords.length < length) {
            oldWords = new long[length];
        }
        return oldWords;
    }

    /**
     * Writes every mask of {@code state} into {@code maskOut} as 1f (kept) / 0f (pruned), e.g.
     * after restoring state, when the float masks must be brought in line with the bits.
     *
     * @param state the masks
     * @param maskOut one buffer per tensor
     */
    public static void writeMasks(MaskState state, FloatBuffer[] maskOut) {
        for (int t = 0; t < state.tensorCount(); t++) {
            long[] kept = state.kept(t);
            FloatBuffer out = maskOut[t];
            for (int i = 0, n = state.size(t); i < n; i++) {
                out.put(i, (kept[i >>> 6] >>> i & 1L) == 0 ? 0f : 1f);
            }
        }
    }
}
