package org.cyclicalpruning.modelops.data;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Synthetic data from a sparse linear teacher, built so that magnitude pruning of an under-trained
 * model keeps the wrong features.
 *
 * <p>The teacher's support (supportSize random features) is split into pairs (a, b) whose weights
 * share a sign and have magnitudes uniform in [0.8, 1.2]. Each pair has a <em>decoy</em> feature d
 * outside the support:
 *
 * <pre>  x_d = rho * (x_a + x_b) / sqrt(2) + sqrt(1 - rho^2) * z,   z ~ N(0, 1)</pre>
 *
 * <p>All other features, x_a and x_b included, are iid N(0, 1), so every feature has unit variance.
 * The target is {@code y = w . x + noise * N(0, 1)} ({@code y > 0} as a binary label for
 * classification). A decoy's covariance with y is about {@code rho * sqrt(2) * |w|}, more than the
 * {@code |w|} of either true feature once {@code rho > 0.85} (0.71 for equal weights); early in
 * training, weights follow those marginal correlations, so a magnitude ranking prefers the decoys,
 * while the least-squares solution gives them weight 0. Pruning early (gradual magnitude pruning)
 * therefore locks in decoys; pruning that lets weights recover (cyclical pruning) can undo it.
 *
 * <p>With drift, samples with global index {@code >= driftAtSample} come from a second teacher built
 * by the same recipe on support and decoys disjoint from the first's.
 *
 * <p>Determinism: the teachers derive from the seed alone, and sample {@code i} from a generator
 * seeded from (seed, i) alone. So {@link #batch(long, int)} and {@link #sample(long, int)} can
 * regenerate any part of the stream in any order, and batch k of size B equals
 * {@code sample(k * B, B)} whatever the batch size. Instances are immutable and thread-safe.
 */
public final class SparseTeacher {
    private static final long TEACHER_DOMAIN = 0x544541434845L; // "TEACHE"
    private static final long SAMPLE_DOMAIN = 0x53414D504C45L; // "SAMPLE"
    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);

    /** What the generated rows carry. */
    public enum Task {
        /** Float targets y. */
        REGRESSION,
        /** Integer labels {@code y > 0 ? 1 : 0}, two classes. */
        CLASSIFICATION
    }

    /**
     * Settings of a {@link SparseTeacher}; validated on construction.
     *
     * @param dimension number of features, at least 4
     * @param supportSize number of features the teacher uses: even, at least 2, at most dimension/3
     *     (at most dimension/6 with drift, as the second teacher needs its own features)
     * @param correlation rho, the decoys' correlation with their pair's mean, in [0, 1)
     * @param noise standard deviation of the Gaussian target noise, at least 0
     * @param seed determines the teachers and every sample
     * @param driftAtSample first global sample index of the second teacher; negative for no drift
     * @param task regression targets or binary class labels
     */
    public record Config(
            int dimension,
            int supportSize,
            double correlation,
            double noise,
            long seed,
            long driftAtSample,
            Task task) {

        /** Value of {@code driftAtSample} meaning "no drift". */
        public static final long NO_DRIFT = -1;

        /** Validates the settings; messages name the setting, the bad value and what is allowed. */
        public Config {
            Objects.requireNonNull(task, "task");
            checkArgument(dimension >= 4, "SparseTeacher dimension must be >= 4, got %s", dimension);
            checkArgument(
                    supportSize >= 2 && supportSize % 2 == 0,
                    "SparseTeacher supportSize must be an even number >= 2 (true features come in pairs), got %s",
                    supportSize);
            checkArgument(
                    3L * supportSize <= dimension,
                    "SparseTeacher supportSize must be <= dimension / 3 = %s (room for support and decoys), got %s",
                    dimension / 3,
                    supportSize);
            checkArgument(
                    driftAtSample < 0 || 6L * supportSize <= dimension,
                    "SparseTeacher supportSize must be <= dimension / 6 = %s with drift (driftAtSample = %s needs a"
                            + " second, disjoint teacher), got %s",
                    dimension / 6,
                    driftAtSample,
                    supportSize);
            checkArgument(
                    correlation >= 0.0 && correlation < 1.0,
                    "SparseTeacher correlation must be in [0, 1), got %s",
                    correlation);
            checkArgument(
                    noise >= 0.0 && Double.isFinite(noise),
                    "SparseTeacher noise must be a finite number >= 0, got %s",
                    noise);
        }

        /**
         * Dimension 1000, supportSize 20, correlation 0.9, noise 0.1, seed 1, no drift, regression.
         *
         * @return the default settings
         */
        public static Config defaults() {
            return new Config(1000, 20, 0.9, 0.1, 1, NO_DRIFT, Task.REGRESSION);
        }

        /** Copy with another dimension. */
        public Config withDimension(int value) {
            return new Config(value, supportSize, correlation, noise, seed, driftAtSample, task);
        }

        /** Copy with another supportSize. */
        public Config withSupportSize(int value) {
            return new Config(dimension, value, correlation, noise, seed, driftAtSample, task);
        }

        /** Copy with another correlation. */
        public Config withCorrelation(double value) {
            return new Config(dimension, supportSize, value, noise, seed, driftAtSample, task);
        }

        /** Copy with another noise level. */
        public Config withNoise(double value) {
            return new Config(dimension, supportSize, correlation, value, seed, driftAtSample, task);
        }

        /** Copy with another seed. */
        public Config withSeed(long value) {
            return new Config(dimension, supportSize, correlation, noise, value, driftAtSample, task);
        }

        /** True when a second teacher takes over at {@link #driftAtSample()}. */
        public boolean hasDrift() {
            return driftAtSample >= 0;
        }

        /** Copy with another drift point; negative for no drift. */
        public Config withDriftAtSample(long value) {
            return new Config(dimension, supportSize, correlation, noise, seed, value, task);
        }

        /** Copy with another task. */
        public Config withTask(Task value) {
            return new Config(dimension, supportSize, correlation, noise, seed, driftAtSample, value);
        }
    }

    /**
     * One teacher: pair k is (a[k], b[k]) with decoy d[k]; weights holds w over all features.
     */
    private record Teacher(int[] a, int[] b, int[] d, float[] weights, int[] sortedSupport, int[] sortedDecoys) {}

    private final Config config;
    private final Teacher before;
    private final Teacher after; // null without drift

    /**
     * Builds the teacher(s) from {@code config.seed()}.
     *
     * @param config validated settings
     */
    public SparseTeacher(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        SplittableRandom random = new SplittableRandom(Seeds.derive(config.seed(), TEACHER_DOMAIN, 0));
        int[] features = new int[config.dimension()];
        for (int i = 0; i < features.length; i++) {
            features[i] = i;
        }
        // Partial Fisher-Yates continued across teachers: the second teacher draws from features the
        // first did not take, and the first is the same with or without drift for a given seed.
        this.before = draw(random, features, 0);
        this.after = config.hasDrift() ? draw(random, features, config.supportSize() * 3 / 2) : null;
    }

    private Teacher draw(SplittableRandom random, int[] features, int offset) {
        int pairs = config.supportSize() / 2;
        int take = 3 * pairs; // a, b and decoy per pair
        for (int i = offset; i < offset + take; i++) {
            int j = i + random.nextInt(features.length - i);
            int tmp = features[i];
            features[i] = features[j];
            features[j] = tmp;
        }
        int[] a = new int[pairs];
        int[] b = new int[pairs];
        int[] d = new int[pairs];
        float[] weights = new float[config.dimension()];
        for (int k = 0; k < pairs; k++) {
            a[k] = features[offset + 2 * k];
            b[k] = features[offset + 2 * k + 1];
            d[k] = features[offset + 2 * pairs + k];
            double sign = random.nextBoolean() ? 1.0 : -1.0; // shared, so the decoy sums rather than cancels
            weights[a[k]] = (float) (sign * (0.8 + 0.4 * random.nextDouble()));
            weights[b[k]] = (float) (sign * (0.8 + 0.4 * random.nextDouble()));
        }
        int[] support = new int[2 * pairs];
        System.arraycopy(a, 0, support, 0, pairs);
        System.arraycopy(b, 0, support, pairs, pairs);
        Arrays.sort(support);
        int[] decoys = d.clone();
        Arrays.sort(decoys);
        return new Teacher(a, b, d, weights, support, decoys);
    }

    /** The settings this teacher was built from. */
    public Config config() {
        return config;
    }

    /** Number of classes of the generated data: 2 for classification, 0 for regression. */
    public int classes() {
        return config.task() == Task.CLASSIFICATION ? 2 : 0;
    }

    /**
     * The samples with global indices [batchIndex * batchSize, (batchIndex + 1) * batchSize).
     *
     * @param batchIndex at least 0
     * @param batchSize at least 1
     * @return a fresh batch; equal contents for equal arguments
     */
    public Batch batch(long batchIndex, int batchSize) {
        checkArgument(batchIndex >= 0, "SparseTeacher batchIndex must be >= 0, got %s", batchIndex);
        checkArgument(batchSize >= 1, "SparseTeacher batchSize must be >= 1, got %s", batchSize);
        long first;
        try {
            first = Math.multiplyExact(batchIndex, (long) batchSize);
            Math.addExact(first, (long) batchSize);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    String.format(
                            "SparseTeacher batchIndex * batchSize must fit in a long, got %s * %s",
                            batchIndex, batchSize),
                    e);
        }
        float[] x = new float[Math.multiplyExact(batchSize, config.dimension())];
        float[] y = new float[batchSize];
        generate(first, batchSize, x, y);
        return config.task() == Task.CLASSIFICATION
                ? new Batch(x, batchSize, config.dimension(), toLabels(y), null)
                : new Batch(x, batchSize, config.dimension(), null, y);
    }

    /**
     * The {@code n} samples with global indices [firstSample, firstSample + n), as a dataset. For a
     * test set use a range far from the training stream, e.g. {@code 1L << 40}; drift applies by
     * index, so a post-drift test set needs indices at or after {@code driftAtSample}.
     *
     * @param firstSample at least 0
     * @param n at least 1
     * @return the samples; equal to the corresponding rows of {@link #batch(long, int)}
     */
    public Dataset sample(long firstSample, int n) {
        checkArgument(firstSample >= 0, "SparseTeacher firstSample must be >= 0, got %s", firstSample);
        checkArgument(n >= 1, "SparseTeacher sample count n must be >= 1, got %s", n);
        checkArgument(
                firstSample <= Long.MAX_VALUE - n,
                "SparseTeacher firstSample + n must fit in a long, got %s + %s",
                firstSample,
                n);
        float[] x = new float[Math.multiplyExact(n, config.dimension())];
        float[] y = new float[n];
        generate(firstSample, n, x, y);
        String name =
                String.format("sparse-teacher[seed=%d, samples %d..%d]", config.seed(), firstSample, firstSample + n);
        return config.task() == Task.CLASSIFICATION
                ? Dataset.of(name, x, config.dimension(), toLabels(y), 2)
                : Dataset.of(name, x, config.dimension(), y);
    }

    /**
     * The dense teacher weight vector in force at a sample index (zero outside the support).
     *
     * @param sampleIndex a global sample index, at least 0
     * @return a fresh array of length dimension
     */
    public float[] teacherWeights(long sampleIndex) {
        return teacherAt(sampleIndex).weights().clone();
    }

    /**
     * The support of the teacher in force at a sample index.
     *
     * @param sampleIndex a global sample index, at least 0
     * @return the supportSize feature indices with non-zero weight, sorted ascending
     */
    public int[] support(long sampleIndex) {
        return teacherAt(sampleIndex).sortedSupport().clone();
    }

    /**
     * The decoy features of the teacher in force at a sample index.
     *
     * @param sampleIndex a global sample index, at least 0
     * @return supportSize / 2 feature indices outside the support, sorted ascending
     */
    public int[] decoys(long sampleIndex) {
        return teacherAt(sampleIndex).sortedDecoys().clone();
    }

    /**
     * The pairs and their decoys of the teacher in force at a sample index, for diagnostics.
     *
     * @param sampleIndex a global sample index, at least 0
     * @return one row {a, b, decoy} per pair
     */
    public int[][] pairs(long sampleIndex) {
        Teacher t = teacherAt(sampleIndex);
        int[][] rows = new int[t.a().length][];
        for (int k = 0; k < rows.length; k++) {
            rows[k] = new int[] {t.a()[k], t.b()[k], t.d()[k]};
        }
        return rows;
    }

    private Teacher teacherAt(long sampleIndex) {
        checkArgument(sampleIndex >= 0, "SparseTeacher sampleIndex must be >= 0, got %s", sampleIndex);
        return after != null && sampleIndex >= config.driftAtSample() ? after : before;
    }

    /** Fills n rows of x and raw targets y for global samples first, first+1, ... */
    private void generate(long first, int n, float[] x, float[] y) {
        int dim = config.dimension();
        double rho = config.correlation();
        double residual = Math.sqrt(1.0 - rho * rho);
        double noise = config.noise();
        for (int i = 0; i < n; i++) {
            long index = first + i;
            // One generator per sample (not per batch) so a sample is the same whatever batch it is in.
            SplittableRandom random = new SplittableRandom(Seeds.derive(config.seed(), SAMPLE_DOMAIN, index));
            Teacher t = teacherAt(index);
            int row = i * dim;
            for (int j = 0; j < dim; j++) {
                x[row + j] = (float) random.nextGaussian();
            }
            int[] a = t.a();
            int[] b = t.b();
            int[] d = t.d();
            float[] w = t.weights();
            double target = 0.0;
            for (int k = 0; k < a.length; k++) {
                float xa = x[row + a[k]];
                float xb = x[row + b[k]];
                // The decoy's own iid draw serves as the independent part z.
                x[row + d[k]] = (float) (rho * (xa + xb) * INV_SQRT2 + residual * x[row + d[k]]);
                target += w[a[k]] * (double) xa + w[b[k]] * (double) xb;
            }
            y[i] = (float) (target + noise * random.nextGaussian());
        }
    }

    private static int[] toLabels(float[] y) {
        int[] labels = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            labels[i] = y[i] > 0f ? 1 : 0;
        }
        return labels;
    }

    @Override
    public String toString() {
        return "SparseTeacher" + config;
    }
}
