package org.cyclicalpruning.modelops.model;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.cyclicalpruning.schemas.ModelKind;

/**
 * The architecture of a model: enough to rebuild it anywhere, without the job's configuration.
 *
 * <p>A model is a stack of fully connected layers with ReLU between hidden layers; an MLP may
 * start with a convolutional front ({@link ConvFront}: convolutions and max-pools, flattened into
 * the first fully connected layer). {@link DjlBlocks} builds it as a DJL block; this class loads
 * no DJL class, so reading and serving snapshots needs none. The kind decides
 * the output and the loss: mean squared error for linear regression, sigmoid cross-entropy for
 * logistic regression (one output), softmax cross-entropy for softmax regression and MLPs.
 *
 * @param kind the model family
 * @param inputs number of input features (for a convolutional model, the image's values)
 * @param hidden hidden fully connected widths, empty unless {@code kind} is {@link ModelKind#MLP}
 * @param outputs number of outputs: 1 for linear and logistic regression, the class count otherwise
 * @param front the convolutional front, {@link ConvFront#NONE} for a fully connected model
 */
public record ModelSpec(ModelKind kind, int inputs, int[] hidden, int outputs, ConvFront front) {

    /** LeNet-300-100 on 28x28 images: 784-300-100-10 with ReLU, the paper's MNIST-size network. */
    public static final ModelSpec LENET_300_100 = mlp(784, new int[] {300, 100}, 10);

    /**
     * A small CNN for 28x28 grey images: conv 1→16 3x3 (padding 1), ReLU, max-pool 2; conv 16→32
     * 3x3, ReLU, max-pool 2; fully connected 1568→128, ReLU; 128→10.
     */
    public static final ModelSpec FASHION_CNN = parse("cnn:1x28x28-c16k3-p2-c32k3-p2-f128-10");

    /** {@link #FASHION_CNN} with batch normalisation between each convolution and its ReLU. */
    public static final ModelSpec FASHION_CNN_BN = parse("cnn:1x28x28-c16k3bn-p2-c32k3bn-p2-f128-10");

    /** A fully connected model. */
    public ModelSpec(ModelKind kind, int inputs, int[] hidden, int outputs) {
        this(kind, inputs, hidden, outputs, ConvFront.NONE);
    }

    public ModelSpec {
        checkArgument(kind != null, "model kind must be set");
        front = front == null ? ConvFront.NONE : front;
        checkArgument(
                !front.isPresent() || kind == ModelKind.MLP, "only an MLP has a convolutional front, %s got one", kind);
        checkArgument(
                !front.isPresent() || front.inputFeatures() == inputs,
                "an image of %sx%sx%s has %s values, the model says %s inputs",
                front.channels(),
                front.height(),
                front.width(),
                front.inputFeatures(),
                inputs);
        checkArgument(inputs > 0, "model inputs must be positive, got %s", inputs);
        checkArgument(outputs > 0, "model outputs must be positive, got %s", outputs);
        hidden = hidden == null ? new int[0] : hidden.clone();
        for (int width : hidden) {
            checkArgument(width > 0, "hidden layer widths must be positive, got %s", Arrays.toString(hidden));
        }
        checkArgument(
                kind == ModelKind.MLP || hidden.length == 0,
                "only an MLP has hidden layers, %s got %s",
                kind,
                Arrays.toString(hidden));
        checkArgument(
                (kind != ModelKind.LINEAR_REGRESSION && kind != ModelKind.LOGISTIC_REGRESSION) || outputs == 1,
                "%s has exactly one output, got %s",
                kind,
                outputs);
        checkArgument(
                (kind != ModelKind.SOFTMAX_REGRESSION && kind != ModelKind.MLP) || outputs >= 2,
                "%s needs at least 2 classes, got %s",
                kind,
                outputs);
    }

    /** Returns a linear regression over {@code inputs} features (MSE loss). */
    public static ModelSpec linear(int inputs) {
        return new ModelSpec(ModelKind.LINEAR_REGRESSION, inputs, new int[0], 1);
    }

    /** Returns a binary logistic regression over {@code inputs} features. */
    public static ModelSpec logistic(int inputs) {
        return new ModelSpec(ModelKind.LOGISTIC_REGRESSION, inputs, new int[0], 1);
    }

