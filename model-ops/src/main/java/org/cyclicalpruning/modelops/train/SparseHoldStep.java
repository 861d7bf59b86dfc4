package org.cyclicalpruning.modelops.train;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.Optimizer;
import org.cyclicalpruning.schemas.ModelKind;

/**
 * The training step of a fully connected model while its mask holds, on its kept weights only.
 *
 * <p>While the mask holds, a pruned weight's gradient is masked and its weight and optimizer
 * state stay exactly zero: of the dense step's forward product, both backward products and the
 * optimizer pass, only the parts at kept weights change anything. This step does those parts and
 * nothing else, with the serving kernels' packed batches: the forward product over the kept
 * weights (compressed rows), the input gradient as the transposed product (the same kernel over
 * compressed columns), the weight gradient at kept positions only (a sampled dense-dense product)
 * and the optimizer's update of kept weights and of the biases. The weights and optimizer state
 * are updated in place, in the memory the trainer's tensors own, so nothing else can tell which
 * path ran: checkpoints, snapshots, mask decisions and the dense path all read the same tensors.
 *
 * <p>A model that is still dense enough gains nothing: while it keeps more than {@link
 * #MAX_DENSITY} of its weights, the trainer takes the dense step.
 */
final class SparseHoldStep {
    /** The kept fraction above which the sparse products no longer beat the dense step (measured by bench). */
    static final double MAX_DENSITY = 0.4;

    /** What a step did. */
    enum Outcome {
        /** Weights, biases and optimizer state were updated. */
        TRAINED,
        /** The loss was not finite; nothing changed. */
        NON_FINITE_LOSS,
        /**
         * The gradient's norm could not be bounded below the trainer's limit; nothing changed, and
         * the dense step decides.
         */
        DECLINED
    }

    private final ModelSpec spec;
    private final Optimizer optimizer;
    private final int layers;
    private final int[] widths;
    private final int[] maskOf;
    private final ModelLayout layout;
    private final NDArray[] params;
    private final NDArray[][] optimizerState;
    private FloatBuffer[] weights;
    private FloatBuffer[] biases;
    private FloatBuffer[][] weightState;
    private FloatBuffer[][] biasState;
    private boolean viewsDirect;
    private final float[][] zeroBias;
    /** Per layer: its biases as this step reads them, and their gradient; sized once. */
    private final float[][] biasValues;

    private final float[][] biasGrad;

    private long builtFor = -1;
    private long densityFor = -1;
    private double density;
    private final int[][] rowStart;
    private final int[][] columns;
    private final int[][] positions;
    private final int[][] columnStart;
    private final int[][] rowsOfColumns;
    private final int[][] transposed;
    private final float[][] values;
    private final float[][] transposedValues;
    private final float[][] weightGrad;

    private float[] rowsIn = new float[0];
    private float[][] activations = new float[0][];
    private float[] delta = new float[0];
    private float[] deltaBelow = new float[0];
    private float loss;
    private long correct;

    private SparseHoldStep(
            ModelSpec spec, ModelLayout layout, Optimizer optimizer, NDArray[] params, NDArray[][] optimizerState) {
        this.spec = spec;
        this.layout = layout;
        this.optimizer = optimizer;
        this.params = params;
        this.optimizerState = optimizerState;
        this.widths = spec.layerWidths();
        this.layers = widths.length - 1;
        this.maskOf = new int[layers];
        for (int l = 0; l < layers; l++) {
            maskOf[l] = layout.maskIndex(layout.weightOf(l));
        }
        this.zeroBias = new float[layers][];
        this.biasValues = new float[layers][];
        this.biasGrad = new float[layers][];
        for (int l = 0; l < layers; l++) {
            zeroBias[l] = new float[widths[l]];
            biasValues[l] = new float[widths[l + 1]];
            biasGrad[l] = new float[widths[l + 1]];
        }
        this.rowStart = new int[layers][];
        this.columns = new int[layers][];
        this.positions = new int[layers][];
        this.columnStart = new int[layers][];
        this.rowsOfColumns = new int[layers][];
        this.transposed = new int[layers][];
        this.values = new float[layers][];
        this.transposedValues = new float[layers][];
        this.weightGrad = new float[layers][];
        refreshViews();
    }

