package org.cyclicalpruning.serving;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * Runs a snapshot from its sparse form, without DJL or native memory: the snapshot's input
 * standardisation, then per layer {@code y = W·x + b}, ReLU between layers.
 *
 * <p>Work per example is proportional to the non-zero weights, so a model pruned to 95% costs a
 * twentieth of its dense forward pass; this is what makes pruning pay off when serving on the
 * CPU. Weights are kept in compressed sparse rows (row starts, column indices, values), the form
 * in which the snapshot's row-major support already arrives. Batches of {@link #BATCHED_FROM}
 * rows or more run in native kernels (float sums, the batch as the vector dimension) where they
 * loaded: per layer the sparse kernel, or the dense one if the layer is dense enough that it wins
 * at that batch size ({@link KernelCrossover}; {@link #plan} says which). Smaller batches, and
 * every batch without the kernels, accumulate each example's sums in double over the non-zero
 * weights and round each layer's outputs to float. Either way results match a float32 dense
 * forward pass to about 1e-6 relative.
 *
 * <p>A convolutional model's front runs first, in the same kernels: each convolution is its
 * filters times the image patches of every output position of the batch ({@link
 * SparseConvFront}), sparse or dense by the same crossover; max-pools in Java.
 *
 * <p>Immutable and thread-safe: any number of threads may predict at once.
 */
public final class SparsePredictor extends StandardizingPredictor {
    private final SparseConvFront front;
    private final SparseLayer[] layers;
    private final KernelCrossover crossover;

    /**
     * How a predictor runs one layer at a batch size.
     *
     * @param inputs the layer's inputs
     * @param outputs the layer's outputs
     * @param nonZeros its non-zero weights
     * @param kernel {@code "rows"} (example by example over the non-zero weights), {@code "sparse"}
     *     (the native sparse kernel), {@code "dense"} (the native dense kernel) or {@code "java"}
     *     (a convolution's product in Java, without the native library)
     */
    public record LayerPath(int inputs, int outputs, long nonZeros, String kernel) {
        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "%dx%d %.1f%% dense: %s",
                    inputs,
                    outputs,
                    100.0 * nonZeros / ((double) inputs * outputs),
                    kernel);
        }
    }

    private SparsePredictor(
            ModelSpec spec,
            SparseConvFront front,
            SparseLayer[] layers,
            KernelCrossover crossover,
            Optional<InputStandardization> scale) {
        super(spec, scale);
        this.front = front;
        this.layers = layers;
        this.crossover = crossover;
    }

    /**
     * Builds the predictor from a snapshot, each layer's kernel chosen by this process's {@link
     * KernelCrossover#current() crossover}.
     *
     * @param snapshot the snapshot; not modified, not retained
     * @return the predictor
     * @throws IllegalArgumentException if a tensor is malformed or does not fit the spec
     */
    public static SparsePredictor of(SparseModelSnapshot snapshot) {
        return of(snapshot, KernelCrossover.current());
    }

    /**
     * Builds the predictor from a snapshot, each layer's kernel chosen by {@code crossover}.
     *
     * @param snapshot the snapshot; not modified, not retained
     * @param crossover where layers switch to the dense kernel
     * @return the predictor
     * @throws IllegalArgumentException if a tensor is malformed or does not fit the spec
     */
    public static SparsePredictor of(SparseModelSnapshot snapshot, KernelCrossover crossover) {
        ModelSpec spec = ModelSnapshots.checkedSpec(snapshot);
        List<SparseTensor> tensors = snapshot.getTensors();
        ModelLayout layout = spec.layout();
        int[] widths = spec.layerWidths();
        SparseLayer[] layers = new SparseLayer[widths.length - 1];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = SparseLayer.of(
                    tensors.get(layout.weightOf(l)),
                    tensors.get(layout.biasOf(l)),
                    widths[l],
                    widths[l + 1],
                    crossover);
        }
        SparseConvFront front = spec.isConvolutional() ? SparseConvFront.of(spec, tensors, crossover) : null;
        return new SparsePredictor(spec, front, layers, crossover, ModelSnapshots.inputStandardization(snapshot));
    }

    @Override
    float[] forward(float[] x, int rows) {
        if (front != null) {
            x = front.forward(x, rows);
        }
        return rows >= BATCHED_FROM && NativeMaskKernels.available() ? forwardBatched(x, rows) : forwardByRow(x, rows);
    }

    /**
     * From this many rows on, a batch runs in the native kernels with the batch as the vector
     * dimension: packed in tiles of 16 or 32 examples, one output's sums for a tile in registers
     * while each of its weights adds its input's slice of the tile.
     */
    static final int BATCHED_FROM = 8;

    /** Returns the tile of the native kernels for a batch: two vector registers of sums, or one for small batches. */
    static int tileWidth(int rows) {
        return rows >= 32 ? 32 : 16;
    }

    private float[] forwardBatched(float[] x, int rows) {
        int width = tileWidth(rows);
        int tiles = (rows + width - 1) / width;
        Scratch scratch = Scratch.ofThisThread();
        float[] xp = scratch.get(Scratch.LAYER_IN, tiles * width * layers[0].inputs());
        check(NativeMaskKernels.repack(x, xp, rows, layers[0].inputs(), width, true));
        for (int l = 0; l < layers.length; l++) {
            SparseLayer layer = layers[l];
            float[] yp =
                    scratch.get(l % 2 == 0 ? Scratch.LAYER_OUT : Scratch.LAYER_IN, tiles * width * layer.outputs());
            layer.multiply(xp, yp, rows, tiles, width, l < layers.length - 1, crossover);
            xp = yp;
        }
        int outputs = layers[layers.length - 1].outputs();
        float[] y = new float[rows * outputs];
        check(NativeMaskKernels.repack(xp, y, rows, outputs, width, false));
        return y;
    }

    private static void check(int rc) {
        if (rc != 0) {
            throw new IllegalStateException("the native repacking could not pin its arrays");
        }
    }

    private float[] forwardByRow(float[] x, int rows) {
        for (int l = 0; l < layers.length; l++) {
            SparseLayer layer = layers[l];
            boolean relu = l < layers.length - 1;
            int[] rowStart = layer.rowStart();
            int[] columns = layer.columns();
            float[] values = layer.values();
            float[] y = new float[rows * layer.outputs()];
            for (int n = 0; n < rows; n++) {
                int xOffset = n * layer.inputs();
                int yOffset = n * layer.outputs();
                for (int r = 0; r < layer.outputs(); r++) {
                    double sum = layer.bias()[r];
                    for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                        sum += (double) values[k] * x[xOffset + columns[k]];
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

    /**
     * Returns how each layer runs at a batch of {@code rows} examples.
     *
     * @param rows batch size, > 0
     */
    public List<LayerPath> plan(int rows) {
        boolean batched = rows >= BATCHED_FROM && NativeMaskKernels.available();
        List<LayerPath> plan = new ArrayList<>(front == null ? List.of() : front.plan(rows));
        for (SparseLayer layer : layers) {
            String kernel = batched ? layer.kernel(rows, crossover) : "rows";
            plan.add(new LayerPath(layer.inputs(), layer.outputs(), layer.values().length, kernel));
        }
        return plan;
    }

    /**
     * Returns the number of non-zero weights of the model: the multiplies per example of a fully
     * connected model (a convolution's weights are used once per output position).
     */
    public long nonZeroWeights() {
        long n = front == null ? 0 : front.nonZeroWeights();
        for (SparseLayer layer : layers) {
            n += layer.values().length;
        }
        return n;
    }

    @Override
    public String toString() {
        return "SparsePredictor[" + spec + ", " + nonZeroWeights() + " non-zero weights]";
    }
}
