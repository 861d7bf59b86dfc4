package org.cyclicalpruning.modelops.snapshot.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import org.cyclicalpruning.schemas.SparseTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SparseTensorCodecBoundTest {

    @ParameterizedTest(name = "n={0}, sparsity={1}")
    @CsvSource({
        "266610, 0.90", "266610, 0.95", "266610, 0.98", "266610, 0.99",
        "2000000, 0.90", "2000000, 0.95", "2000000, 0.98", "2000000, 0.99"
    })
    void encodedSizeIsWithinFivePercentOfTheInformationBound(int n, double sparsity) {
        float[] values = SparseTensorCodecTest.random(n, 1 - sparsity, 20240611L + n);

        long start = System.nanoTime();
        SparseTensor t = SparseTensorCodec.encode("w", new int[] {n}, values);
        long encoded = System.nanoTime();
        float[] decoded = SparseTensorCodec.decode(t);
        long end = System.nanoTime();

        assertThat(decoded).isEqualTo(values);
        double bound = InformationBound.bytes(n, t.getNnz());
        double ratio = SparseTensorCodec.encodedBytes(t) / bound;
        System.out.printf(
                "n=%d sparsity=%.2f nnz=%d %s bytes=%d bound=%.1f ratio=%.4f "
                        + "(encode %.0f MB/s, decode %.0f MB/s of dense float32, unwarmed)%n",
                n,
                sparsity,
                t.getNnz(),
                t.getEncoding(),
                SparseTensorCodec.encodedBytes(t),
                bound,
                ratio,
                4.0 * n / ((encoded - start) / 1e3),
                4.0 * n / ((end - encoded) / 1e3));
        assertThat(ratio).isLessThanOrEqualTo(1.05);
    }

    @Test
    void boundMatchesExactBinomialsForSmallN() {
        for (int n = 0; n <= 300; n++) {
            BigInteger c = BigInteger.ONE; // C(n, k), walked along the row
            for (int k = 0; k <= n; k++) {
                assertBoundMatches(n, k, c);
                c = c.multiply(BigInteger.valueOf(n - k)).divide(BigInteger.valueOf(k + 1));
            }
        }
    }

    @Test
    void boundMatchesExactBinomialsForLargeN() {
        long[][] cases = {
            {1_000_000_000L, 1}, {1_000_000_000L, 2}, {1_000_000_000L, 3}, {1_000_000_000L, 1000},
            {1_000_000_000L, 999_999_000}, {1_000_000, 2000}, {266_610, 26_661}, {100_000, 50_000}
        };
        for (long[] nk : cases) {
            assertBoundMatches(nk[0], nk[1], binomial(nk[0], nk[1]));
        }
    }

    @Test
    void boundHasTheRightEdges() {
        assertThat(InformationBound.bytes(0, 0)).isZero();
        assertThat(InformationBound.bytes(1000, 0)).isZero();
        assertThat(InformationBound.bytes(1000, 1000)).isEqualTo(4000.0);
        // Half full: log2 C(n, n/2) ~ n - log2(sqrt(pi n / 2)).
        double n = 1e9;
        assertThat(InformationBound.bytes(1_000_000_000L, 500_000_000L))
                .isCloseTo(4 * 5e8 + (n - 0.5 * Math.log(Math.PI * n / 2) / Math.log(2)) / 8, within(1e-3));
    }

    private static void assertBoundMatches(long n, long k, BigInteger binomial) {
        double exact = 4.0 * k + log2(binomial) / 8;
        double actual = InformationBound.bytes(n, k);
        assertThat(actual).as("n=%d k=%d", n, k).isCloseTo(exact, within(1e-12 * Math.max(1, exact)));
        double exactBits = log2(binomial);
        double actualBits = InformationBound.lnChoose(n, k) / Math.log(2);
        assertThat(actualBits).as("log2 C(%d, %d)", n, k).isCloseTo(exactBits, within(1e-12 * Math.max(1, exactBits)));
    }

    private static BigInteger binomial(long n, long k) {
        k = Math.min(k, n - k);
        BigInteger c = BigInteger.ONE;
        for (long i = 1; i <= k; i++) {
            c = c.multiply(BigInteger.valueOf(n - k + i)).divide(BigInteger.valueOf(i));
        }
        return c;
    }

    private static double log2(BigInteger x) {
        int shift = Math.max(0, x.bitLength() - 62);
        return Math.log(x.shiftRight(shift).doubleValue()) / Math.log(2) + shift;
    }
}