    /**
     * Returns the step for a trainer's tensors, if its model can take it: fully connected, every
     * weight prunable, the native kernels loaded, and the tensors' memory reachable as direct
     * buffers (on the CPU).
     */
    static Optional<SparseHoldStep> of(
            ModelSpec spec, ModelLayout layout, NDArray[] params, NDArray[][] optimizerState, Optimizer optimizer) {
        if (spec.isConvolutional() || !NativeMaskKernels.available()) {
            return Optional.empty();
        }
        for (int l = 0; l < spec.layerWidths().length - 1; l++) {
            if (layout.maskIndex(layout.weightOf(l)) < 0) {
                return Optional.empty();
            }
        }
        SparseHoldStep step = new SparseHoldStep(spec, layout, optimizer, params, optimizerState);
        return step.viewsDirect ? Optional.of(step) : Optional.empty();
    }

    /**
     * Takes fresh views of the tensors' memory. The engine gives a tensor new memory when it is
     * set from an array (a restore, loaded weights), so every such write must be followed by this:
     * a view of the old memory would write where the allocator has moved on.
     */
    void refreshViews() {
        weights = new FloatBuffer[layers];
        biases = new FloatBuffer[layers];
        weightState = new FloatBuffer[layers][];
        biasState = new FloatBuffer[layers][];
        boolean direct = true;
        for (int l = 0; l < layers; l++) {
            int w = layout.weightOf(l);
            int b = layout.biasOf(l);
            weights[l] = view(params[w]);
            biases[l] = view(params[b]);
            direct &= weights[l] != null && biases[l] != null;
            weightState[l] = new FloatBuffer[optimizerState[w].length];
            biasState[l] = new FloatBuffer[optimizerState[b].length];
            for (int s = 0; s < weightState[l].length; s++) {
                weightState[l][s] = view(optimizerState[w][s]);
                biasState[l][s] = view(optimizerState[b][s]);
                direct &= weightState[l][s] != null && biasState[l][s] != null;
            }
        }
        viewsDirect = direct;
    }

    /** A view of a tensor's own memory, or null where the engine hands out a copy. */
    private static FloatBuffer view(NDArray tensor) {
        ByteBuffer bytes = tensor.toByteBuffer(true);
        return bytes.isDirect() ? bytes.order(ByteOrder.nativeOrder()).asFloatBuffer() : null;
    }

    /**
     * Returns whether the model keeps at most {@code maxDensity} of its weights under these masks.
     * The whole model decides, not each layer: a step's cost is the sum of its layers', dominated by
     * the largest, and global magnitude pruning leaves small layers denser (LeNet-300-100 pruned to
     * 98% at its initialisation keeps 500 of its output layer's 1,000 weights).
     */
    boolean pays(MaskState masks, long maskVersion, double maxDensity) {
        if (!viewsDirect) {
            return false;
        }
        if (maskVersion != densityFor) {
            long kept = 0;
            long all = 0;
            for (int l = 0; l < layers; l++) {
                kept += masks.keptCount(maskOf[l]);
                all += masks.size(maskOf[l]);
            }
            density = (double) kept / all;
            densityFor = maskVersion;
        }
        return density <= maxDensity;
    }

    /** Returns the loss of the last step. */
    float loss() {
        return loss;
    }

    /** Returns how many examples of the last step were predicted right. */
    long correct() {
        return correct;
    }

