package org.cyclicalpruning.modelops.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * The parameter tensors of a model in the order its DJL block lists them: each one's name, shape,
 * layer and whether magnitude pruning applies to it. Every part of the system that walks a
 * model's tensors (the trainer, its state, snapshots, predictors, exports) asks this class rather
 * than assuming an order.
 *
 * <p>For the models of {@link ModelSpec}: per convolution a weight of shape (filters, channels,
 * kernel, kernel), prunable, and a bias (filters), dense, as DJL's {@code Conv2d} stores them, and
 * if batch normalisation follows it, {@code bn<c>.gamma}, {@code bn<c>.beta} (trained, dense),
 * {@code bn<c>.running_mean} and {@code bn<c>.running_var} (statistics the forward pass keeps, not
 * trained), each of shape (filters), as DJL's {@code BatchNorm} stores them; then per fully
 * connected layer a weight of shape (out, in), prunable, and a bias of shape (out), dense, as
 * DJL's {@code Linear} stores them.
 */
public final class ModelLayout {
    private final List<Tensor> tensors;
    private final int[] prunable;
    private final int[] maskIndex;
    private final int[] convWeights;
    private final int[] batchNorms;
    private final int denseWeights;

    /** What a tensor is to its layer, which decides how it starts, trains and is pruned. */
    public enum Role {
        /** Weights: initialised at random, trained, pruned. */
        WEIGHT,
        /** Biases: initialised at random, trained, dense. */
        BIAS,
        /** Batch normalisation's scale: starts at 1, trained, dense. */
        NORM_SCALE,
        /** Batch normalisation's shift: starts at 0, trained, dense. */
        NORM_SHIFT,
        /** Batch normalisation's running mean: starts at 0, kept by the forward pass, not trained. */
        RUNNING_MEAN,
        /** Batch normalisation's running variance: starts at 1, kept by the forward pass, not trained. */
        RUNNING_VAR;

        /** Returns whether the optimizer updates tensors of this role from their gradients. */
        public boolean trainable() {
            return this != RUNNING_MEAN && this != RUNNING_VAR;
        }
    }

    /**
     * One parameter tensor.
     *
     * @param name e.g. {@code layer0.weight}
     * @param shape dimensions, outermost first
     * @param layer the layer it belongs to, from 0
     * @param role what it is to its layer: only weights are pruned, running statistics not trained
     * @param fanIn inputs of its layer, which scales the initialisation
     */
    public record Tensor(String name, int[] shape, int layer, Role role, int fanIn) {
        public Tensor {
            shape = shape.clone();
        }

        /** Returns whether masks apply to it (weights) or not (everything else). */
        public boolean prunable() {
            return role == Role.WEIGHT;
        }

        /** Returns whether the optimizer trains it (everything but running statistics). */
        public boolean trainable() {
            return role.trainable();
        }

