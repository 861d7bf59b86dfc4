package org.cyclicalpruning.modelops.model;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.cyclicalpruning.schemas.ModelKind;

/**
 * The architecture of a model: enough to rebuild it anywhere, without the job's configuration.
 *
 * <p>Every model is a stack of fully connected layers (DJL {@link Linear} blocks) with ReLU
 * between hidden layers. The kind decides the output and the loss: mean squared error for linear
 * regression, sigmoid cross-entropy for logistic regression (one output), softmax cross-entropy
 * for softmax regression and MLPs.
 *
 * @param kind the model family
 * @param inputs number of input features
 * @param hidden hidden layer widths, empty unless {@code kind} is {@link ModelKind#MLP}
 * @param outputs number of outputs: 1 for linear and logistic regression, the class count otherwise
 */
public record ModelSpec(ModelKind kind, int inputs, int[] hidden, int outputs) {

    /** LeNet-300-100 on 28x28 images: 784-300-100-10 with ReLU, the paper's MNIST-size network. */
    public static final ModelSpec LENET_300_100 = mlp(784, new int[] {300, 100}, 10);

    public ModelSpec {
        checkArgument(kind != null, "model kind must be set");
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
     * Parses a model from text: {@code lenet-300-100}, {@code mlp:784-300-100-10},
     * {@code linear:1000}, {@code logistic:1000} or {@code softmax:784x10}.
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
                default:
                    throw new IllegalArgumentException("unknown family '" + family + "'");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    String.format(
                            "invalid model '%s' (%s); expected lenet-300-100, mlp:784-300-100-10, linear:N,"
                                    + " logistic:N or softmax:NxK",
                            text, e.getMessage()),
                    e);
        }
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
        return new org.cyclicalpruning.schemas.ModelSpec(kind, inputs, widths, outputs);
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
        return new ModelSpec(avro.getKind(), avro.getInputs(), widths, avro.getOutputs());
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
                StringBuilder sb = new StringBuilder("mlp:").append(inputs);
                for (int w : hidden) {
                    sb.append('-').append(w);
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

    /** Returns the widths of every layer from inputs to outputs. */
    public int[] layerWidths() {
        int[] w = new int[hidden.length + 2];
        w[0] = inputs;
        System.arraycopy(hidden, 0, w, 1, hidden.length);
        w[w.length - 1] = outputs;
        return w;
    }

    /** Returns the total number of parameters (weights and biases). */
    public long parameterCount() {
        int[] w = layerWidths();
        long n = 0;
        for (int i = 0; i + 1 < w.length; i++) {
            n += (long) w[i] * w[i + 1] + w[i + 1];
        }
        return n;
    }

    /** Returns the number of prunable parameters (weights of every layer, not biases). */
    public long prunableCount() {
        int[] w = layerWidths();
        long n = 0;
        for (int i = 0; i + 1 < w.length; i++) {
            n += (long) w[i] * w[i + 1];
        }
        return n;
    }

    /**
     * Builds the DJL block: {@link Linear} layers with ReLU between them.
     *
     * <p>Parameter order (as {@code block.getParameters()} lists them) is layer by layer, weight
     * then bias; weights have shape (out, in).
     */
    public Block newBlock() {
        SequentialBlock block = new SequentialBlock();
        int[] w = layerWidths();
        for (int i = 1; i < w.length; i++) {
            block.add(Linear.builder().setUnits(w[i]).build());
            if (i < w.length - 1) {
                block.add(Activation.reluBlock());
            }
        }
        return block;
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
        return o instanceof ModelSpec
                && ((ModelSpec) o).kind == kind
                && ((ModelSpec) o).inputs == inputs
                && ((ModelSpec) o).outputs == outputs
                && Arrays.equals(((ModelSpec) o).hidden, hidden);
    }

    @Override
    public int hashCode() {
        return (kind.hashCode() * 31 + inputs) * 31 + Arrays.hashCode(hidden) * 17 + outputs;
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
