package org.cyclicalpruning.modelops.snapshot.codec;

/**
 * The least number of bytes any encoding can need for a tensor: {@code 4·nnz + log2(C(n, nnz))/8},
 * the float32 values plus the cheapest description of which entries are non-zero.
 */
public final class InformationBound {
    /** Exact Stirling errors δ(x) for small x, where the asymptotic series is not yet accurate. */
    private static final double[] STIRLING_ERROR = new double[32];

    static {
        double lnFactorial = 0;
        for (int x = 1; x < STIRLING_ERROR.length; x++) {
            lnFactorial += Math.log(x);
            STIRLING_ERROR[x] = lnFactorial - stirling(x);
        }
    }

    private InformationBound() {}

    /**
     * Returns the least number of bytes any encoding can need for a tensor of n entries of which nnz
     * are non-zero float32s: {@code 4·nnz + log2(C(n, nnz)) / 8}.
     *
     * <p>log C(n, k) is computed as n·H(k/n) plus Stirling terms rather than as a difference of three
     * log-gammas: for n = 1e9 those are ~2e10 each, so subtracting them would leave only about seven
     * correct digits of a result that may be as small as log(n). This way the result is accurate to
     * well within 1e-12 relative for every n (the tests compare with exact binomials).
     *
     * @param n number of entries, at least 0
     * @param nnz number of non-zero entries, in [0, n]
     * @return the bound in bytes
     */
    public static double bytes(long n, long nnz) {
        org.cyclicalpruning.modelops.util.Checks.checkArgument(
                n >= 0 && nnz >= 0 && nnz <= n, "need 0 <= nnz <= n, got n = %s, nnz = %s", n, nnz);
        return 4.0 * nnz + lnChoose(n, nnz) / Math.log(2) / 8;
    }

    /** ln C(n, k), without cancellation (see bytes). */
    static double lnChoose(long n, long k) {
        k = Math.min(k, n - k);
        if (k == 0) {
            return 0;
        }
        double dn = n;
        double dk = k;
        double dr = n - k;
        // n ln n - k ln k - r ln r, as two positive terms.
        double entropy = dk * Math.log(dn / dk) - dr * Math.log1p(-dk / dn);
        return entropy
                + 0.5 * Math.log(dn / (2 * Math.PI * dk * dr))
                + stirlingError(n)
                - stirlingError(k)
                - stirlingError(n - k);
    }

    /** Stirling's approximation of ln x!, without the error term. */
    private static double stirling(double x) {
        return x * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI * x);
    }

    /** δ(x) = ln x! − stirling(x), for x ≥ 1. */
    private static double stirlingError(long x) {
        if (x < STIRLING_ERROR.length) {
            return STIRLING_ERROR[(int) x];
        }
        // Asymptotic series; for x >= 32 the first omitted term, 1/(1188 x^9), is below 3e-17.
        double inv = 1.0 / x;
        double inv2 = inv * inv;
        return inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)));
    }
}