        /** Returns the number of values. */
        public int size() {
            int n = 1;
            for (int d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** Returns the length of the innermost dimension: N:M groups run along it. */
        public int rowLength() {
            return shape[shape.length - 1];
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tensor t
                    && t.name.equals(name)
                    && Arrays.equals(t.shape, shape)
                    && t.layer == layer
                    && t.role == role
                    && t.fanIn == fanIn;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + (prunable() ? "" : " dense");
        }
    }

    private ModelLayout(List<Tensor> tensors, int[] convWeights, int[] batchNorms, int denseWeights) {
        this.tensors = List.copyOf(tensors);
        this.convWeights = convWeights;
        this.batchNorms = batchNorms;
        this.denseWeights = denseWeights;
        this.maskIndex = new int[tensors.size()];
        List<Integer> prunableList = new ArrayList<>();
        for (int p = 0; p < tensors.size(); p++) {
            maskIndex[p] = tensors.get(p).prunable() ? prunableList.size() : -1;
            if (tensors.get(p).prunable()) {
                prunableList.add(p);
            }
        }
        this.prunable = prunableList.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Returns the layout of a model.
     *
     * @param spec the model
     * @return its tensors
     */
    public static ModelLayout of(ModelSpec spec) {
        List<Tensor> tensors = new ArrayList<>();
        int channels = spec.front().channels();
        List<ConvFront.Conv> convolutions = spec.front().convolutions();
        int[] convWeights = new int[convolutions.size()];
        int[] batchNorms = new int[convolutions.size()];
        for (int c = 0; c < convolutions.size(); c++) {
            ConvFront.Conv conv = convolutions.get(c);
            int k = conv.kernel();
            int fanIn = channels * k * k;
            int[] perFilter = {conv.filters()};
            convWeights[c] = tensors.size();
            tensors.add(new Tensor(
                    "conv" + c + ".weight", new int[] {conv.filters(), channels, k, k}, c, Role.WEIGHT, fanIn));
            tensors.add(new Tensor("conv" + c + ".bias", perFilter, c, Role.BIAS, fanIn));
            batchNorms[c] = conv.batchNorm() ? tensors.size() : -1;
            if (conv.batchNorm()) {
                tensors.add(new Tensor("bn" + c + ".gamma", perFilter, c, Role.NORM_SCALE, fanIn));
                tensors.add(new Tensor("bn" + c + ".beta", perFilter, c, Role.NORM_SHIFT, fanIn));
                tensors.add(new Tensor("bn" + c + ".running_mean", perFilter, c, Role.RUNNING_MEAN, fanIn));
                tensors.add(new Tensor("bn" + c + ".running_var", perFilter, c, Role.RUNNING_VAR, fanIn));
            }
            channels = conv.filters();
        }
        int[] w = spec.layerWidths();
        int first = convolutions.size();
        int denseWeights = tensors.size();
        for (int l = 0; l + 1 < w.length; l++) {
            tensors.add(new Tensor("layer" + l + ".weight", new int[] {w[l + 1], w[l]}, first + l, Role.WEIGHT, w[l]));
            tensors.add(new Tensor("layer" + l + ".bias", new int[] {w[l + 1]}, first + l, Role.BIAS, w[l]));
        }
        return new ModelLayout(tensors, convWeights, batchNorms, denseWeights);
    }

    /** Returns every tensor, in parameter order. */
    public List<Tensor> tensors() {
        return tensors;
    }

    /** Returns tensor {@code p}. */
    public Tensor tensor(int p) {
        return tensors.get(p);
    }

    /** Returns the number of tensors. */
    public int size() {
        return tensors.size();
    }

    /** Returns the tensor names in parameter order. */
    public List<String> names() {
        return tensors.stream().map(Tensor::name).toList();
    }

    /** Returns every tensor's shape, in parameter order. */
    public int[][] shapes() {
        return tensors.stream().map(Tensor::shape).toArray(int[][]::new);
    }

    /** Returns the parameter indices of the prunable tensors; mask {@code t} belongs to parameter {@code prunable()[t]}. */
    public int[] prunable() {
        return prunable.clone();
    }

    /** Returns the number of prunable tensors, which is the number of masks. */
    public int prunableCount() {
        return prunable.length;
    }

    /** Returns the mask index of parameter {@code p}, or -1 if it is not prunable. */
    public int maskIndex(int p) {
        return maskIndex[p];
    }

    /** Returns the element counts of the prunable tensors, in mask order. */
    public int[] prunableSizes() {
        return Arrays.stream(prunable).map(p -> tensors.get(p).size()).toArray();
    }

    /** Returns the row lengths of the prunable tensors, in mask order. */
    public int[] prunableRowLengths() {
        return Arrays.stream(prunable).map(p -> tensors.get(p).rowLength()).toArray();
    }

    /**
     * Returns the distance between the weights of an N:M group of each prunable tensor, in mask
     * order: 1 for fully connected weights (consecutive inputs), kernel height × width for
     * convolutions (consecutive input channels).
     */
    public int[] prunableGroupStrides() {
        return Arrays.stream(prunable)
                .map(p -> tensors.get(p).shape().length == 4
                        ? tensors.get(p).shape()[2] * tensors.get(p).shape()[3]
                        : 1)
                .toArray();
    }

    /** Returns the inputs each weight of the prunable tensors sums over (its layer's fan-in), in mask order. */
    public int[] prunableFanIns() {
        return Arrays.stream(prunable).map(p -> tensors.get(p).fanIn()).toArray();
    }

    /** Returns the parameter index of fully connected layer {@code l}'s weight (l from 0). */
    public int weightOf(int layer) {
        return denseWeights + 2 * layer;
    }

    /** Returns the parameter index of fully connected layer {@code l}'s bias (l from 0). */
    public int biasOf(int layer) {
        return denseWeights + 2 * layer + 1;
    }

    /** Returns the parameter index of convolution {@code c}'s weight (c from 0). */
    public int convWeightOf(int conv) {
        return convWeights[conv];
    }

    /** Returns the parameter index of convolution {@code c}'s bias (c from 0). */
    public int convBiasOf(int conv) {
        return convWeights[conv] + 1;
    }

    /**
     * Returns the parameter index of the batch normalisation after convolution {@code c}: its
     * gamma, followed by beta, running mean and running variance; empty if it has none.
     */
    public OptionalInt batchNormOf(int conv) {
        return batchNorms[conv] < 0 ? OptionalInt.empty() : OptionalInt.of(batchNorms[conv]);
    }

    @Override
    public String toString() {
        return tensors.toString();
    }
}
