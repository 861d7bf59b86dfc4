package org.cyclicalpruning.modelops.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checks the detector against what Frías-Blanco et al. (2015) guarantee: each test on a stream
 * whose mean has not risen fires with probability at most alpha, and a rise of {@code delta} is
 * found once the observations after it make the Hoeffding bound smaller than {@code delta}.
 */
class HoeffdingDriftDetectorTest {
    private static final int BATCH = 128;

    @ParameterizedTest(name = "p={0}, alpha={1}")
    @CsvSource({"0.1, 1e-2", "0.3, 1e-2", "0.5, 1e-3", "0.12, 1e-4"})
    void falseAlarmsOnALongStationaryBernoulliStreamStayWithinTheStatedBound(double p, double alpha) {
        HoeffdingDriftDetector detector = new HoeffdingDriftDetector(alpha);
        SplittableRandom random = new SplittableRandom(42);
        int tests = 20_000; // 2.56 million observations
        int alarms = 0;
        DriftDetectorState state = DriftDetectorState.EMPTY;
        for (int t = 0; t < tests; t++) {
            HoeffdingDriftDetector.Result r = detector.add(state, errors(random, p, BATCH), BATCH);
            state = r.state();
            if (r.drift()) {
                alarms++;
                state = DriftDetectorState.EMPTY; // a detector re-arms from scratch after a detection
            }
        }
        // the paper's bound: each test errs with probability at most alpha
        assertThat((double) alarms).isLessThanOrEqualTo(alpha * tests);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"0.1, 0.3", "0.12, 0.5", "0.2, 0.25", "0.05, 0.9"})
    void aStepChangeIsFoundWithinTheDelayTheBoundsGive(double before, double after) {
        double alpha = HoeffdingDriftDetector.DEFAULT_ALPHA;
        HoeffdingDriftDetector detector = new HoeffdingDriftDetector(alpha);
        int stationary = 2000;
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            DriftDetectorState state = DriftDetectorState.EMPTY;
            for (int t = 0; t < stationary; t++) {
                HoeffdingDriftDetector.Result r = detector.add(state, errors(random, before, BATCH), BATCH);
                assertThat(r.drift())
                        .as("seed %s fired before the change, at batch %s", seed, t)
                        .isFalse();
                state = r.state();
            }
            long bound = delayBound(alpha, state, after - before);
            long delay = 0;
            boolean found = false;
            while (!found && delay < 100 * bound) {
                HoeffdingDriftDetector.Result r = detector.add(state, errors(random, after, BATCH), BATCH);
                state = r.state();
                found = r.drift();
                delay++;
            }
            assertThat(delay)
                    .as("batches after the change, seed %s (bound %s)", seed, bound)
                    .isLessThanOrEqualTo(bound);
        }
    }

    /**
     * The batches after a rise of {@code rise} within which the test fires with probability at least
     * 1 - 2e-3, given the cut point where the change finds it. The stationary observations after the
     * cut dilute the rise: with {@code L} of them and {@code m} new ones the expected rise of the
     * mean after the cut is {@code rise * m / (m + L)}. By Hoeffding, with probability at least 1 -
     * delta each, the two means are within {@code sqrt(ln(1/delta) / 2n)} of their expectations; the
     * test fires once the expected rise exceeds those two deviations plus its own bound.
     */
    private static long delayBound(double alpha, DriftDetectorState atChange, double rise) {
        double delta = 1e-3;
        long prefix = atChange.cutCount();
        long diluting = atChange.count() - atChange.cutCount();
        for (long batches = 1; ; batches++) {
            long m = batches * BATCH;
            long n2 = m + diluting;
            double expected = rise * m / n2;
            double deviations =
                    Math.sqrt(Math.log(1 / delta) / (2.0 * n2)) + Math.sqrt(Math.log(1 / delta) / (2.0 * prefix));
            double test = Math.sqrt((1.0 / prefix + 1.0 / n2) * Math.log(1 / alpha) / 2);
            if (expected >= deviations + test) {
                return batches;
            }
        }
    }

    @Test
    void onlyARiseCounts() {
        HoeffdingDriftDetector detector = new HoeffdingDriftDetector(1e-2);
        SplittableRandom random = new SplittableRandom(7);
        DriftDetectorState state = DriftDetectorState.EMPTY;
        for (int t = 0; t < 4000; t++) {
            // the error falls from 0.6 to 0.02 in steps, as a model that learns
            double p = Math.max(0.02, 0.6 - t * 0.001);
            HoeffdingDriftDetector.Result r = detector.add(state, errors(random, p, BATCH), BATCH);
            assertThat(r.drift()).as("batch %s", t).isFalse();
            state = r.state();
        }
        assertThat(detector.statistic(state)).isLessThan(1);
    }

    @Test
    void theStatisticReachesOneExactlyWhenTheTestFires() {
        HoeffdingDriftDetector detector = new HoeffdingDriftDetector(1e-3);
        DriftDetectorState state = DriftDetectorState.EMPTY;
        for (int t = 0; t < 100; t++) {
            state = detector.add(state, 10, 100).state();
        }
        assertThat(detector.statistic(state)).isZero();
        HoeffdingDriftDetector.Result r = detector.add(state, 100, 100);
        assertThat(r.drift()).isTrue();
        assertThat(detector.statistic(r.state())).isGreaterThanOrEqualTo(1);
        HoeffdingDriftDetector.Result small = detector.add(state, 12, 100);
        assertThat(small.drift()).isFalse();
        assertThat(detector.statistic(small.state())).isBetween(0.0, 1.0);
    }

    @Test
    void refusesWhatIsNotAGroupOfObservationsInZeroOne() {
        HoeffdingDriftDetector detector = new HoeffdingDriftDetector(1e-3);
        assertThatThrownBy(() -> detector.add(DriftDetectorState.EMPTY, 5, 0)).hasMessageContaining("count");
        assertThatThrownBy(() -> detector.add(DriftDetectorState.EMPTY, 5, 4)).hasMessageContaining("sum");
        assertThatThrownBy(() -> detector.add(DriftDetectorState.EMPTY, Double.NaN, 4))
                .hasMessageContaining("sum");
        assertThatThrownBy(() -> new HoeffdingDriftDetector(0)).hasMessageContaining("alpha");
        assertThatThrownBy(() -> new DriftDetectorState(3, 5, 1, 1)).hasMessageContaining("sums");
    }

    private static int errors(SplittableRandom random, double p, int n) {
        int e = 0;
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < p) {
                e++;
            }
        }
        return e;
    }
}
