package org.cyclicalpruning.serving;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.cyclicalpruning.modelops.model.ConvFront;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * The convolutional front of a {@link SparsePredictor}: each convolution as a matrix product, its
 * filters ({@code filters × channels·kernel·kernel}, sparse or dense like a fully connected layer)
 * times the image patches of a chunk of output positions (im2col, packed straight into the
 * kernels' tiles, one column per position of every example in the batch), then ReLU; max-pools in
 * Java. Activations are NCHW rows, as the model's flatten expects them. A batch normalisation is
 * folded into its convolution's filters and bias ({@link #foldBatchNorm}), so it costs nothing
 * per prediction and the pruned weights stay zero.
 */
final class SparseConvFront {
    /** Tiles of output positions per kernel call: the chunk's patches stay in the second-level cache. */
    private static final int TILES_PER_CHUNK = 8;

    private sealed interface Stage permits Conv, Pool {}

    private record Conv(
            int channels,
            int height,
            int width,
            int kernel,
            int padding,
            int outHeight,
            int outWidth,
            SparseLayer weights)
            implements Stage {}

    private record Pool(int channels, int height, int width, int size) implements Stage {}

    private final Stage[] stages;
    private final KernelCrossover crossover;

    private SparseConvFront(Stage[] stages, KernelCrossover crossover) {
        this.stages = stages;
        this.crossover = crossover;
    }

    static SparseConvFront of(ModelSpec spec, List<SparseTensor> tensors, KernelCrossover crossover) {
        ConvFront front = spec.front();
        ModelLayout layout = spec.layout();
        List<Stage> stages = new ArrayList<>();
        int[] in = {front.channels(), front.height(), front.width()};
        int conv = 0;
        for (ConvFront.Layer layer : front.layers()) {
            int[] out = layer.outputShape(in);
            if (layer instanceof ConvFront.Conv cv) {
                int k = cv.kernel();
                SparseTensor weight = tensors.get(layout.convWeightOf(conv));
                SparseTensor bias = tensors.get(layout.convBiasOf(conv));
                OptionalInt norm = layout.batchNormOf(conv);
                if (norm.isPresent()) {
                    SparseTensor[] folded =
                            foldBatchNorm(weight, bias, tensors.subList(norm.getAsInt(), norm.getAsInt() + 4));
                    weight = folded[0];
                    bias = folded[1];
                }
                SparseLayer weights = SparseLayer.of(weight, bias, in[0] * k * k, cv.filters(), crossover);
                stages.add(new Conv(in[0], in[1], in[2], k, cv.padding(), out[1], out[2], weights));
                conv++;
            } else if (layer instanceof ConvFront.MaxPool pool) {
                stages.add(new Pool(in[0], in[1], in[2], pool.size()));
            }
            in = out;
        }
        return new SparseConvFront(stages.toArray(Stage[]::new), crossover);
    }

    /**
     * Returns a convolution's filters and bias with the batch normalisation after it folded in:
     * normalising {@code W·x + b} with running mean μ and variance σ², scale γ and shift β is
     * {@code (s·W)·x + s·(b − μ) + β} with {@code s = γ / sqrt(σ² + ε)} per filter.
     *
     * @param norm gamma, beta, running mean and running variance
     */
    static SparseTensor[] foldBatchNorm(SparseTensor weight, SparseTensor bias, List<SparseTensor> norm) {
        float[] w = SparseTensorCodec.decode(weight);
        float[] b = SparseTensorCodec.decode(bias);
        float[] gamma = SparseTensorCodec.decode(norm.get(0));
        float[] beta = SparseTensorCodec.decode(norm.get(1));
        float[] mean = SparseTensorCodec.decode(norm.get(2));
        float[] variance = SparseTensorCodec.decode(norm.get(3));
        int perFilter = w.length / b.length;
        for (int f = 0; f < b.length; f++) {
            double scale = gamma[f] / Math.sqrt((double) variance[f] + ConvFront.BATCH_NORM_EPSILON);
            for (int i = f * perFilter; i < (f + 1) * perFilter; i++) {
                w[i] = (float) (w[i] * scale);
            }
            b[f] = (float) ((b[f] - (double) mean[f]) * scale + beta[f]);
        }
        return new SparseTensor[] {
            SparseTensorCodec.encode(weight.getName(), shape(weight), w),
            SparseTensorCodec.encode(bias.getName(), shape(bias), b)
        };
    }

    private static int[] shape(SparseTensor t) {
        return t.getShape().stream().mapToInt(Integer::intValue).toArray();
    }

    /** Returns {@code rows} examples' features for the fully connected part, NCHW-flattened. */
    float[] forward(float[] x, int rows) {
        for (Stage stage : stages) {
            x = stage instanceof Conv conv ? convolve(conv, x, rows) : pool((Pool) stage, x, rows);
        }
        return x;
    }

    private float[] convolve(Conv conv, float[] x, int rows) {
        SparseLayer weights = conv.weights;
        int positions = conv.outHeight * conv.outWidth;
        int columns = rows * positions;
        int width = SparsePredictor.tileWidth(columns);
        int tiles = (columns + width - 1) / width;
        int chunk = Math.min(TILES_PER_CHUNK, tiles);
        Scratch scratch = Scratch.ofThisThread();
        float[] panel = scratch.get(Scratch.PATCHES, chunk * weights.inputs() * width);
        float[] out = scratch.get(Scratch.PATCH_OUT, chunk * weights.outputs() * width);
        float[] y = new float[rows * weights.outputs() * positions];
        for (int t0 = 0; t0 < tiles; t0 += chunk) {
            int n = Math.min(chunk, tiles - t0);
            im2col(conv, x, columns, t0, n, width, panel);
            weights.multiply(panel, out, columns, n, width, true, crossover);
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < width; j++) {
                    int column = (t0 + t) * width + j;
                    if (column >= columns) {
                        break;
                    }
                    int example = column / positions;
                    int position = column % positions;
                    int from = t * weights.outputs() * width + j;
                    int to = example * weights.outputs() * positions + position;
                    for (int f = 0; f < weights.outputs(); f++) {
                        y[to + f * positions] = out[from + f * width];
                    }
                }
            }
        }
        return y;
    }

    /** Writes the patches of tiles [t0, t0 + n) into {@code panel}: row (c, kh, kw), a column per output position. */
    private static void im2col(Conv conv, float[] x, int columns, int t0, int n, int width, float[] panel) {
        int k = conv.kernel;
        int positions = conv.outHeight * conv.outWidth;
        int image = conv.channels * conv.height * conv.width;
        int inputs = conv.channels * k * k;
        for (int t = 0; t < n; t++) {
            int block = t * inputs * width;
            for (int j = 0; j < width; j++) {
                int column = (t0 + t) * width + j;
                if (column >= columns) {
                    for (int i = 0; i < inputs; i++) {
                        panel[block + i * width + j] = 0f;
                    }
                    continue;
                }
                int example = column / positions;
                int oh = (column % positions) / conv.outWidth;
                int ow = column % conv.outWidth;
                int i = 0;
                for (int c = 0; c < conv.channels; c++) {
                    int plane = example * image + c * conv.height * conv.width;
                    for (int kh = 0; kh < k; kh++) {
                        int ih = oh + kh - conv.padding;
                        boolean rowInside = ih >= 0 && ih < conv.height;
                        for (int kw = 0; kw < k; kw++, i++) {
                            int iw = ow + kw - conv.padding;
                            panel[block + i * width + j] =
                                    rowInside && iw >= 0 && iw < conv.width ? x[plane + ih * conv.width + iw] : 0f;
                        }
                    }
                }
            }
        }
    }

    private static float[] pool(Pool pool, float[] x, int rows) {
        int s = pool.size;
        int oh = pool.height / s;
        int ow = pool.width / s;
        float[] y = new float[rows * pool.channels * oh * ow];
        int o = 0;
        for (int plane = 0; plane < rows * pool.channels; plane++) {
            int base = plane * pool.height * pool.width;
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int dr = 0; dr < s; dr++) {
                        int row = base + (r * s + dr) * pool.width + c * s;
                        for (int dc = 0; dc < s; dc++) {
                            float v = x[row + dc];
                            // NaN wins, as in PyTorch's max-pool
                            if (v > max || Float.isNaN(v)) {
                                max = v;
                            }
                        }
                    }
                    y[o++] = max;
                }
            }
        }
        return y;
    }

    /** Returns how each convolution runs at a batch of {@code rows} examples. */
    List<SparsePredictor.LayerPath> plan(int rows) {
        List<SparsePredictor.LayerPath> plan = new ArrayList<>();
        for (Stage stage : stages) {
            if (stage instanceof Conv conv) {
                int columns = rows * conv.outHeight * conv.outWidth;
                SparseLayer w = conv.weights;
                plan.add(new SparsePredictor.LayerPath(
                        w.inputs(), w.outputs(), w.values().length, w.kernel(columns, crossover)));
            }
        }
        return plan;
    }

    /** Returns the non-zero weights of the convolutions (each used once per output position). */
    long nonZeroWeights() {
        return Arrays.stream(stages)
                .filter(Conv.class::isInstance)
                .mapToLong(s -> ((Conv) s).weights.values().length)
                .sum();
    }
}
