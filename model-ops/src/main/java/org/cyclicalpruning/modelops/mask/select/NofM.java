package org.cyclicalpruning.modelops.mask.select;

import java.util.Arrays;

/**
 * N:M semi-structured selection: in every group of M consecutive weights along a row, the
 * smallest by magnitude are pruned (ties to the lower index) and at least N are kept, the pattern
 * sparse tensor cores accelerate (2:4).
 */
public final class NofM {
    private NofM() {}

    /**
     * Writes the kept bits of one tensor.
     *
     * @param bits the weights' raw IEEE bits
     * @param size the tensor's element count, a multiple of {@code m}
     * @param m the group size
     * @param perGroup weights pruned per group
     * @param kept receives the mask words, one bit per weight
     */
    public static void select(int[] bits, int size, int m, int perGroup, long[] kept) {
        Arrays.fill(kept, 0L);
        int[] order = new int[m];
        for (int g = 0; g < size; g += m) {
            for (int j = 0; j < m; j++) {
                order[j] = j;
            }
            // insertion sort of M (small) indices by (key, index): the first perGroup are pruned
            for (int a = 1; a < m; a++) {
                int idx = order[a];
                int b = a - 1;
                while (b >= 0 && Threshold.key(bits[g + order[b]]) > Threshold.key(bits[g + idx])) {
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
    }
}
