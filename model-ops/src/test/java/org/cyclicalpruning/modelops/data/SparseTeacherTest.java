package org.cyclicalpruning.modelops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.cyclicalpruning.modelops.data.SparseTeacher.Config;
import org.cyclicalpruning.modelops.data.SparseTeacher.Task;
import org.junit.jupiter.api.Test;

class SparseTeacherTest {
    /** Small enough for 20k-sample statistics and a dense least-squares solve in a unit test. */
    private static final Config SMALL =
            Config.defaults().withDimension(120).withSupportSize(20).withSeed(11);

    @Test
    void defaultsAreAsDocumented() {
        Config c = Config.defaults();
        assertThat(c).isEqualTo(new Config(1000, 20, 0.9, 0.1, 1, -1, Task.REGRESSION));
        assertThat(c.hasDrift()).isFalse();
        SparseTeacher t = new SparseTeacher(c);
        assertThat(t.support(0)).hasSize(20).isSorted().doesNotHaveDuplicates();
        assertThat(t.decoys(0)).hasSize(10).isSorted().doesNotContain(t.support(0));
    }

    @Test
    void batchesAreDeterministicAndMatchSampleRowsWhateverTheBatchSize() {
        SparseTeacher t = new SparseTeacher(SMALL);
        Batch b = t.batch(5, 64);
        Batch again = new SparseTeacher(SMALL).batch(5, 64);
        assertThat(b.features()).containsExactly(again.features());
        assertThat(b.targets()).containsExactly(again.targets());
        assertThat(b.rows()).isEqualTo(64);
        assertThat(b.dim()).isEqualTo(120);

        Batch rows = t.sample(5 * 64, 64).slice(0, 64);
        assertThat(rows.features()).containsExactly(b.features());
        assertThat(rows.targets()).containsExactly(b.targets());

        Batch half = t.batch(11, 32); // samples 352..383, the second half of batch 5 of size 64
        assertThat(half.features()).containsExactly(Arrays.copyOfRange(b.features(), 32 * 120, 64 * 120));

        Batch otherSeed = new SparseTeacher(SMALL.withSeed(12)).batch(5, 64);
        assertThat(otherSeed.features()).isNotEqualTo(b.features());
        assertThat(t.batch(6, 64).features()).isNotEqualTo(b.features());
    }

    @Test
    void featuresHaveUnitVarianceAndDecoysOutrankTheirPairInCorrelationWithTheTarget() {
        SparseTeacher t = new SparseTeacher(SMALL);
        int n = 20_000;
        int dim = SMALL.dimension();
        Dataset d = t.sample(0, n);
        float[] x = d.slice(0, n).features();
        float[] y = d.slice(0, n).targets();
        float[] w = t.teacherWeights(0);

        double[] mean = new double[dim];
        double[] var = new double[dim];
        double[] cov = new double[dim];
        double yMean = 0;
        double yVar = 0;
        for (int i = 0; i < n; i++) {
            yMean += y[i];
            yVar += (double) y[i] * y[i];
            for (int j = 0; j < dim; j++) {
                double v = x[i * dim + j];
                mean[j] += v;
                var[j] += v * v;
                cov[j] += v * y[i];
            }
        }
        yMean /= n;
        yVar = yVar / n - yMean * yMean;
        double[] corr = new double[dim];
        for (int j = 0; j < dim; j++) {
            mean[j] /= n;
            var[j] = var[j] / n - mean[j] * mean[j];
            assertThat(mean[j]).as("mean of feature %s", j).isCloseTo(0.0, within(0.05));
            assertThat(var[j]).as("variance of feature %s", j).isCloseTo(1.0, within(0.06));
            corr[j] = (cov[j] / n - mean[j] * yMean) / Math.sqrt(var[j] * yVar);
        }

        double sumW2 = 0;
        for (float v : w) {
            sumW2 += (double) v * v;
        }
        double sigmaY = Math.sqrt(sumW2 + SMALL.noise() * SMALL.noise());
        assertThat(Math.sqrt(yVar)).isCloseTo(sigmaY, within(0.05 * sigmaY));

        int[][] pairs = t.pairs(0);
        assertThat(pairs).hasNumberOfRows(SMALL.supportSize() / 2);
        for (int[] p : pairs) {
            int a = p[0];
            int b = p[1];
            int decoy = p[2];
            assertThat(Math.signum(w[a])).isEqualTo(Math.signum(w[b]));
            assertThat(Math.abs(w[a])).isBetween(0.8f, 1.2f);
            assertThat(w[decoy]).isZero();
            // Population values: corr(x_d, y) = rho * (w_a + w_b) / sqrt(2) / sigma_y ~ rho * sqrt(2) * |w| / sigma_y.
            double expected = SMALL.correlation() * (w[a] + w[b]) / Math.sqrt(2) / sigmaY;
            assertThat(corr[decoy]).as("decoy %s of pair (%s, %s)", decoy, a, b).isCloseTo(expected, within(0.02));
            assertThat(corr[a]).isCloseTo(w[a] / sigmaY, within(0.02));
            assertThat(Math.abs(corr[decoy]))
                    .as("decoy %s must outrank its true features %s and %s", decoy, a, b)
                    .isGreaterThan(Math.abs(corr[a]))
                    .isGreaterThan(Math.abs(corr[b]));
        }
    }

