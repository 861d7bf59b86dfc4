package org.cyclicalpruning.modelops.mask.select;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;

/**
 * Finds the magnitude threshold of an in-place mask update from one counting pass over the
 * weights in native memory, most of the time.
 *
 * <p>Between two updates the weights move a little and k moves by the schedule's step, so the
 * new threshold lies close to where the last one would be if k moved as it just did. A bracket of
 * keys around that prediction is scanned natively (keys below it counted, keys inside it
 * gathered); if the k-th key is inside, a quickselect among the few gathered keys finishes. The
 * bracket's half-width, in ranks, follows the prediction's recent error. A miss says on which side
 * the threshold lies, so the next try moves there with a doubled width; after a few misses, or when
 * a bracket holds too many keys to gather, the caller's exact selection takes over. Every path
 * gives the same threshold: the bracket only decides how fast it is found.
 *
 * <p>One instance per selection group (all tensors for global pruning, one tensor per layer).
 * Not thread-safe.
 */
public final class BracketSelector {
    private static final long MIN_SLACK = 256;
    private static final int RETRIES = 3;
    private static final int SAMPLE = 64;

    private final long n;
    private int lo;
    private int hi;
    private int lastThreshold = -1;
    private long lastK;
    private long lastDelta;
    private long slack = MIN_SLACK;
    // how far, in keys, thresholds have recently fallen and risen: where pruned and kept weights
    // leave a gap between them, ranks say little about distances and these margins do
    private long fallMargin;
    private long riseMargin;
    private int[] window = new int[0];
    private final int[] sample = new int[SAMPLE];
    private final long[] paths = new long[2]; // found on the first try, found on a retry

    public BracketSelector(long n) {
        this.n = n;
    }

    /**
     * Returns the threshold of the k-th smallest key over {@code weights[from, to)}, or empty if
     * the brackets missed (then the caller selects exactly and calls {@link #remember}).
     */
    public Optional<Threshold> select(ByteBuffer[] weights, int[] sizes, int from, int to, long k) {
        if (lastThreshold < 0) {
            return Optional.empty();
        }
        int tryLo = lo;
        int tryHi = hi;
        for (int attempt = 0; attempt <= RETRIES; attempt++) {
            Scan scan = scan(weights, sizes, from, to, tryLo, tryHi);
            boolean inside = k > scan.below && k <= scan.below + scan.gathered;
            if (inside && scan.gathered > window.length) {
                // the threshold is inside, among more keys than fit: the ones that did fit are a
                // sample of them, and its quantiles give a narrower bracket to scan again
                int[] sub = subBracket(k - scan.below, scan.gathered);
                tryLo = Math.max(tryLo, sub[0]);
                tryHi = Math.min(tryHi, sub[1]);
                continue;
            }
            if (scan.gathered > window.length) {
                break; // outside and too wide to learn from: leave it to the exact path
            }
            if (inside) {
                paths[attempt == 0 ? 0 : 1]++;
                return Optional.of(finish(k, scan, tryLo, tryHi, attempt == 0));
            }
            slack = Math.min(Math.max(MIN_SLACK, n / 8), 2 * slack);
            // the miss says how many ranks the threshold lies beyond the bracket, and the keys
            // gathered next to the bracket's edge how densely keys lie there (distributions of
            // pruned and kept weights differ: the density in the middle would mislead)
            long width = (long) tryHi - tryLo + 1;
            boolean below = k <= scan.below;
            double perKey = edgeDensity((int) scan.gathered, below, tryLo, tryHi);
            long beyond = below ? scan.below - k + 1 + slack : k - scan.below - scan.gathered + slack;
            long step = perKey > 0 ? (long) Math.ceil(beyond / perKey) : 2 * width;
            if (below) {
                tryHi = tryLo - 1;
                tryLo = clampKey(tryLo - step);
            } else {
                tryLo = tryHi + 1;
                tryHi = clampKey(tryHi + step);
            }
            if (tryLo > tryHi) {
                break;
            }
        }
        return Optional.empty();
    }

    /**
     * Selects within a bracket found elsewhere (e.g. from a sample), learning the next bracket
     * from it; empty if the k-th key is not inside or the bracket holds too many keys.
     */
    public Optional<Threshold> selectIn(
            ByteBuffer[] weights, int[] sizes, int from, int to, long k, int bracketLo, int bracketHi) {
        Scan scan = scan(weights, sizes, from, to, bracketLo, bracketHi);
        if (scan.gathered > window.length || k <= scan.below || k > scan.below + scan.gathered) {
            return Optional.empty();
        }
        return Optional.of(finish(k, scan, bracketLo, bracketHi, false));
    }

    /** Starts the next update from a threshold found elsewhere, inside a bracket of likely keys. */
    public void remember(int threshold, long k, int bracketLo, int bracketHi) {
        lo = Math.min(bracketLo, threshold);
        hi = Math.max(bracketHi, threshold);
        lastThreshold = threshold;
        lastK = k;
        lastDelta = 0;
    }

    /** Returns how many selections the first bracket found, and how many a retry found. */
    public long[] paths() {
        return paths.clone();
    }

    // ------------- private helpers --------------

    private record Scan(long below, long gathered) {}

    private Scan scan(ByteBuffer[] weights, int[] sizes, int from, int to, int scanLo, int scanHi) {
        if (window.length == 0) {
            // a bracket holds a few percent of the weights; more means the bracket is off
            window = new int[(int) Math.min(n, Math.max(4096, n / 4))];
        }
        long below = 0;
        long gathered = 0;
        for (int t = from; t < to; t++) {
            long r = NativeMaskKernels.scan(
                    weights[t], sizes[t], scanLo, scanHi, window, (int) Math.min(gathered, window.length));
            if (r < 0) {
                throw new IllegalStateException("a native mask kernel refused its buffers (not direct?)");
            }
            below += r >>> 32;
            gathered += r & 0xffffffffL;
        }
        return new Scan(below, gathered);
    }

