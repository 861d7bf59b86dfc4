package org.cyclicalpruning.modelops.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parameter tensors of a model in the order its DJL block lists them: each one's name, shape,
 * layer and whether magnitude pruning applies to it. Every part of the system that walks a
 * model's tensors (the trainer, its state, snapshots, predictors, exports) asks this class rather
 * than assuming an order.
 *
 * <p>For the fully connected models of {@link ModelSpec}: per layer a weight of shape (out, in),
 * prunable, then a bias of shape (out), dense, as DJL's {@code Linear} stores them.
 */
public final class ModelLayout {
    private final List<Tensor> tensors;
    private final int[] prunable;
    private final int[] maskIndex;

    /**
     * One parameter tensor.
     *
     * @param name e.g. {@code layer0.weight}
     * @param shape dimensions, outermost first
     * @param layer the layer it belongs to, from 0
     * @param prunable whether masks apply to it (weights) or not (biases)
     * @param fanIn inputs of its layer, which scales the initialisation
     */
    public record Tensor(String name, int[] shape, int layer, boolean prunable, int fanIn) {
        public Tensor {
            shape = shape.clone();
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
                    && t.prunable == prunable
                    && t.fanIn == fanIn;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + (prunable ? "" : " dense");
        }
    }

    private ModelLayout(List<Tensor> tensors) {
        this.tensors = List.copyOf(tensors);
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
        int[] w = spec.layerWidths();
        List<Tensor> tensors = new ArrayList<>();
        for (int l = 0; l + 1 < w.length; l++) {
            tensors.add(new Tensor("layer" + l + ".weight", new int[] {w[l + 1], w[l]}, l, true, w[l]));
            tensors.add(new Tensor("layer" + l + ".bias", new int[] {w[l + 1]}, l, false, w[l]));
        }
        return new ModelLayout(tensors);
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

    /** Returns the parameter index of layer {@code l}'s weight. */
    public int weightOf(int layer) {
        return 2 * layer;
    }

    /** Returns the parameter index of layer {@code l}'s bias. */
    public int biasOf(int layer) {
        return 2 * layer + 1;
    }

    @Override
    public String toString() {
        return tensors.toString();
    }
}
