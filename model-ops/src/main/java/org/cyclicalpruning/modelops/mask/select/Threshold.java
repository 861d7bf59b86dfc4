package org.cyclicalpruning.modelops.mask.select;

/**
 * The outcome of one selection of the k smallest magnitudes.
 *
 * @param key the magnitude key of the k-th smallest weight ({@code |w|}'s IEEE bits), -1 when
 *     nothing is pruned
 * @param ties how many weights whose key equals {@code key} are pruned: the first ones by index
 * @param equal how many weights have exactly that key
 */
public record Threshold(int key, long ties, long equal) {
    /** The threshold below every key: nothing is pruned. */
    public static final Threshold NONE = new Threshold(-1, 0, 0);

    /** Returns the magnitude key of a weight's raw IEEE bits; for non-negative floats the bits order like the value. */
    public static int key(int rawBits) {
        return rawBits & 0x7fffffff;
    }
}
