package org.cyclicalpruning.modelops.mask.select;

import java.util.Arrays;

/**
 * N:M semi-structured selection: in every group of M weights along a row (a fully connected
 * layer's inputs, a convolution's input channels), the smallest by magnitude are pruned (ties to
 * the lower index) and at least N are kept, the pattern sparse tensor cores accelerate (2:4).
 */
public final class NofM {
    private NofM() {}

    /**
     * Writes the kept bits of one tensor whose groups are M consecutive weights.
     *
     * @param bits the weights' raw IEEE bits
     * @param size the tensor's element count, a multiple of {@code m}
     * @param m the group size
     * @param perGroup weights pruned per group
     * @param kept receives the mask words, one bit per weight
     */
    public static void select(int[] bits, int size, int m, int perGroup, long[] kept) {
        select(bits, size, m, 1, perGroup, kept);
    }

    /**
     * Writes the kept bits of one tensor whose groups are M weights {@code stride} apart: for a
     * convolution's (filters, channels, kh, kw) weights with stride kh × kw, M consecutive input
     * channels at one kernel position, the grouping sparse tensor cores use for convolutions.
     *
     * @param bits the weights' raw IEEE bits
     * @param size the tensor's element count, a multiple of {@code m * stride}
     * @param m the group size
     * @param stride distance between a group's weights
     * @param perGroup weights pruned per group
     * @param kept receives the mask words, one bit per weight
     */
    public static void select(int[] bits, int size, int m, int stride, int perGroup, long[] kept) {
        Arrays.fill(kept, 0L);
        int[] order = new int[m];
        for (int block = 0; block < size; block += m * stride) {
            for (int g = block; g < block + stride; g++) {
                for (int j = 0; j < m; j++) {
                    order[j] = j;
                }
                // insertion sort of M (small) offsets by (key, index): the first perGroup are pruned
                for (int a = 1; a < m; a++) {
                    int idx = order[a];
                    int b = a - 1;
                    while (b >= 0
                            && Threshold.key(bits[g + order[b] * stride]) > Threshold.key(bits[g + idx * stride])) {
                        order[b + 1] = order[b];
                        b--;
                    }
                    order[b + 1] = idx;
                }
                for (int j = perGroup; j < m; j++) {
                    int i = g + order[j] * stride;
                    kept[i >>> 6] |= 1L << i;
                }
            }
        }
    }

    /** Marks every one of {@code size} weights kept: a tensor N:M leaves dense. */
    public static void keepAll(int size, long[] kept) {
        Arrays.fill(kept, 0L);
        for (int i = 0; i < size; i++) {
            kept[i >>> 6] |= 1L << i;
        }
    }
}
