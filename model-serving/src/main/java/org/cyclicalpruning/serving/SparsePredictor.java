package org.cyclicalpruning.serving;

import java.util.List;
import java.util.Optional;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * Runs a snapshot in plain Java from its sparse form: the snapshot's input standardisation, then
 * per layer {@code y = W·x + b} over the non-zero weights only, ReLU between layers, no native
 * memory and no DJL.
 *
 * <p>Work per example is proportional to the non-zero weights, so a model pruned to 95% costs a
 * twentieth of its dense forward pass; this is what makes pruning pay off when serving on the
 * CPU. Weights are kept in compressed sparse rows (row starts, column indices, values), the form
 * in which the snapshot's row-major support already arrives. Batches of {@link #BATCHED_FROM}
 * rows or more run in the native kernel (float sums, the batch as the vector dimension) where it
 * loaded; smaller ones, and every batch without it, accumulate each example's sums in double and
 * round each layer's outputs to float. Either way results match a float32 dense forward pass to
 * about 1e-6 relative.
 *
 * <p>Immutable and thread-safe: any number of threads may predict at once.
 */
public final class SparsePredictor extends StandardizingPredictor {
    private final Layer[] layers;

    /** One fully connected layer in compressed sparse rows. */
    private record Layer(int inputs, int outputs, int[] rowStart, int[] columns, float[] values, float[] bias) {}

    private SparsePredictor(ModelSpec spec, Layer[] layers, Optional<InputStandardization> scale) {
        super(spec, scale);
        this.layers = layers;
    }

    /**
     * Builds the predictor from a snapshot.
     *
     * @param snapshot the snapshot; not modified, not retained
     * @return the predictor
     * @throws IllegalArgumentException if a tensor is malformed or does not fit the spec
     */
    public static SparsePredictor of(SparseModelSnapshot snapshot) {
        ModelSpec spec = ModelSnapshots.checkedSpec(snapshot);
        List<SparseTensor> tensors = snapshot.getTensors();
        ModelLayout layout = spec.layout();
        int[] widths = spec.layerWidths();
        Layer[] layers = new Layer[widths.length - 1];
        for (int l = 0; l < layers.length; l++) {
            int in = widths[l];
            int out = widths[l + 1];
            SparseTensor weight = tensors.get(layout.weightOf(l));
            int[] support = SparseTensorCodec.support(weight); // validates the indices
            float[] values = SparseTensorCodec.values(weight);
            int[] rowStart = new int[out + 1];
            int[] columns = new int[support.length];
            for (int k = 0; k < support.length; k++) {
                rowStart[support[k] / in + 1]++;
                columns[k] = support[k] % in;
            }
            for (int r = 0; r < out; r++) {
                rowStart[r + 1] += rowStart[r];
            }
            float[] bias = SparseTensorCodec.decode(tensors.get(layout.biasOf(l)));
            layers[l] = new Layer(in, out, rowStart, columns, values, bias);
        }
        return new SparsePredictor(spec, layers, ModelSnapshots.inputStandardization(snapshot));
    }

    @Override
    float[] forward(float[] x, int rows) {
        return rows >= BATCHED_FROM && NativeMaskKernels.available() ? forwardBatched(x, rows) : forwardByRow(x, rows);
    }

    /**
     * From this many rows on, a batch runs in the native kernel with the batch as the vector
     * dimension ({@link NativeMaskKernels#spmm}): the inputs transposed, a tile of 32 examples of
     * one output held in registers while each of its non-zero weights adds its input's row.
     */
    static final int BATCHED_FROM = 8;

    private float[] forwardBatched(float[] x, int rows) {
        Scratch scratch = SCRATCH.get();
        float[] xt = scratch.get(0, layers[0].inputs * rows);
        transpose(x, rows, layers[0].inputs, xt);
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            float[] yt = scratch.get((l + 1) % 2, layer.outputs * rows);
            int rc = NativeMaskKernels.spmm(
                    layer.rowStart,
                    layer.columns,
                    layer.values,
                    layer.bias,
                    xt,
                    yt,
                    layer.outputs,
                    rows,
                    l < layers.length - 1);
            if (rc != 0) {
                throw new IllegalStateException("the native sparse kernel could not pin its arrays");
            }
            xt = yt;
        }
        int outputs = layers[layers.length - 1].outputs;
        float[] y = new float[rows * outputs];
        transpose(xt, outputs, rows, y);
        return y;
    }

    /** Two buffers per thread that layers write in turn: a batch allocates only its result. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        private final float[][] buffers = {new float[0], new float[0]};

        /** Returns buffer {@code which}, of at least {@code length} floats (only those are used). */
        float[] get(int which, int length) {
            if (buffers[which].length < length) {
                buffers[which] = new float[length];
            }
            return buffers[which];
        }
    }

    /** Writes the rows x cols matrix {@code a} transposed into {@code t}. */
    private static void transpose(float[] a, int rows, int cols, float[] t) {
        if (NativeMaskKernels.transpose(a, rows, cols, t) != 0) {
            throw new IllegalStateException("the native transpose could not pin its arrays");
        }
    }

    private float[] forwardByRow(float[] x, int rows) {
        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            boolean relu = l < layers.length - 1;
            float[] y = new float[rows * layer.outputs];
            for (int n = 0; n < rows; n++) {
                int xOffset = n * layer.inputs;
                int yOffset = n * layer.outputs;
                for (int r = 0; r < layer.outputs; r++) {
                    double sum = layer.bias[r];
                    for (int k = layer.rowStart[r]; k < layer.rowStart[r + 1]; k++) {
                        sum += (double) layer.values[k] * x[xOffset + layer.columns[k]];
                    }
                    float v = (float) sum;
                    // NaN stays NaN through ReLU, as in PyTorch
                    y[yOffset + r] = relu && v < 0f ? 0f : v;
                }
            }
            x = y;
        }
        return x;
    }

    /** Returns the number of non-zero weights the predictor multiplies per example. */
    public long nonZeroWeights() {
        long n = 0;
        for (Layer layer : layers) {
            n += layer.values.length;
        }
        return n;
    }

    @Override
    public String toString() {
        return "SparsePredictor[" + spec + ", " + nonZeroWeights() + " non-zero weights]";
    }
}
