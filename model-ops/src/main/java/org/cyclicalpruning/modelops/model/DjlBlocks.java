package org.cyclicalpruning.modelops.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

/**
 * A {@link ModelSpec} as a DJL block, for training and for DJL's dense predictor. Apart from
 * {@link ModelSpec} so that reading snapshots and predicting with the sparse kernels load no DJL
 * class: a serving application needs no DJL on its class path.
 */
public final class DjlBlocks {
    private DjlBlocks() {}

    /**
     * Builds the DJL block of {@code spec}: for a convolutional model the rows reshaped into images, {@link
     * Conv2d} (with {@link BatchNorm} where the spec asks) with ReLU and max-pools, flattened;
     * then {@link Linear} layers with ReLU between them.
     *
     * <p>Parameter order (as {@code block.getParameters()} lists them) is that of {@link
     * ModelSpec#layout()}: layer by layer, weight then bias, then a batch normalisation's four; convolution
     * weights have shape (filters, channels, kernel, kernel), fully connected ones (out, in). The
     * block takes rows of {@link ModelSpec#inputs()} features.
     */
    public static Block of(ModelSpec spec) {
        SequentialBlock block = new SequentialBlock();
        if (spec.isConvolutional()) {
            ConvFront front = spec.front();
            Shape image = new Shape(front.channels(), front.height(), front.width());
            block.add(new LambdaBlock(
                    x -> new NDList(x.singletonOrThrow().reshape(new Shape(-1).addAll(image))), "image"));
            for (ConvFront.Layer layer : front.layers()) {
                if (layer instanceof ConvFront.Conv conv) {
                    block.add(Conv2d.builder()
                            .setFilters(conv.filters())
                            .setKernelShape(new Shape(conv.kernel(), conv.kernel()))
                            .optPadding(new Shape(conv.padding(), conv.padding()))
                            .build());
                    if (conv.batchNorm()) {
                        // DJL's default momentum (0.9 kept) is PyTorch's 0.1 (0.1 of the batch taken)
                        block.add(BatchNorm.builder()
                                .optEpsilon(ConvFront.BATCH_NORM_EPSILON)
                                .build());
                    }
                    block.add(Activation.reluBlock());
                } else if (layer instanceof ConvFront.MaxPool pool) {
                    Shape window = new Shape(pool.size(), pool.size());
                    block.add(Pool.maxPool2dBlock(window, window));
                }
            }
            block.add(Blocks.batchFlattenBlock());
        }
        int[] w = spec.layerWidths();
        for (int i = 1; i < w.length; i++) {
            block.add(Linear.builder().setUnits(w[i]).build());
            if (i < w.length - 1) {
                block.add(Activation.reluBlock());
            }
        }
        return block;
    }
}