    /** Returns a softmax regression over {@code inputs} features and {@code classes} classes. */
    public static ModelSpec softmax(int inputs, int classes) {
        return new ModelSpec(ModelKind.SOFTMAX_REGRESSION, inputs, new int[0], classes);
    }

    /** Returns an MLP with the given hidden widths, ReLU activations and {@code classes} outputs. */
    public static ModelSpec mlp(int inputs, int[] hidden, int classes) {
        return new ModelSpec(ModelKind.MLP, inputs, hidden, classes);
    }

    /**
     * Parses a model from text: {@code lenet-300-100}, {@code fashion-cnn}, {@code fashion-cnn-bn}, {@code
     * mlp:784-300-100-10}, {@code cnn:1x28x28-c16k3-p2-c32k3-p2-f128-10} (image
     * channels x height x width, convolutions {@code c<filters>k<kernel>} with padding kernel/2
     * unless {@code p<padding>} follows and batch normalisation if {@code bn} ends them, as in
     * {@code c16k3bn}, max-pools {@code p<size>}, fully connected widths {@code
     * f<units>}, classes last), {@code linear:1000}, {@code logistic:1000} or {@code softmax:784x10}.
     *
     * @param text the spec
     * @return the model spec
     * @throws IllegalArgumentException naming the accepted forms when {@code text} is not one
     */
    public static ModelSpec parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.equals("lenet-300-100")) {
                return LENET_300_100;
            }
            if (t.equals("fashion-cnn")) {
                return FASHION_CNN;
            }
            if (t.equals("fashion-cnn-bn")) {
                return FASHION_CNN_BN;
            }
            int colon = t.indexOf(':');
            checkArgument(colon > 0, "no ':'");
            String family = t.substring(0, colon);
            String dims = t.substring(colon + 1);
            switch (family) {
                case "linear":
                    return linear(Integer.parseInt(dims));
                case "logistic":
                    return logistic(Integer.parseInt(dims));
                case "softmax": {
                    String[] p = dims.split("x");
                    checkArgument(p.length == 2, "softmax needs INPUTSxCLASSES");
                    return softmax(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
                }
                case "mlp": {
                    int[] w = Arrays.stream(dims.split("-"))
                            .mapToInt(Integer::parseInt)
                            .toArray();
                    checkArgument(w.length >= 3, "an mlp needs inputs, at least one hidden width and classes");
                    return mlp(w[0], Arrays.copyOfRange(w, 1, w.length - 1), w[w.length - 1]);
                }
                case "cnn":
                    return parseCnn(dims);
                default:
                    throw new IllegalArgumentException("unknown family '" + family + "'");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    String.format(
                            "invalid model '%s' (%s); expected lenet-300-100, fashion-cnn, fashion-cnn-bn,"
                                    + " mlp:784-300-100-10, cnn:1x28x28-c16k3-p2-c32k3bn-p2-f128-10, linear:N,"
                                    + " logistic:N or softmax:NxK",
                            text, e.getMessage()),
                    e);
        }
    }

    private static ModelSpec parseCnn(String dims) {
        String[] tokens = dims.split("-");
        checkArgument(tokens.length >= 3, "a cnn needs an image, at least one convolution and classes");
        String[] image = tokens[0].split("x");
        checkArgument(image.length == 3, "a cnn starts with CHANNELSxHEIGHTxWIDTH, got '%s'", tokens[0]);
        List<ConvFront.Layer> layers = new ArrayList<>();
        List<Integer> hidden = new ArrayList<>();
        for (int i = 1; i < tokens.length - 1; i++) {
            if (tokens[i].startsWith("f")) {
                hidden.add(Integer.parseInt(tokens[i].substring(1)));
            } else {
                checkArgument(hidden.isEmpty(), "convolutions and pools come before the fully connected layers");
                layers.add(ConvFront.parseLayer(tokens[i]));
            }
        }
        ConvFront front = new ConvFront(
                Integer.parseInt(image[0]), Integer.parseInt(image[1]), Integer.parseInt(image[2]), layers);
        checkArgument(front.isPresent(), "a cnn needs at least one convolution");
        return new ModelSpec(
                ModelKind.MLP,
                front.inputFeatures(),
                hidden.stream().mapToInt(Integer::intValue).toArray(),
                Integer.parseInt(tokens[tokens.length - 1]),
                front);
    }

    /** Returns whether the model starts with convolutions. */
    public boolean isConvolutional() {
        return front.isPresent();
    }

    /**
     * Returns the spec as the Avro record that snapshots carry.
     *
     * @return the record
     */
    public org.cyclicalpruning.schemas.ModelSpec toAvro() {
        List<Integer> widths = new ArrayList<>(hidden.length);
        for (int w : hidden) {
            widths.add(w);
        }
        return new org.cyclicalpruning.schemas.ModelSpec(
                kind, inputs, widths, outputs, front.imageToAvro(), front.layersToAvro());
    }

    /**
     * Reads the Avro record that snapshots carry.
     *
     * @param avro the record
     * @return the spec
     * @throws IllegalArgumentException if the record describes an invalid model
     */
    public static ModelSpec fromAvro(org.cyclicalpruning.schemas.ModelSpec avro) {
        checkArgument(avro != null && avro.getKind() != null, "model spec must be set");
        int[] widths = avro.getHidden() == null
                ? new int[0]
                : avro.getHidden().stream().mapToInt(Integer::intValue).toArray();
        return new ModelSpec(
                avro.getKind(),
                avro.getInputs(),
                widths,
                avro.getOutputs(),
                ConvFront.fromAvro(avro.getImage(), avro.getFeatures()));
    }

    /** Returns the spec in the text form {@link #parse} accepts. */
    public String toText() {
        switch (kind) {
            case LINEAR_REGRESSION:
                return "linear:" + inputs;
            case LOGISTIC_REGRESSION:
                return "logistic:" + inputs;
            case SOFTMAX_REGRESSION:
                return "softmax:" + inputs + "x" + outputs;
            default:
                StringBuilder sb = isConvolutional()
                        ? new StringBuilder("cnn:").append(front.toText())
                        : new StringBuilder("mlp:").append(inputs);
                String prefix = isConvolutional() ? "-f" : "-";
                for (int w : hidden) {
                    sb.append(prefix).append(w);
                }
                return sb.append('-').append(outputs).toString();
        }
    }

    /** Returns whether the model predicts classes (accuracy applies) rather than a real value. */
    public boolean isClassifier() {
        return kind != ModelKind.LINEAR_REGRESSION;
    }

    /** Returns the number of classes a classifier distinguishes (2 for logistic regression). */
    public int classes() {
        return kind == ModelKind.LOGISTIC_REGRESSION ? 2 : kind == ModelKind.LINEAR_REGRESSION ? 0 : outputs;
    }

    /**
     * Returns the widths of the fully connected layers from their inputs to the outputs: for a
     * convolutional model the first is the number of features its front hands on.
     */
    public int[] layerWidths() {
        int[] w = new int[hidden.length + 2];
        w[0] = isConvolutional() ? front.outputFeatures() : inputs;
        System.arraycopy(hidden, 0, w, 1, hidden.length);
        w[w.length - 1] = outputs;
        return w;
    }

    /**
     * Returns the number of values a snapshot of the model carries: weights, biases and any batch
     * normalisation's scales, shifts and running statistics.
     */
    public long parameterCount() {
        return layout().tensors().stream().mapToLong(t -> elements(t.shape())).sum();
    }

    /** Returns the number of prunable parameters (weights of every layer, not biases). */
    public long prunableCount() {
        return layout().tensors().stream()
                .filter(ModelLayout.Tensor::prunable)
                .mapToLong(t -> elements(t.shape()))
                .sum();
    }

    /** In long arithmetic: a spec read from a snapshot is checked against a size limit with it. */
    private static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Returns the model's parameter tensors: names, shapes, and which are prunable. */
    public ModelLayout layout() {
        return ModelLayout.of(this);
    }

    /** Returns the tensor names in parameter order: {@code layer0.weight}, {@code layer0.bias}, ... */
    public List<String> tensorNames() {
        return layout().names();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec m
                && m.kind == kind
                && m.inputs == inputs
                && m.outputs == outputs
                && Arrays.equals(m.hidden, hidden)
                && m.front.equals(front);
    }

    @Override
    public int hashCode() {
        return ((kind.hashCode() * 31 + inputs) * 31 + Arrays.hashCode(hidden) * 17 + outputs) * 31 + front.hashCode();
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    @Override
    public String toString() {
        return toText();
    }
}