    /**
     * Trains on one batch.
     *
     * @param features rows x inputs standardised float32 values, native order, from position 0
     * @param maskVersion {@link TensorMasks#version()}, to rebuild the kept positions when it changes
     * @param updates how many updates this step makes it, from 1
     * @return what it did
     */
    Outcome step(
            ByteBuffer features,
            int rows,
            int[] labels,
            float[] targets,
            MaskState masks,
            long maskVersion,
            float lr,
            long updates,
            float maxGradientNorm) {
        if (maskVersion != builtFor) {
            index(masks);
            builtFor = maskVersion;
        }
        int width = rows > 16 ? 32 : 16;
        int tiles = (rows + width - 1) / width;
        pack(features, rows, width, tiles);

        for (int l = 0; l < layers; l++) {
            FloatBuffer w = weights[l];
            int[] at = positions[l];
            float[] v = values[l];
            for (int k = 0; k < at.length; k++) {
                v[k] = w.get(at[k]);
            }
            float[] bias = biasValues[l];
            biases[l].get(0, bias);
            check(NativeMaskKernels.spmm(
                    rowStart[l],
                    columns[l],
                    v,
                    bias,
                    activations[l],
                    activations[l + 1],
                    widths[l],
                    widths[l + 1],
                    tiles,
                    width,
                    l < layers - 1));
        }
        lossAndDelta(activations[layers], rows, labels, targets, width, tiles);
        if (!Float.isFinite(loss)) {
            return Outcome.NON_FINITE_LOSS;
        }

        for (int l = layers - 1; l >= 0; l--) {
            int out = widths[l + 1];
            int in = widths[l];
            sumOverBatch(delta, out, width, tiles, biasGrad[l]);
            // the dense step rolls back when any tensor's gradient norm passes the limit; the norm
            // of the whole weight gradient dz^T a is at most |dz| |a|, which this step can compute
            double bound = Math.sqrt(sumSquares(delta, out * width * tiles))
                    * Math.sqrt(sumSquares(activations[l], in * width * tiles));
            if (!(bound <= maxGradientNorm) || !(norm(biasGrad[l], out) <= maxGradientNorm)) {
                return Outcome.DECLINED;
            }
            check(NativeMaskKernels.sddmm(
                    rowStart[l], columns[l], delta, activations[l], weightGrad[l], in, out, tiles, width));
            if (l > 0) {
                float[] tv = transposedValues[l];
                int[] perm = transposed[l];
                for (int k = 0; k < perm.length; k++) {
                    tv[k] = values[l][perm[k]];
                }
                check(NativeMaskKernels.spmm(
                        columnStart[l],
                        rowsOfColumns[l],
                        tv,
                        zeroBias[l],
                        delta,
                        deltaBelow,
                        out,
                        in,
                        tiles,
                        width,
                        false));
                // through the ReLU: a hidden unit passes its gradient where its output is positive
                float[] a = activations[l];
                int n = in * width * tiles;
                for (int i = 0; i < n; i++) {
                    deltaBelow[i] = a[i] > 0 ? deltaBelow[i] : 0f;
                }
                float[] swap = delta;
                delta = deltaBelow;
                deltaBelow = swap;
            }
        }
        for (int l = 0; l < layers; l++) {
            optimizer.updateEntries(weights[l], positions[l], weightGrad[l], weightState[l], lr, updates);
            optimizer.updateEntries(biases[l], null, biasGrad[l], biasState[l], lr, updates);
        }
        return Outcome.TRAINED;
    }

    /** Compressed rows and columns of every layer's kept weights, and the buffers sized by them. */
    private void index(MaskState masks) {
        for (int l = 0; l < layers; l++) {
            int in = widths[l];
            int out = widths[l + 1];
            int m = maskOf[l];
            int nnz = Math.toIntExact(masks.keptCount(m));
            int[] starts = new int[out + 1];
            int[] cols = new int[nnz];
            int[] at = new int[nnz];
            int[] perColumn = new int[in + 1];
            int k = 0;
            for (int r = 0; r < out; r++) {
                starts[r] = k;
                for (int c = 0; c < in; c++) {
                    if (masks.isKept(m, r * in + c)) {
                        cols[k] = c;
                        at[k] = r * in + c;
                        perColumn[c + 1]++;
                        k++;
                    }
                }
            }
            starts[out] = k;
            for (int c = 0; c < in; c++) {
                perColumn[c + 1] += perColumn[c];
            }
            int[] next = Arrays.copyOf(perColumn, in);
            int[] rowsOf = new int[nnz];
            int[] perm = new int[nnz];
            for (int r = 0; r < out; r++) {
                for (int j = starts[r]; j < starts[r + 1]; j++) {
                    int slot = next[cols[j]]++;
                    rowsOf[slot] = r;
                    perm[slot] = j;
                }
            }
            rowStart[l] = starts;
            columns[l] = cols;
            positions[l] = at;
            columnStart[l] = perColumn;
            rowsOfColumns[l] = rowsOf;
            transposed[l] = perm;
            values[l] = new float[nnz];
            transposedValues[l] = new float[nnz];
            weightGrad[l] = new float[nnz];
        }
    }

