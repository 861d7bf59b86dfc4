package org.cyclicalpruning.modelops.mask;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;
import static org.cyclicalpruning.modelops.util.Checks.checkState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.cyclicalpruning.modelops.mask.select.JavaSelector;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.mask.select.NativeSelector;
import org.cyclicalpruning.modelops.mask.select.NofM;
import org.cyclicalpruning.modelops.mask.select.Threshold;

/**
 * Recomputes pruning masks by weight magnitude: exactly {@code round(s * n)} weights are pruned
 * (per tensor for {@link PruningMode.Kind#PER_LAYER}, over all tensors for {@link
 * PruningMode.Kind#GLOBAL}), the smallest by {@code |w|}; among equal magnitudes the lower index
 * (tensor order, then element order) is pruned first, so the result is deterministic. N:M groups
 * ({@link PruningMode.Kind#N_OF_M}) prune the smallest of every M consecutive weights along rows.
 *
 * <p>Two paths give the same masks: {@link #update} selects in Java over a heap copy of the
 * weights ({@link JavaSelector}), and {@link #updateInPlace} selects and projects in the tensors'
 * native memory ({@link NativeSelector}). The float mask output of {@link #update} is only written
 * where the mask changed, which in steady state is a small fraction of it.
 *
 * <p>Magnitude pruning after Zhu and Gupta, "To prune, or not to prune" (2017),
 * https://arxiv.org/abs/1710.01878. Not thread-safe: it owns scratch buffers reused across calls.
 */
public final class MagnitudePruner {
    private final PruningMode mode;
    private final int[] sizes;
    private final int[] fanIns;
    private final int[] groupStrides;
    private final boolean[] groupable;
    private final JavaSelector java;
    private final NativeSelector inPlace;
    private final MaskWriter writer = new MaskWriter();
    private long[][] previousKept = new long[0][];
    private double allocatedFor = Double.NaN;
    private double[] allocated;

    /**
     * Creates a pruner for tensors of the given sizes.
     *
     * @param mode the granularity
     * @param sizes element count of each prunable tensor
     * @param rowLengths length of each tensor's rows (the last dimension); N:M groups run along rows
     */
    public MagnitudePruner(PruningMode mode, int[] sizes, int[] rowLengths) {
        this(mode, sizes, rowLengths, ones(sizes.length));
    }