    /**
     * Selects the threshold among the gathered keys and sets the next bracket: {@code slack}
     * ranks beyond both this threshold and the one predicted if k moves as it just did. Its keys
     * come off the window (partitioned around the threshold, sampled), or are extrapolated past
     * its end in the direction k moves.
     */
    private Threshold finish(long k, Scan scan, int scanLo, int scanHi, boolean predicted) {
        int count = (int) scan.gathered;
        int[] keys = window;
        int rank = (int) (k - scan.below) - 1; // of the threshold, 0-based, among the gathered keys
        int threshold = quickselect(keys, 0, count, rank);
        long less = scan.below;
        long equal = 0;
        long between = 0; // keys strictly between the last threshold and this one
        int low = lastThreshold < 0 ? threshold : Math.min(lastThreshold, threshold);
        int high = Math.max(lastThreshold, threshold);
        for (int j = 0; j < count; j++) {
            int key = keys[j];
            less += (key - threshold) >>> 31;
            equal += key == threshold ? 1 : 0;
            between += key > low && key < high ? 1 : 0;
        }
        long delta = lastThreshold < 0 ? 0 : k - lastK;
        if (predicted) {
            // Were the weights still, the threshold would have moved by delta ranks; the rest is
            // the weights' own movement, plus the change of k's step that the prediction assumed
            long error =
                    Math.abs((threshold >= lastThreshold ? between : -between) - delta) + Math.abs(delta - lastDelta);
            slack = Math.max(MIN_SLACK, Math.max(2 * error, slack - slack / 4));
        }
        if (lastThreshold >= 0) {
            long moved = (long) threshold - lastThreshold;
            fallMargin = Math.max(fallMargin - fallMargin / 8, moved < 0 ? -2 * moved : 0);
            riseMargin = Math.max(riseMargin - riseMargin / 8, moved > 0 ? 2 * moved : 0);
        }
        long loRank = rank + Math.min(0, delta) - slack;
        long hiRank = rank + Math.max(0, delta) + slack;
        // past the window's ends, extrapolate only where k is heading; elsewhere its end will do
        lo = loRank >= 0
                ? approximateRank(keys, 0, rank, (int) loRank)
                : delta < 0
                        ? clampKey(scanLo
                                - (long) Math.ceil(
                                        (threshold - (double) scanLo) * Math.min(1.0, -loRank / Math.max(1.0, rank))))
                        : scanLo;
        hi = hiRank < count
                ? approximateRank(keys, rank + 1, count, (int) hiRank)
                : delta > 0
                        ? clampKey(scanHi
                                + (long) Math.ceil((scanHi - (double) threshold)
                                        * Math.min(1.0, (hiRank - count + 1) / Math.max(1.0, count - rank - 1))))
                        : scanHi;
        lo = Math.min(lo, clampKey(threshold - fallMargin));
        hi = Math.max(hi, clampKey(threshold + riseMargin));
        lastThreshold = threshold;
        lastK = k;
        lastDelta = delta;
        return new Threshold(threshold, k - less, equal);
    }

    /**
     * Returns a bracket likely to hold the key of rank r (1-based) among `gathered` keys, of which
     * the window holds the first it could.
     */
    private int[] subBracket(long r, long gathered) {
        int size = window.length;
        double q = (double) r / gathered;
        double spread = 4 * Math.sqrt(q * (1 - q) * size) + 2 + (double) slack * size / gathered;
        int loAt = (int) Math.max(0, Math.floor(q * size - spread));
        int hiAt = (int) Math.min(size - 1, Math.ceil(q * size + spread));
        int subLo = loAt == 0 ? 0 : quickselect(window, 0, size, loAt);
        int subHi = hiAt == size - 1 ? Integer.MAX_VALUE : quickselect(window, loAt, size, hiAt);
        return new int[] {subLo, subHi};
    }

    /** Keys per key unit next to the lower (or upper) edge of the bracket, from the gathered keys. */
    private double edgeDensity(int gathered, boolean lowerEdge, int edgeLo, int edgeHi) {
        int m = Math.min(gathered, 16);
        if (m == 0) {
            return 0;
        }
        if (lowerEdge) {
            int mth = quickselect(window, 0, gathered, m - 1);
            return m / ((double) mth - edgeLo + 1);
        }
        int mth = quickselect(window, 0, gathered, gathered - m);
        return m / ((double) edgeHi - mth + 1);
    }

    /**
     * Returns about the value of rank {@code r} among a[from, to), from an evenly spaced sample of
     * at most 64 of them: a bracket's edge needs no exact rank, and a second and third quickselect
     * over the window would cost as much as the first.
     */
    private int approximateRank(int[] a, int from, int to, int r) {
        int n = to - from;
        if (n <= SAMPLE) {
            return quickselect(a, from, to, r);
        }
        for (int j = 0; j < SAMPLE; j++) {
            sample[j] = a[from + (int) ((long) j * n / SAMPLE)];
        }
        Arrays.sort(sample);
        return sample[(int) Math.min(SAMPLE - 1, (long) (r - from) * SAMPLE / n)];
    }

    private static int clampKey(long key) {
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, key));
    }

    /**
     * Returns the value of rank {@code r} among a[from, to) and leaves that range partitioned
     * around it: smaller ranks before r, larger after.
     */
    public static int quickselect(int[] a, int from, int to, int r) {
        int lo = from;
        int hi = to - 1;
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

    @Override
    public String toString() {
        return "BracketSelector[" + lo + ", " + hi + "], slack " + slack + ", paths " + Arrays.toString(paths);
    }
}
