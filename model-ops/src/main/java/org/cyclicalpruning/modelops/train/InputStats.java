package org.cyclicalpruning.modelops.train;

/**
 * A running mean and variance of feature values, combined batch by batch (Chan, Golub and LeVeque's
 * parallel form of Welford's update), in double so that millions of values lose nothing that
 * matters to a float32 model.
 *
 * @param count values seen
 * @param mean their mean
 * @param m2 their sum of squared deviations from the mean
 */
public record InputStats(long count, double mean, double m2) {
    public InputStats {
        org.cyclicalpruning.modelops.util.Checks.checkArgument(
                count >= 0 && Double.isFinite(mean) && Double.isFinite(m2) && m2 >= 0,
                "input statistics must count >= 0 values with a finite mean and m2 >= 0, got %s, %s, %s",
                count,
                mean,
                m2);
    }

    /** Nothing seen yet. */
    public static final InputStats EMPTY = new InputStats(0, 0, 0);

    /**
     * Returns these statistics with a batch's {@code n} values, of sum {@code sum} and sum of
     * squares {@code sumSquares}, added; unchanged if the batch's figures are not finite (such a
     * batch fails its step anyway, and must not spoil the estimate).
     */
    InputStats plus(long n, double sum, double sumSquares) {
        if (n == 0 || !Double.isFinite(sum) || !Double.isFinite(sumSquares)) {
            return this;
        }
        double batchMean = sum / n;
        double batchM2 = Math.max(0, sumSquares - sum * batchMean);
        long total = count + n;
        double delta = batchMean - mean;
        double newMean = mean + delta * n / total;
        double newM2 = m2 + batchM2 + delta * delta * ((double) count * n / total);
        return Double.isFinite(newMean) && Double.isFinite(newM2) ? new InputStats(total, newMean, newM2) : this;
    }

    /** Returns the standard deviation, or 1 while there is none to speak of (so scaling stays finite). */
    double std() {
        double var = count > 1 ? m2 / count : 0;
        double std = Math.sqrt(var);
        return std > 1e-12 ? std : 1;
    }
}
