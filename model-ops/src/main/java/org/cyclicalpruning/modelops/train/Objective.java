package org.cyclicalpruning.modelops.train;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.ModelKind;

/**
 * What a model is trained to do, by its kind: the label tensor a batch becomes, the loss, and how
 * many predictions were right. Mean squared error for linear regression, sigmoid cross-entropy for
 * logistic regression, softmax cross-entropy otherwise.
 */
final class Objective {
    private final ModelSpec spec;
    private final Loss classificationLoss;

    Objective(ModelSpec spec) {
        this.spec = spec;
        this.classificationLoss = spec.kind() == ModelKind.LOGISTIC_REGRESSION
                ? Loss.sigmoidBinaryCrossEntropyLoss()
                : Loss.softmaxCrossEntropyLoss();
    }

    /** Returns the targets of a batch as the loss expects them, in {@code scope}. */
    NDArray labels(int rows, int[] labels, float[] targets, NDManager scope) {
        switch (spec.kind()) {
            case LINEAR_REGRESSION:
                return scope.create(targets, new Shape(rows, 1));
            case LOGISTIC_REGRESSION: {
                float[] y = new float[rows];
                for (int i = 0; i < y.length; i++) {
                    y[i] = labels[i];
                }
                return scope.create(y, new Shape(rows, 1));
            }
            default: {
                long[] y = new long[rows];
                for (int i = 0; i < y.length; i++) {
                    y[i] = labels[i];
                }
                return scope.create(y);
            }
        }
    }

    /** Returns the mean loss of outputs {@code out} against {@code y}, a scalar. */
    NDArray loss(NDArray out, NDArray y) {
        if (spec.kind() == ModelKind.LINEAR_REGRESSION) {
            return out.sub(y).square().mean();
        }
        return classificationLoss.evaluate(new NDList(y), new NDList(out));
    }

    /** Returns how many outputs predict their label; 0 for regression. */
    long correct(NDArray out, NDArray y) {
        switch (spec.kind()) {
            case LINEAR_REGRESSION:
                return 0;
            case LOGISTIC_REGRESSION:
                return out.gt(0f).eq(y.gt(0.5f)).countNonzero().getLong();
            default:
                return out.argMax(1).eq(y).countNonzero().getLong();
        }
    }

    /** Checks a batch against the model: width, and a label (in range) or target per row. */
    void checkBatch(int rows, int dim, int[] labels, float[] targets) {
        checkArgument(
                dim == spec.inputs(), "batch has %s features per row, model %s expects %s", dim, spec, spec.inputs());
        if (spec.isClassifier()) {
            checkArgument(
                    labels != null && labels.length == rows,
                    "model %s is a classifier and needs a label per row",
                    spec);
            int classes = spec.classes();
            for (int label : labels) {
                checkArgument(label >= 0 && label < classes, "label %s is out of range [0, %s)", label, classes);
            }
        } else {
            checkArgument(
                    targets != null && targets.length == rows,
                    "model %s is a regression and needs a target per row",
                    spec);
        }
    }
}
