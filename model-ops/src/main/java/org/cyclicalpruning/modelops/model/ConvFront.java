package org.cyclicalpruning.modelops.model;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.cyclicalpruning.schemas.FeatureLayer;
import org.cyclicalpruning.schemas.FeatureLayerType;
import org.cyclicalpruning.schemas.ImageShape;

/**
 * The convolutional front of a model: the shape of its input image and the layers that turn the
 * image into the inputs of the fully connected part. A row of features holds the image channel by
 * channel, each channel row by row (PyTorch's NCHW order, flattened).
 *
 * @param channels input channels
 * @param height input rows
 * @param width input columns
 * @param layers convolutions (each followed by a ReLU, after batch normalisation if it has one) and
 *     max-pools, in order; empty for a fully connected model
 */
public record ConvFront(int channels, int height, int width, List<Layer> layers) {

    /**
     * The epsilon batch normalisation adds to the variance, PyTorch's and DJL's default; training,
     * the predictors and the exports all use this one value.
     */
    public static final float BATCH_NORM_EPSILON = 1e-5f;

    /** The front of a fully connected model: no image, no layers. */
    public static final ConvFront NONE = new ConvFront(0, 0, 0, List.of());

    /** A layer of the front. */
    public sealed interface Layer permits Conv, MaxPool {
        /** Returns the (channels, height, width) this layer makes of an input of shape {@code in}. */
        int[] outputShape(int[] in);
    }

    /**
     * A 2-D convolution with square kernels, stride 1, zero padding on every side, then (if {@code
     * batchNorm}) batch normalisation per filter, then ReLU.
     *
     * <p>Batch normalisation trains as PyTorch's {@code BatchNorm2d} does: batch statistics in
     * training, running mean and (unbiased) variance with momentum 0.1 for predictions, a scale
     * and a shift per filter that train and are never pruned.
     *
     * @param filters output channels
     * @param kernel kernel height and width
     * @param padding zeros added on each side
     * @param batchNorm whether batch normalisation follows the convolution
     */
    public record Conv(int filters, int kernel, int padding, boolean batchNorm) implements Layer {
        /** A convolution without batch normalisation. */
        public Conv(int filters, int kernel, int padding) {
            this(filters, kernel, padding, false);
        }

        public Conv {
            checkArgument(filters > 0, "a convolution needs at least one filter, got %s", filters);
            checkArgument(kernel > 0, "a kernel needs a positive size, got %s", kernel);
            checkArgument(
                    padding >= 0 && padding < kernel,
                    "padding must be in [0, kernel), got %s for kernel %s",
                    padding,
                    kernel);
        }

        @Override
        public int[] outputShape(int[] in) {
            // long: a snapshot's spec is read from the topic and may hold any int
            long height = (long) in[1] + 2L * padding - kernel + 1;
            long width = (long) in[2] + 2L * padding - kernel + 1;
            checkArgument(
                    height <= Integer.MAX_VALUE && width <= Integer.MAX_VALUE,
                    "%s leaves more values than an array holds",
                    this);
            return new int[] {filters, (int) height, (int) width};
        }
    }

    /**
     * Max-pooling over non-overlapping square windows (stride = size); rows and columns left over
     * at the edge are dropped, as PyTorch does by default.
     *
     * @param size window height and width
     */
    public record MaxPool(int size) implements Layer {
        public MaxPool {
            checkArgument(size > 1, "a pooling window needs size 2 or more, got %s", size);
        }

        @Override
        public int[] outputShape(int[] in) {
            return new int[] {in[0], in[1] / size, in[2] / size};
        }
    }

