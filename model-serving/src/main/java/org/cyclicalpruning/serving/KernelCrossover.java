package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;

/**
 * The density from which a fully connected layer runs faster through the dense kernel than the
 * sparse one, by batch size: where {@link SparsePredictor} switches a layer from its compressed
 * rows to its dense weights.
 *
 * <p>A sparse kernel pays for every non-zero weight with an index and a gather; a dense one pays
 * for every weight, zero or not, but streams them. Which wins depends on the CPU (vector width,
 * caches) and on the batch, so the crossover is measured on the machine that serves, once per
 * process: both kernels on a 512 × 256 layer at each of {@link #BATCHES}, the median of seven
 * timings each, a cost per weight and example for each, the crossover their ratio. About 30 ms,
 * the first time a predictor is built. A deployment that wants the same choice on every host sets
 * {@value #PROPERTY} to a density (for example {@code 0.3}; {@code 1} keeps every layer sparse).
 */
public final class KernelCrossover {
    /** System property that fixes the crossover density instead of measuring it. */
    public static final String PROPERTY = "cyclicalpruning.serving.dense-from";

    /** Batch sizes measured; a batch uses the crossover of the largest of these it reaches. */
    static final int[] BATCHES = {SparsePredictor.BATCHED_FROM, 32, 128, 512};

    private final double[] denseFrom;
    private final boolean measured;

    private KernelCrossover(double[] denseFrom, boolean measured) {
        this.denseFrom = denseFrom;
        this.measured = measured;
    }

    /**
     * Returns the crossover of this process: fixed by {@value #PROPERTY} if set, otherwise measured
     * the first time it is asked for (without the native kernels, every layer stays sparse).
     *
     * @throws IllegalArgumentException if {@value #PROPERTY} is not a density in [0, 1]
     */
    public static KernelCrossover current() {
        String fixed = System.getProperty(PROPERTY);
        if (fixed != null) {
            return fixed(parse(fixed));
        }
        return Measured.INSTANCE;
    }

    /**
     * Returns a crossover that switches to the dense kernel from {@code density} at every batch size.
     *
     * @param density in [0, 1]; above 1 never switches
     */
    public static KernelCrossover fixed(double density) {
        checkArgument(density >= 0 && !Double.isNaN(density), "a crossover density is at least 0, got %s", density);
        double[] all = new double[BATCHES.length];
        Arrays.fill(all, density);
        return new KernelCrossover(all, false);
    }

    /** Returns the density from which a layer at {@code rows} examples runs dense; above 1 means never. */
    public double denseFrom(int rows) {
        if (rows < BATCHES[0]) {
            return Double.POSITIVE_INFINITY; // small batches run row by row, sparse
        }
        int b = 0;
        while (b + 1 < BATCHES.length && rows >= BATCHES[b + 1]) {
            b++;
        }
        return denseFrom[b];
    }

    /** Returns the lowest density at which any batch size runs dense. */
    double lowest() {
        return Arrays.stream(denseFrom).min().orElse(Double.POSITIVE_INFINITY);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(measured ? "measured" : "fixed");
        for (int b = 0; b < BATCHES.length; b++) {
            s.append(String.format(
                    Locale.ROOT,
                    "%s batch %d: dense from density %.3f",
                    b == 0 ? " " : ", ",
                    BATCHES[b],
                    denseFrom[b]));
        }
        return s.toString();
    }

    private static double parse(String value) {
        try {
            double density = Double.parseDouble(value.trim());
            checkArgument(density >= 0 && density <= 1, "%s must be a density in [0, 1], got %s", PROPERTY, value);
            return density;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " must be a density in [0, 1], got '" + value + "'", e);
        }
    }

    /** Measured once, when first asked for (the holder idiom: no lock after that). */
    private static final class Measured {
        static final KernelCrossover INSTANCE = measure();
    }

    private static KernelCrossover measure() {
        if (!NativeMaskKernels.available()) {
            return fixed(Double.POSITIVE_INFINITY);
        }
        final int inputs = 512;
        final int outputs = 256;
        final double density = 0.25;
        SplittableRandom random = new SplittableRandom(7);
        float[] dense = new float[inputs * outputs];
        int[] rowStart = new int[outputs + 1];
        int[] columns = new int[dense.length];
        float[] values = new float[dense.length];
        int nnz = 0;
        for (int r = 0; r < outputs; r++) {
            for (int c = 0; c < inputs; c++) {
                float w = (float) random.nextGaussian();
                dense[r * inputs + c] = w;
                if (random.nextDouble() < density) {
                    columns[nnz] = c;
                    values[nnz++] = w;
                }
            }
            rowStart[r + 1] = nnz;
        }
        float[] bias = new float[outputs];
        int maxRows = BATCHES[BATCHES.length - 1];
        float[] xp = new float[inputs * maxRows];
        for (int i = 0; i < xp.length; i++) {
            xp[i] = (float) random.nextDouble();
        }
        float[] yp = new float[outputs * maxRows];
        double[] denseFrom = new double[BATCHES.length];
        for (int b = 0; b < BATCHES.length; b++) {
            int rows = BATCHES[b];
            int width = SparsePredictor.tileWidth(rows);
            int tiles = (rows + width - 1) / width;
            double[] sparseNs = new double[7];
            double[] denseNs = new double[7];
            for (int round = -2; round < sparseNs.length; round++) { // two rounds to warm up
                long t0 = System.nanoTime();
                NativeMaskKernels.spmm(rowStart, columns, values, bias, xp, yp, inputs, outputs, tiles, width, true);
                long t1 = System.nanoTime();
                NativeMaskKernels.gemm(dense, bias, xp, yp, inputs, outputs, tiles, width, true);
                long t2 = System.nanoTime();
                if (round >= 0) {
                    sparseNs[round] = (t1 - t0) / (double) nnz;
                    denseNs[round] = (t2 - t1) / (double) dense.length;
                }
            }
            denseFrom[b] = median(denseNs) / median(sparseNs);
        }
        return new KernelCrossover(denseFrom, true);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
