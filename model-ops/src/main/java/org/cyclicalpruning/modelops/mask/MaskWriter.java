package org.cyclicalpruning.modelops.mask;

import java.nio.FloatBuffer;
import org.cyclicalpruning.modelops.mask.select.Threshold;

/** Writes mask bits from a threshold, and counts what an update changed. */
final class MaskWriter {
    private long[] oldWords = new long[0];

    /** What one tensor's update changed. */
    record Counts(long churn, long regrown, long recovered, long pruned, long tiesLeft) {}

    /**
     * Writes the mask of tensor t: kept when key > threshold; of the weights whose key equals the
     * threshold the first {@code ties} (by index) are pruned and the rest kept, which needs a
     * second scan only when some of them must be kept ({@code fixTies}).
     */
    Counts writeByThreshold(
            int[] m, int size, int threshold, long ties, boolean fixTies, MaskState state, int t, FloatBuffer maskOut) {
        long[] kept = state.kept(t);
        long[] old = snapshot(kept);
        int fullWords = size >>> 6;
        for (int w = 0; w < fullWords; w++) {
            int base = w << 6;
            long bits = 0;
            for (int j = 0; j < 64; j++) {
                // sign bit of (threshold - key) is set exactly when key > threshold
                bits |= (long) ((threshold - Threshold.key(m[base + j])) >>> 31) << j;
            }
            kept[w] = bits;
        }
        if (fullWords < kept.length) {
            long bits = 0;
            for (int i = fullWords << 6; i < size; i++) {
                bits |= (long) ((threshold - Threshold.key(m[i])) >>> 31) << i;
            }
            kept[fullWords] = bits;
        }
        long tiesLeft = ties;
        if (fixTies) {
            // weights at exactly the threshold were all pruned above; keep all but the first tiesLeft
            for (int i = 0; i < size; i++) {
                if (Threshold.key(m[i]) == threshold) {
                    if (tiesLeft > 0) {
                        tiesLeft--;
                    } else {
                        kept[i >>> 6] |= 1L << i;
                    }
                }
            }
        }
        Counts c = account(size, old, kept, state.everPruned(t), maskOut);
        return new Counts(c.churn, c.regrown, c.recovered, c.pruned, tiesLeft);
    }

    /** Returns a scratch copy of {@code kept}, the mask before an update writes it. */
    long[] snapshot(long[] kept) {
        if (oldWords.length < kept.length) {
            oldWords = new long[kept.length];
        }
        System.arraycopy(kept, 0, oldWords, 0, kept.length);
        return oldWords;
    }

    /** Counts what changed from {@code old} to {@code kept}, updates ever-pruned, writes changed mask words. */
    Counts account(int size, long[] old, long[] kept, long[] ever, FloatBuffer out) {
        long churn = 0;
        long regrown = 0;
        long recovered = 0;
        long pruned = 0;
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
        return new Counts(churn, regrown, recovered, pruned, 0);
    }
}
