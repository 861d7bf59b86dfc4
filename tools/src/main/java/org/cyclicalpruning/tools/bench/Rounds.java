package org.cyclicalpruning.tools.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The nanoseconds each contender took in each of a comparison's rounds. Figures are medians over
 * rounds, and a ratio is the median of the rounds' ratios: two contenders of one round ran
 * back to back under the same load, so their ratio carries less of the machine's noise than a
 * ratio of totals, and one round disturbed by another process moves a median little.
 */
final class Rounds {
    private final Map<String, long[]> nanos = new LinkedHashMap<>();
    private final int steps;

    /**
     * @param steps steps each contender ran per round
     */
    Rounds(int steps) {
        this.steps = steps;
    }

    void add(String contender, int round, int rounds, long elapsed) {
        nanos.computeIfAbsent(contender, c -> new long[rounds])[round] = elapsed;
    }

    Set<String> contenders() {
        return nanos.keySet();
    }

    /** Returns the median round's nanoseconds per step of {@code contender}. */
    double nanosPerStep(String contender) {
        return median(Arrays.stream(of(contender)).asDoubleStream().toArray()) / steps;
    }

    /** Returns the median over rounds of {@code contender}'s time against {@code base}'s, minus one. */
    double overhead(String contender, String base) {
        long[] c = of(contender);
        long[] b = of(base);
        double[] ratios = new double[c.length];
        for (int r = 0; r < c.length; r++) {
            ratios[r] = c[r] / (double) b[r] - 1;
        }
        return median(ratios);
    }

    private long[] of(String contender) {
        long[] rounds = nanos.get(contender);
        if (rounds == null) {
            throw new IllegalArgumentException("no contender '" + contender + "' in " + nanos.keySet());
        }
        return rounds;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