    /**
     * Creates a pruner for tensors that may be convolutions.
     *
     * @param mode the granularity
     * @param sizes element count of each prunable tensor
     * @param fanIns inputs each of its weights sums over: a fully connected layer's inputs, a
     *     convolution's channels × kernel height × width
     * @param groupStrides distance between the weights of one N:M group: 1 for fully connected
     *     layers (M consecutive inputs), kernel height × width for convolutions (M consecutive input
     *     channels at one kernel position). Under N:M a convolution whose channels are not a
     *     multiple of M (an image's 1 or 3) stays dense: it has no groups of M channels.
     */
    public MagnitudePruner(PruningMode mode, int[] sizes, int[] fanIns, int[] groupStrides) {
        checkArgument(
                sizes.length == fanIns.length && sizes.length == groupStrides.length,
                "need a fan-in and a group stride per tensor");
        checkArgument(sizes.length > 0, "nothing to prune: no prunable tensors");
        this.mode = mode;
        this.sizes = sizes.clone();
        this.fanIns = fanIns.clone();
        this.groupStrides = groupStrides.clone();
        this.groupable = new boolean[sizes.length];
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(
                    fanIns[t] > 0 && sizes[t] % fanIns[t] == 0,
                    "tensor %s: row length %s does not divide its size %s",
                    t,
                    fanIns[t],
                    sizes[t]);
            checkArgument(
                    groupStrides[t] > 0 && fanIns[t] % groupStrides[t] == 0,
                    "tensor %s: group stride %s does not divide its fan-in %s",
                    t,
                    groupStrides[t],
                    fanIns[t]);
            groupable[t] = mode.kind() == PruningMode.Kind.N_OF_M && (fanIns[t] / groupStrides[t]) % mode.m() == 0;
            // a fully connected layer's inputs are the model's widths, which the config checks; a
            // convolution's channels may be an image's 1 or 3, which N:M leaves dense
            if (mode.kind() == PruningMode.Kind.N_OF_M && groupStrides[t] == 1) {
                checkArgument(
                        groupable[t],
                        "N:M pruning with M=%s needs rows whose length is a multiple of M; tensor %s has rows of %s",
                        mode.m(),
                        t,
                        fanIns[t]);
            }
        }
        this.java = new JavaSelector(sizes);
        this.inPlace = new NativeSelector(sizes, mode.kind() == PruningMode.Kind.PER_LAYER ? sizes.length : 1);
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
        java.load(weights);
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
        }
        java.load(weights);
        return updateLoaded(sparsity, state, null);
    }

    /**
     * Returns whether {@link #updateInPlace} is available here: the native kernels loaded and the
     * mode is magnitude pruning (global or per layer; N:M runs in Java).
     */
    public boolean updatesInPlace() {
        return NativeSelector.available() && mode.kind() != PruningMode.Kind.N_OF_M;
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
            inPlace.selectAndProject(
                    0, 0, sizes.length, Math.round(sparsity * state.totalCount()), w, optimizerState, kept(state));
        } else {
            for (int t = 0; t < sizes.length; t++) {
                inPlace.selectAndProject(
                        t, t, t + 1, Math.round(layerSparsity(sparsity, t) * sizes[t]), w, optimizerState, kept(state));
            }
        }
        long[] counts = new long[4];
        long total = 0;
        for (int t = 0; t < sizes.length; t++) {
            NativeSelector.check(NativeMaskKernels.account(
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
        long[] bracket = inPlace.bracketPaths();
        long[] fallbacks = inPlace.fallbacks();
        return new long[] {bracket[0], bracket[1], fallbacks[0], fallbacks[1]};
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
                Threshold th = java.select(0, sizes.length, k);
                long tiesLeft = th.ties();
                for (int t = 0; t < sizes.length; t++) {
                    MaskWriter.Counts c = writer.writeByThreshold(
                            java.bits(t),
                            sizes[t],
                            th.key(),
                            tiesLeft,
                            th.equal() > th.ties(),
                            state,
                            t,
                            out(maskOut, t));
                    tiesLeft = c.tiesLeft();
                    churn += c.churn();
                    regrown += c.regrown();
                    recovered += c.recovered();
                    pruned += c.pruned();
                }
                total = n;
                break;
            }
            case PER_LAYER:
                for (int t = 0; t < sizes.length; t++) {
                    Threshold th = java.select(t, t + 1, Math.round(layerSparsity(sparsity, t) * sizes[t]));
                    MaskWriter.Counts c = writer.writeByThreshold(
                            java.bits(t),
                            sizes[t],
                            th.key(),
                            th.ties(),
                            th.equal() > th.ties(),
                            state,
                            t,
                            out(maskOut, t));
                    churn += c.churn();
                    regrown += c.regrown();
                    recovered += c.recovered();
                    pruned += c.pruned();
                    total += sizes[t];
                }
                break;
            default: {
                int perGroup = (int) Math.min(Math.round(sparsity * mode.m()), mode.m() - mode.n());
                for (int t = 0; t < sizes.length; t++) {
                    long[] kept = state.kept(t);
                    long[] old = writer.snapshot(kept);
                    if (groupable[t]) {
                        NofM.select(java.bits(t), sizes[t], mode.m(), groupStrides[t], perGroup, kept);
                    } else {
                        NofM.keepAll(sizes[t], kept);
                    }
                    MaskWriter.Counts c = writer.account(sizes[t], old, kept, state.everPruned(t), out(maskOut, t));
                    churn += c.churn();
                    regrown += c.regrown();
                    recovered += c.recovered();
                    pruned += c.pruned();
                    total += sizes[t];
                }
            }
        }
        return new MaskUpdate(pruned, total, churn, regrown, recovered);
    }

    // ------------- private helpers --------------

    private static int[] ones(int n) {
        int[] ones = new int[n];
        Arrays.fill(ones, 1);
        return ones;
    }

    /** Returns tensor t's share of a per-layer target, computed once per target. */
    private double layerSparsity(double sparsity, int t) {
        if (sparsity != allocatedFor) {
            allocated = mode.layerSparsities(sparsity, sizes, fanIns);
            allocatedFor = sparsity;
        }
        return allocated[t];
    }

    private static FloatBuffer out(FloatBuffer[] maskOut, int t) {
        return maskOut == null ? null : maskOut[t];
    }

    private static long[][] kept(MaskState state) {
        long[][] kept = new long[state.tensorCount()][];
        for (int t = 0; t < kept.length; t++) {
            kept[t] = state.kept(t);
        }
        return kept;
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
        if (NativeSelector.available() && Arrays.stream(maskOut).allMatch(ByteBuffer::isDirect)) {
            for (int t = 0; t < state.tensorCount(); t++) {
                NativeSelector.check(NativeMaskKernels.writeMask(state.kept(t), state.size(t), maskOut[t]));
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