    public ConvFront {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            checkArgument(channels == 0 && height == 0 && width == 0, "an image shape needs at least one convolution");
        } else {
            checkArgument(
                    channels > 0 && height > 0 && width > 0,
                    "an image needs positive channels, height and width, got %sx%sx%s",
                    channels,
                    height,
                    width);
            checkArgument(layers.get(0) instanceof Conv, "a convolutional front starts with a convolution");
            checkArgument(
                    (long) channels * height * width <= Integer.MAX_VALUE,
                    "an image of %sx%sx%s has more values than an array holds",
                    channels,
                    height,
                    width);
            int[] shape = {channels, height, width};
            for (Layer layer : layers) {
                if (layer instanceof Conv conv) {
                    checkArgument(
                            (double) conv.filters * shape[0] * conv.kernel * conv.kernel <= Integer.MAX_VALUE,
                            "the kernels of %s have more weights than an array holds",
                            conv);
                }
                shape = layer.outputShape(shape);
                checkArgument(
                        shape[1] > 0 && shape[2] > 0,
                        "the image of %sx%sx%s shrinks to nothing at %s",
                        channels,
                        height,
                        width,
                        layer);
                checkArgument(
                        (long) shape[0] * shape[1] * shape[2] <= Integer.MAX_VALUE,
                        "%s leaves more values than an array holds",
                        layer);
            }
        }
    }

    /** Returns whether the model has a convolutional front at all. */
    public boolean isPresent() {
        return !layers.isEmpty();
    }

    /** Returns the number of input features: channels × height × width. */
    public int inputFeatures() {
        return channels * height * width;
    }

    /** Returns the shape (channels, height, width) that leaves each layer, in order. */
    public List<int[]> shapes() {
        List<int[]> shapes = new ArrayList<>(layers.size());
        int[] shape = {channels, height, width};
        for (Layer layer : layers) {
            shape = layer.outputShape(shape);
            shapes.add(shape);
        }
        return shapes;
    }

    /** Returns the number of features the front hands to the fully connected part. */
    public int outputFeatures() {
        if (!isPresent()) {
            return 0;
        }
        int[] last = shapes().get(layers.size() - 1);
        return last[0] * last[1] * last[2];
    }

    /** Returns the convolutions, in order. */
    public List<Conv> convolutions() {
        return layers.stream()
                .filter(Conv.class::isInstance)
                .map(Conv.class::cast)
                .toList();
    }

    /** Returns the front in the text form of {@link ModelSpec#parse}: {@code 1x28x28-c16k3-p2}. */
    String toText() {
        StringBuilder text = new StringBuilder()
                .append(channels)
                .append('x')
                .append(height)
                .append('x')
                .append(width);
        for (Layer layer : layers) {
            if (layer instanceof Conv conv) {
                text.append("-c").append(conv.filters).append('k').append(conv.kernel);
                if (conv.padding != conv.kernel / 2) {
                    text.append('p').append(conv.padding);
                }
                if (conv.batchNorm) {
                    text.append("bn");
                }
            } else if (layer instanceof MaxPool pool) {
                text.append("-p").append(pool.size);
            }
        }
        return text.toString();
    }

    /**
     * Parses one layer of the text form: {@code c16k3} (16 filters, 3 x 3, padding 1 keeps the
     * size), {@code c16k5p0} (padding given), {@code c16k3bn} (batch normalisation before the
     * ReLU), {@code p2} (max-pool 2 x 2).
     *
     * @return the layer
     * @throws IllegalArgumentException if {@code token} is neither
     */
    static Layer parseLayer(String token) {
        if (token.matches("p\\d+")) {
            return new MaxPool(Integer.parseInt(token.substring(1)));
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("c(\\d+)k(\\d+)(?:p(\\d+))?(bn)?")
                .matcher(token);
        checkArgument(m.matches(), "'%s' is neither a convolution (c16k3, c16k5p0, c16k3bn) nor a pool (p2)", token);
        int kernel = Integer.parseInt(m.group(2));
        int padding = m.group(3) == null ? kernel / 2 : Integer.parseInt(m.group(3));
        return new Conv(Integer.parseInt(m.group(1)), kernel, padding, m.group(4) != null);
    }

    ImageShape imageToAvro() {
        return isPresent() ? new ImageShape(channels, height, width) : null;
    }

    List<FeatureLayer> layersToAvro() {
        List<FeatureLayer> avro = new ArrayList<>(layers.size());
        for (Layer layer : layers) {
            if (layer instanceof Conv conv) {
                avro.add(new FeatureLayer(
                        FeatureLayerType.CONV, conv.filters, conv.kernel, conv.padding, conv.batchNorm));
            } else if (layer instanceof MaxPool pool) {
                avro.add(new FeatureLayer(FeatureLayerType.MAX_POOL, pool.size, pool.size, 0, false));
            }
        }
        return avro;
    }

    static ConvFront fromAvro(ImageShape image, List<FeatureLayer> layers) {
        if (image == null && (layers == null || layers.isEmpty())) {
            return NONE;
        }
        checkArgument(image != null, "convolutional layers need an image shape");
        List<Layer> front = new ArrayList<>();
        for (FeatureLayer layer : layers == null ? List.<FeatureLayer>of() : layers) {
            checkArgument(layer.getType() != null, "a feature layer needs a type");
            front.add(
                    switch (layer.getType()) {
                        case CONV ->
                            new Conv(layer.getSize(), layer.getKernel(), layer.getPadding(), layer.getBatchNorm());
                        case MAX_POOL -> new MaxPool(layer.getSize());
                    });
        }
        return new ConvFront(image.getChannels(), image.getHeight(), image.getWidth(), front);
    }
}