    /** Packs the batch into tiles, the layers' activation buffers sized for it. */
    private void pack(ByteBuffer features, int rows, int width, int tiles) {
        int in = widths[0];
        if (activations.length == 0 || activations[0].length != tiles * in * width) {
            activations = new float[layers + 1][];
            int widest = 0;
            for (int l = 0; l <= layers; l++) {
                activations[l] = new float[tiles * widths[l] * width];
                widest = Math.max(widest, widths[l]);
            }
            delta = new float[tiles * widest * width];
            deltaBelow = new float[tiles * widest * width];
        }
        if (features.isDirect() && features.order() == ByteOrder.nativeOrder()) {
            check(NativeMaskKernels.packDirect(features, activations[0], rows, in, width));
        } else {
            if (rowsIn.length < rows * in) {
                rowsIn = new float[rows * in];
            }
            features.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().get(0, rowsIn, 0, rows * in);
            check(NativeMaskKernels.repack(rowsIn, activations[0], rows, in, width, true));
        }
    }

    /**
     * The mean loss of the batch and its gradient with respect to the outputs, into {@link #delta}
     * (padded examples get 0); and how many examples were right.
     */
    private void lossAndDelta(float[] out, int rows, int[] labels, float[] targets, int width, int tiles) {
        int outputs = widths[layers];
        Arrays.fill(delta, 0, tiles * outputs * width, 0f);
        double sum = 0;
        long right = 0;
        float perRow = 1f / rows;
        for (int e = 0; e < rows; e++) {
            int base = (e / width) * outputs * width + e % width;
            if (spec.kind() == ModelKind.LINEAR_REGRESSION) {
                float diff = out[base] - targets[e];
                sum += (double) diff * diff;
                delta[base] = 2f * diff * perRow;
            } else if (spec.kind() == ModelKind.LOGISTIC_REGRESSION) {
                float z = out[base];
                float y = labels[e];
                // relu(z) - z y + log(1 + exp(-|z|)), stable for any z
                sum += Math.max(z, 0) - (double) z * y + Math.log1p(Math.exp(-Math.abs(z)));
                delta[base] = ((float) (1 / (1 + Math.exp(-z))) - y) * perRow;
                if ((z > 0) == (y > 0.5f)) {
                    right++;
                }
            } else {
                float max = Float.NEGATIVE_INFINITY;
                int best = 0;
                for (int c = 0; c < outputs; c++) {
                    float z = out[base + c * width];
                    if (z > max) {
                        max = z;
                        best = c;
                    }
                }
                double total = 0;
                for (int c = 0; c < outputs; c++) {
                    total += Math.exp(out[base + c * width] - max);
                }
                double logTotal = Math.log(total);
                sum += logTotal - (out[base + labels[e] * width] - max);
                for (int c = 0; c < outputs; c++) {
                    double p = Math.exp(out[base + c * width] - max - logTotal);
                    delta[base + c * width] = (float) ((p - (c == labels[e] ? 1 : 0)) * perRow);
                }
                if (best == labels[e]) {
                    right++;
                }
            }
        }
        loss = (float) (sum / rows);
        correct = right;
    }

    /** Each unit's sum over the batch of a packed buffer, into {@code sums}. */
    private static void sumOverBatch(float[] packed, int units, int width, int tiles, float[] sums) {
        Arrays.fill(sums, 0f);
        for (int t = 0; t < tiles; t++) {
            for (int u = 0; u < units; u++) {
                int base = (t * units + u) * width;
                float s = 0;
                for (int lane = 0; lane < width; lane++) {
                    s += packed[base + lane];
                }
                sums[u] += s;
            }
        }
    }

    private static double norm(float[] values, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) values[i] * values[i];
        }
        return Math.sqrt(s);
    }

    private static float sumSquares(float[] values, int n) {
        float s = NativeMaskKernels.sumSquares(values, n);
        if (s < 0) {
            throw new IllegalStateException("a native training kernel could not pin its arrays");
        }
        return s;
    }

    private static void check(int nativeResult) {
        if (nativeResult != 0) {
            throw new IllegalStateException("a native training kernel could not pin its arrays");
        }
    }
}
