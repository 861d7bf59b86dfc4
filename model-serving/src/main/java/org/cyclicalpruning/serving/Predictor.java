package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkState;

import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.ModelKind;

/**
 * Runs one model version on batches of examples. Implementations are safe to call from several
 * threads at once.
 */
public interface Predictor {

    /** Returns the architecture this predictor runs. */
    ModelSpec spec();

    /**
     * Computes the model's raw outputs: logits for classifiers (before sigmoid or softmax), the
     * prediction itself for linear regression.
     *
     * @param features {@code rows × spec().inputs()} values, row-major
     * @param rows number of examples
     * @return {@code rows × spec().outputs()} values, row-major
     * @throws IllegalArgumentException if {@code features} does not hold {@code rows} examples
     */
    float[] predict(float[] features, int rows);

    /**
     * Predicts a class per example: the index of the largest logit (the lowest index on ties), or
     * for logistic regression 1 when the logit is positive, else 0.
     *
     * @param features {@code rows × spec().inputs()} values, row-major
     * @param rows number of examples
     * @return one class per example
     * @throws IllegalStateException if the model is a linear regression
     */
    default int[] predictClass(float[] features, int rows) {
        ModelSpec spec = spec();
        checkState(spec.isClassifier(), "%s is a regression model; it predicts values, not classes", spec);
        float[] out = predict(features, rows);
        int k = spec.outputs();
        int[] classes = new int[rows];
        for (int r = 0; r < rows; r++) {
            if (spec.kind() == ModelKind.LOGISTIC_REGRESSION) {
                classes[r] = out[r] > 0f ? 1 : 0;
                continue;
            }
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (out[r * k + c] > out[r * k + best]) {
                    best = c;
                }
            }
            classes[r] = best;
        }
        return classes;
    }
}
