package org.cyclicalpruning.modelops.data;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/** Evaluation figures over primitive arrays. */
public final class Metrics {
    private Metrics() {}

    /**
     * Fraction of predictions equal to their label.
     *
     * @param predicted predicted classes
     * @param labels true classes, same non-zero length
     * @return accuracy in [0, 1]
     */
    public static double accuracy(int[] predicted, int[] labels) {
        checkSameLength(predicted.length, labels.length);
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                correct++;
            }
        }
        return (double) correct / labels.length;
    }

    /**
     * Mean squared error, accumulated in double.
     *
     * @param predicted predictions
     * @param targets true values, same non-zero length
     * @return the mean of (predicted - target)^2
     */
    public static double mse(float[] predicted, float[] targets) {
        checkSameLength(predicted.length, targets.length);
        double sum = 0.0;
        for (int i = 0; i < targets.length; i++) {
            double e = (double) predicted[i] - targets[i];
            sum += e * e;
        }
        return sum / targets.length;
    }

    /**
     * Fraction of the teacher's support whose weight is still non-zero: 1 when pruning kept every
     * true feature.
     *
     * @param weights the model's (input-layer) weights, indexed by feature
     * @param teacherSupport feature indices, each in [0, weights.length), at least one
     * @return recall in [0, 1]
     */
    public static double supportRecall(float[] weights, int[] teacherSupport) {
        checkArgument(teacherSupport.length > 0, "teacherSupport must not be empty, got length %s", 0);
        int kept = 0;
        for (int i : teacherSupport) {
            checkArgument(
                    i >= 0 && i < weights.length,
                    "teacherSupport index must be in [0, weights.length = %s), got %s",
                    weights.length,
                    i);
            if (weights[i] != 0f) {
                kept++;
            }
        }
        return (double) kept / teacherSupport.length;
    }

    /**
     * The index of the largest logit in one row of a row-major {@code rows x classes} matrix; the
     * lowest index wins ties.
     *
     * @param logits row-major scores
     * @param row the row, at least 0
     * @param classes scores per row, at least 1
     * @return a class in [0, classes)
     */
    public static int argmaxRow(float[] logits, int row, int classes) {
        int base = row * classes;
        int best = 0;
        float bestValue = logits[base];
        for (int c = 1; c < classes; c++) {
            if (logits[base + c] > bestValue) {
                bestValue = logits[base + c];
                best = c;
            }
        }
        return best;
    }

    /**
     * {@link #argmaxRow} for every row.
     *
     * @param logits row-major scores, length {@code rows * classes}
     * @param classes scores per row, at least 1
     * @return one predicted class per row
     */
    public static int[] argmax(float[] logits, int classes) {
        checkArgument(
                classes >= 1 && logits.length % classes == 0,
                "logits.length must be a multiple of classes = %s, got %s",
                classes,
                logits.length);
        int[] out = new int[logits.length / classes];
        for (int r = 0; r < out.length; r++) {
            out[r] = argmaxRow(logits, r, classes);
        }
        return out;
    }

    private static void checkSameLength(int predicted, int actual) {
        checkArgument(
                predicted == actual && actual > 0,
                "predictions and truths must have the same non-zero length, got %s and %s",
                predicted,
                actual);
    }
}
