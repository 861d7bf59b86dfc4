package org.cyclicalpruning.modelops.mask;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Arrays;

/**
 * The pruning masks of a model's prunable tensors, and which weights were ever pruned.
 *
 * <p>Bits are packed 64 per {@code long} (bit {@code i % 64} of word {@code i / 64}); a set bit in
 * {@link #kept(int)} means the weight is in the mask. {@code everPruned} remembers every weight
 * that some mask update has pruned, so an update can count <em>recovered</em> weights: weights in
 * the mask now that had been pruned earlier, which is how regrowth shows.
 *
 * <p>Mutable and not thread-safe: owned by one model.
 */
public final class MaskState {
    private final int[] sizes;
    private final long[][] kept;
    private final long[][] everPruned;

    private MaskState(int[] sizes, long[][] kept, long[][] everPruned) {
        this.sizes = sizes;
        this.kept = kept;
        this.everPruned = everPruned;
    }

    /**
     * Returns dense masks (every weight kept, none ever pruned) for tensors of the given sizes.
     *
     * @param sizes element count of each prunable tensor
     * @return the masks
     */
    public static MaskState dense(int... sizes) {
        long[][] kept = new long[sizes.length][];
        long[][] ever = new long[sizes.length][];
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(sizes[t] > 0, "tensor %s has size %s; sizes must be positive", t, sizes[t]);
            kept[t] = new long[words(sizes[t])];
            Arrays.fill(kept[t], -1L);
            clearTail(kept[t], sizes[t]);
            ever[t] = new long[words(sizes[t])];
        }
        return new MaskState(sizes.clone(), kept, ever);
    }

    /**
     * Rebuilds masks from their packed words, e.g. when restoring state.
     *
     * @param sizes element count of each tensor
     * @param kept packed kept bits per tensor
     * @param everPruned packed ever-pruned bits per tensor
     * @return the masks (copies of the arguments)
     */
    public static MaskState of(int[] sizes, long[][] kept, long[][] everPruned) {
        checkArgument(
                kept.length == sizes.length && everPruned.length == sizes.length,
                "need one mask per tensor: %s sizes, %s masks, %s ever-pruned sets",
                sizes.length,
                kept.length,
                everPruned.length);
        long[][] k = new long[sizes.length][];
        long[][] e = new long[sizes.length][];
        for (int t = 0; t < sizes.length; t++) {
            checkArgument(
                    kept[t].length == words(sizes[t]) && everPruned[t].length == words(sizes[t]),
                    "mask %s has %s words, a tensor of %s elements needs %s",
                    t,
                    kept[t].length,
                    sizes[t],
                    words(sizes[t]));
            k[t] = kept[t].clone();
            e[t] = everPruned[t].clone();
            clearTail(k[t], sizes[t]);
            clearTail(e[t], sizes[t]);
        }
        return new MaskState(sizes.clone(), k, e);
    }

    /** Returns a deep copy. */
    public MaskState copy() {
        return of(sizes, kept, everPruned);
    }

    /** Returns the number of tensors. */
    public int tensorCount() {
        return sizes.length;
    }

    /** Returns the element count of tensor {@code t}. */
    public int size(int t) {
        return sizes[t];
    }

    /** Returns the packed kept bits of tensor {@code t} (live view: do not modify). */
    public long[] kept(int t) {
        return kept[t];
    }

    /** Returns the packed ever-pruned bits of tensor {@code t} (live view: do not modify). */
    public long[] everPruned(int t) {
        return everPruned[t];
    }

    /** Returns whether element {@code i} of tensor {@code t} is in the mask. */
    public boolean isKept(int t, int i) {
        return (kept[t][i >>> 6] & (1L << i)) != 0;
    }

    /** Returns the number of kept weights in tensor {@code t}. */
    public long keptCount(int t) {
        long c = 0;
        for (long w : kept[t]) {
            c += Long.bitCount(w);
        }
        return c;
    }

    /** Returns the number of prunable weights over all tensors. */
    public long totalCount() {
        long n = 0;
        for (int s : sizes) {
            n += s;
        }
        return n;
    }

    /** Returns the number of pruned weights over all tensors. */
    public long prunedCount() {
        long pruned = 0;
        for (int t = 0; t < sizes.length; t++) {
            pruned += sizes[t] - keptCount(t);
        }
        return pruned;
    }

    /** Returns the fraction of prunable weights that are pruned. */
    public double sparsity() {
        return (double) prunedCount() / totalCount();
    }

    /** Returns the number of weights that have been pruned at some mask update. */
    public long everPrunedCount() {
        long c = 0;
        for (long[] bits : everPruned) {
            for (long w : bits) {
                c += Long.bitCount(w);
            }
        }
        return c;
    }

    /** Returns the number of weights in the mask now that had been pruned at an earlier update. */
    public long recoveredCount() {
        long c = 0;
        for (int t = 0; t < sizes.length; t++) {
            for (int w = 0; w < kept[t].length; w++) {
                c += Long.bitCount(kept[t][w] & everPruned[t][w]);
            }
        }
        return c;
    }

    static int words(int size) {
        return (size + 63) >>> 6;
    }

    private static void clearTail(long[] bits, int size) {
        int tail = size & 63;
        if (tail != 0) {
            bits[bits.length - 1] &= (1L << tail) - 1;
        }
    }
}
