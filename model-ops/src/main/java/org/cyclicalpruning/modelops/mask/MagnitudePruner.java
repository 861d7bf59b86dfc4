package org.cyclicalpruning.modelops.mask;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;
import static org.cyclicalpruning.modelops.util.Checks.checkState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.mask.BracketSelector.Threshold;

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
    /** Raw IEEE bits of the weights, for the Java path; allocated on first use. */
    private final int[][] bits;
    // in-place path: one bracket search per selection group (global: one; per layer: one per tensor)
    private final BracketSelector[] selectors;
    private final long[] fallbacks = new long[2]; // in-place selections from a sampled bracket, and exact ones
    private long[][] previousKept = new long[0][];
    // radix histograms (384 KB): allocated on first use, as most pruners never need them and a
    // TaskManager may hold thousands of small models
    private int[] highHistogram;
    private int[] lowHistogram;
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
        }
        int groups = mode.kind() == PruningMode.Kind.PER_LAYER ? sizes.length : 1;
        this.selectors = new BracketSelector[groups];
        for (int g = 0; g < groups; g++) {
            selectors[g] = new BracketSelector(
                    groups == 1 ? Arrays.stream(sizes).asLongStream().sum() : sizes[g]);
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
        checkArgument(
                weights.length == sizes.length, "expected %s weight tensors, got %s", sizes.length, weights.length);
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(
                    weights[t].limit() >= 4L * sizes[t],
                    "tensor %s has %s bytes, expected %s",
                    t,
                    weights[t].limit(),
                    4L * sizes[t]);
        }
        load(weights);
        return updateLoaded(sparsity, state, maskOut);
    }

    /** Convenience overload for heap arrays, e.g. in tests and for state restored from checkpoints. */
    public MaskUpdate update(float[][] weights, double sparsity, MaskState state) {
        checkArgument(
                weights.length == sizes.length, "expected %s weight tensors, got %s", sizes.length, weights.length);
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(
                    weights[t].length >= sizes[t],
                    "tensor %s has %s values, expected %s",
                    t,
                    weights[t].length,
                    sizes[t]);
            int[] b = bits(t);
            for (int i = 0; i < sizes[t]; i++) {
                b[i] = Float.floatToRawIntBits(weights[t][i]);
            }
        }
        return updateLoaded(sparsity, state, null);
    }

    /**
     * Returns whether {@link #updateInPlace} is available here: the native kernels loaded and the
     * mode is magnitude pruning (global or per layer; N:M runs in Java).
     */
    public boolean updatesInPlace() {
        return NativeMaskKernels.available() && mode.kind() != PruningMode.Kind.N_OF_M;
    }

    /**
     * Recomputes the masks of {@code state} at {@code sparsity} and applies them, all in place in
     * native memory: pruned weights and their optimizer state become zero ({@code w <- w * mask}
     * and the state reset of regrowth in one pass). The masks are the same as {@link #update}'s;
     * float copies of them, where needed, come from {@link #writeMasks(MaskState, ByteBuffer[])}.
     *
     * <p>The threshold is searched first in a bracket predicted from the previous update (see
     * {@link BracketSelector}), so one counting pass and a selection among a few hundred weights
     * usually suffice; then come a bracket from a sample, and an exact radix select.
     *
     * @param weights per tensor, a direct buffer over the float32 weights (native byte order)
     * @param optimizerState per tensor, direct buffers over optimizer state tensors of the same
     *     shape (none, one or two), zeroed where a weight is pruned
     * @param sparsity the target fraction of pruned weights, in [0, 1)
     * @param state the masks to update in place
     * @return counts of what changed
     * @throws IllegalStateException if {@link #updatesInPlace()} is false
     */
    public MaskUpdate updateInPlace(
            ByteBuffer[] weights, ByteBuffer[][] optimizerState, double sparsity, MaskState state) {
        checkState(
                updatesInPlace(),
                "in-place mask updates need the native kernels and magnitude pruning (mode %s, kernels %s)",
                mode,
                NativeMaskKernels.available() ? "loaded" : "not loaded");
        checkSparsity("sparsity", sparsity);
        checkArgument(
                weights.length == sizes.length && optimizerState.length == sizes.length,
                "expected %s weight and optimizer-state tensors, got %s and %s",
                sizes.length,
                weights.length,
                optimizerState.length);
        checkArgument(
                state.tensorCount() == sizes.length,
                "mask state has %s tensors, expected %s",
                state.tensorCount(),
                sizes.length);
        ByteBuffer[] w = new ByteBuffer[sizes.length];
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(weights[t].isDirect(), "tensor %s: in-place updates need direct buffers", t);
            checkArgument(
                    weights[t].capacity() >= 4L * sizes[t],
                    "tensor %s has %s bytes, expected %s",
                    t,
                    weights[t].capacity(),
                    4L * sizes[t]);
            checkArgument(
                    optimizerState[t].length <= 2,
                    "tensor %s: at most two optimizer state tensors, got %s",
                    t,
                    optimizerState[t].length);
            for (ByteBuffer s : optimizerState[t]) {
                checkArgument(
                        s.isDirect() && s.capacity() >= 4L * sizes[t],
                        "tensor %s: optimizer state must be direct buffers of %s bytes",
                        t,
                        4L * sizes[t]);
            }
            w[t] = weights[t].duplicate().order(ByteOrder.nativeOrder());
        }
        if (previousKept.length != sizes.length) {
            previousKept = new long[sizes.length][];
            for (int t = 0; t < sizes.length; t++) {
                previousKept[t] = new long[MaskState.words(sizes[t])];
            }
        }
        for (int t = 0; t < sizes.length; t++) {
            System.arraycopy(state.kept(t), 0, previousKept[t], 0, previousKept[t].length);
        }
        if (mode.kind() == PruningMode.Kind.GLOBAL) {
            selectAndProject(0, 0, sizes.length, Math.round(sparsity * state.totalCount()), w, optimizerState, state);
        } else {
            for (int t = 0; t < sizes.length; t++) {
                selectAndProject(t, t, t + 1, Math.round(sparsity * sizes[t]), w, optimizerState, state);
            }
        }
        long[] counts = new long[4];
        long total = 0;
        for (int t = 0; t < sizes.length; t++) {
            check(NativeMaskKernels.account(
                    state.kept(t), previousKept[t], state.everPruned(t), sizes[t], null, counts));
            total += sizes[t];
        }
        return new MaskUpdate(counts[3], total, counts[0], counts[1], counts[2]);
    }

    /**
     * Returns how many in-place selections so far were found by the predicted bracket, by a
     * moved bracket after a miss, in a sampled bracket, and by the exact fallback, in that order.
     */
    public long[] selectionPaths() {
        long[] out = new long[4];
        for (BracketSelector selector : selectors) {
            long[] p = selector.paths();
            out[0] += p[0];
            out[1] += p[1];
        }
        out[2] = fallbacks[0];
        out[3] = fallbacks[1];
        return out;
    }

    private MaskUpdate updateLoaded(double sparsity, MaskState state, FloatBuffer[] maskOut) {
        checkSparsity("sparsity", sparsity);
        checkArgument(
                state.tensorCount() == sizes.length,
                "mask state has %s tensors, expected %s",
                state.tensorCount(),
                sizes.length);
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
                long tiesLeft = th.ties();
                for (int t = 0; t < sizes.length; t++) {
                    long[] c = writeByThreshold(t, th.key(), tiesLeft, th.equal() > th.ties(), state, maskOut);
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
                    long[] c = writeByThreshold(t, th.key(), th.ties(), th.equal() > th.ties(), state, maskOut);
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
        int[] sample = sampleKeys(from, to, n, (t, i) -> key(bits[t][i]));
        int[] bracket = bracketOf(sample, k, n);
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

    private interface KeyReader {
        int key(int tensor, int index);
    }

    /** Returns the sorted keys at this range's fixed pseudo-random sample positions. */
    private int[] sampleKeys(int from, int to, long n, KeyReader keys) {
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
            sample[i] = keys.key(t, (int) (positions[i] - offset));
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
        return BracketSelector.quickselect(a, 0, n, r);
    }

    /**
     * Writes the mask of tensor t: kept when key > threshold; of the weights whose key equals the
     * threshold the first {@code ties} (by index) are pruned and the rest kept, which needs a
     * second scan only when some of them must be kept ({@code fixTies}). Returns {churn,
     * regrown, recovered, pruned, ties still to prune in later tensors}.
     */
    private long[] writeByThreshold(
            int t, int threshold, long ties, boolean fixTies, MaskState state, FloatBuffer[] maskOut) {
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

    private int[] bits(int t) {
        if (bits[t] == null) {
            bits[t] = new int[sizes[t]];
        }
        return bits[t];
    }

    private void load(ByteBuffer[] weights) {
        for (int t = 0; t < sizes.length; t++) {
            // the raw IEEE bits, copied in bulk (a memcpy): |w| orders like (bits & 0x7fffffff)
            weights[t].duplicate().order(ByteOrder.nativeOrder()).asIntBuffer().get(0, bits(t), 0, sizes[t]);
        }
    }

    /**
     * Prunes the k smallest weights of tensors [from, to) in place (selection group g): finds
     * the threshold key and how many weights at exactly that key are pruned, then projects every
     * tensor at it; the native pass breaks those ties by index.
     */
    private void selectAndProject(
            int g, int from, int to, long k, ByteBuffer[] w, ByteBuffer[][] optimizerState, MaskState state) {
        long n = 0;
        for (int t = from; t < to; t++) {
            n += sizes[t];
        }
        BracketSelector selector = selectors[g];
        Threshold found =
                k <= 0 ? new Threshold(-1, 0, 0) : selector.select(w, sizes, from, to, k); // k <= 0: nothing pruned
        if (found == null) {
            found = zeroTies(from, to, k, w);
        }
        int[] bracket = null;
        if (found == null) {
            bracket = bracketOf(sampleKeys(from, to, n, (t, i) -> key(w[t].getInt(4 * i))), k, n);
            found = selector.selectIn(w, sizes, from, to, k, bracket[0], bracket[1]);
            fallbacks[0] += found == null ? 0 : 1;
        }
        if (found == null) {
            fallbacks[1]++;
            load(w);
            found = radixSelect(from, to, k);
            selector.remember(found.key(), k, bracket[0], bracket[1]);
        }
        long ties = found.ties();
        for (int t = from; t < to; t++) {
            ByteBuffer[] s = optimizerState[t];
            ties = NativeMaskKernels.project(
                    w[t],
                    s.length > 0 ? s[0] : null,
                    s.length > 1 ? s[1] : null,
                    sizes[t],
                    found.key(),
                    ties,
                    state.kept(t));
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

    /** Returns the [lo, hi] key bracket that holds the k-th of n keys with high probability, from a sorted sample. */
    private static int[] bracketOf(int[] sample, long k, long n) {
        double q = (double) k / n;
        double slack = 4 * Math.sqrt(q * (1 - q) / sample.length) + 2.0 / sample.length;
        int loIdx = (int) Math.floor((q - slack) * sample.length);
        int hiIdx = (int) Math.ceil((q + slack) * sample.length);
        int lo = loIdx <= 0 ? 0 : sample[Math.min(loIdx, sample.length - 1)];
        int hi = hiIdx >= sample.length ? Integer.MAX_VALUE : sample[hiIdx];
        return new int[] {lo, hi};
    }

    private static void check(long nativeResult) {
        checkState(nativeResult >= 0, "a native mask kernel refused its buffers (not direct?)");
    }

    /**
     * Writes every mask of {@code state} into {@code maskOut} as float32 1 (kept) / 0 (pruned),
     * vectorised in native code when the kernels are loaded.
     *
     * @param state the masks
     * @param maskOut one buffer per tensor, in native byte order
     */
    public static void writeMasks(MaskState state, ByteBuffer[] maskOut) {
        checkArgument(
                maskOut.length == state.tensorCount(),
                "expected %s mask buffers, got %s",
                state.tensorCount(),
                maskOut.length);
        for (int t = 0; t < state.tensorCount(); t++) {
            checkArgument(
                    maskOut[t].capacity() >= 4L * state.size(t),
                    "mask %s has %s bytes, expected %s",
                    t,
                    maskOut[t].capacity(),
                    4L * state.size(t));
        }
        if (NativeMaskKernels.available() && Arrays.stream(maskOut).allMatch(ByteBuffer::isDirect)) {
            for (int t = 0; t < state.tensorCount(); t++) {
                check(NativeMaskKernels.writeMask(state.kept(t), state.size(t), maskOut[t]));
            }
            return;
        }
        FloatBuffer[] floats = new FloatBuffer[maskOut.length];
        for (int t = 0; t < floats.length; t++) {
            floats[t] = maskOut[t].duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        writeMasks(state, floats);
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