    @Test
    void leastSquaresGivesDecoysZeroWeightAndRecoversTheSupport() {
        Config config = SMALL.withDimension(60).withSupportSize(10);
        SparseTeacher t = new SparseTeacher(config);
        int n = 5_000;
        int dim = config.dimension();
        Dataset d = t.sample(0, n);
        float[] x = d.slice(0, n).features();
        float[] y = d.slice(0, n).targets();

        double[][] xtx = new double[dim][dim + 1]; // augmented with X^T y
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                double xj = x[i * dim + j];
                for (int k = j; k < dim; k++) {
                    xtx[j][k] += xj * x[i * dim + k];
                }
                xtx[j][dim] += xj * y[i];
            }
        }
        for (int j = 0; j < dim; j++) {
            for (int k = 0; k < j; k++) {
                xtx[j][k] = xtx[k][j];
            }
        }
        double[] fit = solve(xtx);
        float[] w = t.teacherWeights(0);

        for (int decoy : t.decoys(0)) {
            assertThat(fit[decoy]).as("least-squares weight of decoy %s", decoy).isCloseTo(0.0, within(0.05));
        }
        for (int j = 0; j < dim; j++) {
            assertThat(fit[j]).as("weight %s", j).isCloseTo(w[j], within(0.05));
        }
        int[] top = IntStream.range(0, dim)
                .boxed()
                .sorted(Comparator.comparingDouble(j -> -Math.abs(fit[j])))
                .limit(config.supportSize())
                .mapToInt(Integer::intValue)
                .sorted()
                .toArray();
        assertThat(top).containsExactly(t.support(0));
    }

    /** Gaussian elimination with partial pivoting on an n x (n+1) augmented matrix. */
    private static double[] solve(double[][] m) {
        int n = m.length;
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
                    pivot = r;
                }
            }
            double[] tmp = m[col];
            m[col] = m[pivot];
            m[pivot] = tmp;
            for (int r = col + 1; r < n; r++) {
                double f = m[r][col] / m[col][col];
                for (int c = col; c <= n; c++) {
                    m[r][c] -= f * m[col][c];
                }
            }
        }
        double[] out = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = m[r][n];
            for (int c = r + 1; c < n; c++) {
                s -= m[r][c] * out[c];
            }
            out[r] = s / m[r][r];
        }
        return out;
    }

    @Test
    void driftSwitchesToADisjointTeacherAtTheGivenSample() {
        Config config = SMALL.withDriftAtSample(1_000);
        SparseTeacher t = new SparseTeacher(config);
        int[] s0 = t.support(0);
        int[] d0 = t.decoys(999);
        int[] s1 = t.support(1_000);
        int[] d1 = t.decoys(5_000);

        assertThat(t.support(999)).containsExactly(s0);
        assertThat(s1).hasSize(20).isSorted().doesNotHaveDuplicates();
        assertThat(d1).hasSize(10).doesNotHaveDuplicates();
        assertThat(s1).doesNotContain(s0).doesNotContain(d0);
        assertThat(d1).doesNotContain(s0).doesNotContain(d0).doesNotContain(s1);
        // The first teacher does not depend on whether there is drift.
        assertThat(new SparseTeacher(SMALL).support(0)).containsExactly(s0);
        assertThat(new SparseTeacher(SMALL).teacherWeights(0)).containsExactly(t.teacherWeights(0));

        float[] w1 = t.teacherWeights(1_000);
        for (int j = 0; j < w1.length; j++) {
            assertThat(w1[j] != 0f)
                    .as("weight %s non-zero iff in the new support", j)
                    .isEqualTo(Arrays.binarySearch(s1, j) >= 0);
        }

        // Samples 900..1099: residuals against the teacher in force are pure noise (0.1).
        Batch b = t.sample(900, 200).slice(0, 200);
        float[] w0 = t.teacherWeights(0);
        assertThat(residualRms(b, 0, 100, w0)).isLessThan(0.15);
        assertThat(residualRms(b, 100, 200, w1)).isLessThan(0.15);
        assertThat(residualRms(b, 100, 200, w0)).isGreaterThan(1.0);
    }

    private static double residualRms(Batch b, int from, int to, float[] w) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            double pred = 0;
            for (int j = 0; j < b.dim(); j++) {
                pred += w[j] * b.features()[i * b.dim() + j];
            }
            double e = b.targets()[i] - pred;
            sum += e * e;
        }
        return Math.sqrt(sum / (to - from));
    }

    @Test
    void classificationLabelsAreTheSignOfTheRegressionTarget() {
        SparseTeacher regression = new SparseTeacher(SMALL);
        SparseTeacher classification = new SparseTeacher(SMALL.withTask(Task.CLASSIFICATION));
        assertThat(classification.classes()).isEqualTo(2);
        assertThat(regression.classes()).isZero();

        Batch r = regression.batch(3, 500);
        Batch c = classification.batch(3, 500);
        assertThat(c.isClassification()).isTrue();
        assertThat(c.features()).containsExactly(r.features());
        int ones = 0;
        for (int i = 0; i < 500; i++) {
            assertThat(c.labels()[i]).isEqualTo(r.targets()[i] > 0 ? 1 : 0);
            ones += c.labels()[i];
        }
        assertThat(ones).isBetween(200, 300);

        Dataset test = classification.sample(1L << 40, 100);
        assertThat(test.classes()).isEqualTo(2);
        assertThat(test.name()).contains("1099511627776");
    }

    @Test
    void configValidationNamesSettingValueAndRange() {
        Config c = Config.defaults();
        assertThatThrownBy(() -> c.withDimension(3)).hasMessageContaining("dimension must be >= 4, got 3");
        assertThatThrownBy(() -> c.withSupportSize(0)).hasMessageContaining("supportSize must be an even number >= 2");
        assertThatThrownBy(() -> c.withSupportSize(7)).hasMessageContaining("got 7");
        assertThatThrownBy(() -> c.withSupportSize(334))
                .hasMessageContaining(
                        "supportSize must be <= dimension / 3 = 333 (room for support and decoys), got 334");
        assertThat(c.withSupportSize(166).withDriftAtSample(0).hasDrift()).isTrue();
        assertThatThrownBy(() -> c.withSupportSize(168).withDriftAtSample(0))
                .hasMessageContaining("supportSize must be <= dimension / 6 = 166 with drift")
                .hasMessageContaining("got 168");
        assertThatThrownBy(() -> c.withCorrelation(1.0)).hasMessageContaining("correlation must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> c.withCorrelation(-0.1)).hasMessageContaining("got -0.1");
        assertThatThrownBy(() -> c.withCorrelation(Double.NaN)).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> c.withNoise(-1)).hasMessageContaining("noise must be a finite number >= 0, got -1.0");
        assertThatThrownBy(() -> c.withTask(null)).isInstanceOf(NullPointerException.class);

        SparseTeacher t = new SparseTeacher(SMALL);
        assertThatThrownBy(() -> t.batch(-1, 10)).hasMessageContaining("batchIndex must be >= 0, got -1");
        assertThatThrownBy(() -> t.batch(0, 0)).hasMessageContaining("batchSize must be >= 1, got 0");
        assertThatThrownBy(() -> t.batch(Long.MAX_VALUE / 2, 10)).hasMessageContaining("must fit in a long");
        assertThatThrownBy(() -> t.support(-5)).hasMessageContaining("sampleIndex must be >= 0, got -5");
    }
}
