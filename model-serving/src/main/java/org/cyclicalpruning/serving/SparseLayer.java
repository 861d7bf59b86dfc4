package org.cyclicalpruning.serving;

import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * The weights of one layer as the serving kernels take them: an {@code outputs × inputs} matrix
 * (a fully connected layer's, or a convolution's filters × channels·kernel·kernel) in compressed
 * sparse rows, and dense too ({@code dense}, empty otherwise) if it is dense enough for the dense
 * kernel at some batch size.
 */
record SparseLayer(
        int inputs, int outputs, int[] rowStart, int[] columns, float[] values, float[] bias, float[] dense) {

    /**
     * Reads a layer from its snapshot tensors.
     *
     * @param weight {@code outputs × inputs} values (any shape of that size, row-major)
     * @param bias {@code outputs} values
     * @throws IllegalArgumentException if a tensor is malformed
     */
    static SparseLayer of(SparseTensor weight, SparseTensor bias, int inputs, int outputs, KernelCrossover crossover) {
        int[] support = SparseTensorCodec.support(weight); // validates the indices
        float[] values = SparseTensorCodec.values(weight);
        int[] rowStart = new int[outputs + 1];
        int[] columns = new int[support.length];
        for (int k = 0; k < support.length; k++) {
            rowStart[support[k] / inputs + 1]++;
            columns[k] = support[k] % inputs;
        }
        for (int r = 0; r < outputs; r++) {
            rowStart[r + 1] += rowStart[r];
        }
        boolean keepDense = support.length >= crossover.lowest() * ((double) inputs * outputs);
        float[] dense = keepDense ? SparseTensorCodec.decode(weight) : new float[0];
        return new SparseLayer(inputs, outputs, rowStart, columns, values, SparseTensorCodec.decode(bias), dense);
    }

    double density() {
        return values.length / ((double) inputs * outputs);
    }

    boolean runsDense(KernelCrossover crossover, int columns) {
        return dense.length > 0 && density() >= crossover.denseFrom(columns);
    }

    /** Returns what {@link #multiply} runs for {@code columns} columns: "dense", "sparse" or "java". */
    String kernel(int columns, KernelCrossover crossover) {
        return !NativeMaskKernels.available() ? "java" : runsDense(crossover, columns) ? "dense" : "sparse";
    }

    /**
     * {@code yp = W xp + bias}, ReLU if asked, over {@code tiles} tiles of {@code width} columns
     * packed as {@link NativeMaskKernels#repack} packs them: natively, by the kernel the crossover
     * picks for {@code columns} columns, or in Java (float sums in the same order) without the
     * native library.
     */
    void multiply(float[] xp, float[] yp, int columns, int tiles, int width, boolean relu, KernelCrossover crossover) {
        if (!NativeMaskKernels.available()) {
            multiplyInJava(xp, yp, tiles, width, relu);
            return;
        }
        int rc = runsDense(crossover, columns)
                ? NativeMaskKernels.gemm(dense, bias, xp, yp, inputs, outputs, tiles, width, relu)
                : NativeMaskKernels.spmm(
                        rowStart, this.columns, values, bias, xp, yp, inputs, outputs, tiles, width, relu);
        if (rc != 0) {
            throw new IllegalStateException("a native serving kernel could not pin its arrays");
        }
    }

    private void multiplyInJava(float[] xp, float[] yp, int tiles, int width, boolean relu) {
        float[] sums = new float[width];
        for (int t = 0; t < tiles; t++) {
            int in = t * inputs * width;
            int out = t * outputs * width;
            for (int r = 0; r < outputs; r++) {
                java.util.Arrays.fill(sums, bias[r]);
                for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                    float w = values[k];
                    int x = in + this.columns[k] * width;
                    for (int j = 0; j < width; j++) {
                        sums[j] += w * xp[x + j];
                    }
                }
                for (int j = 0; j < width; j++) {
                    // NaN stays NaN through ReLU, as in PyTorch
                    yp[out + r * width + j] = relu && sums[j] < 0f ? 0f : sums[j];
                }
            }
        }
    }
}
