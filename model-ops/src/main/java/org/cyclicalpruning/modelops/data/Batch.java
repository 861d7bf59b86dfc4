package org.cyclicalpruning.modelops.data;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Objects;

/**
 * One mini-batch: {@code rows x dim} float32 features in row-major order plus either integer class
 * labels (classification) or float targets (regression).
 *
 * <p>Arrays are held as given, not copied: batches are created once per training step and handed
 * straight to the trainer, so a defensive copy would double the data traffic. Producers in this
 * package always hand out fresh arrays; consumers must not modify them.
 *
 * @param features row-major features, length {@code rows * dim}
 * @param rows number of samples, at least 1
 * @param dim features per sample, at least 1
 * @param labels class labels, length {@code rows}; null for regression
 * @param targets regression targets, length {@code rows}; null for classification
 */
public record Batch(float[] features, int rows, int dim, int[] labels, float[] targets) {

    /** Validates the shape; exactly one of {@code labels} and {@code targets} must be given. */
    public Batch {
        Objects.requireNonNull(features, "features");
        checkArgument(rows >= 1, "Batch rows must be >= 1, got %s", rows);
        checkArgument(dim >= 1, "Batch dim must be >= 1, got %s", dim);
        checkArgument(
                features.length == (long) rows * dim,
                "Batch features.length must be rows * dim = %s * %s = %s, got %s",
                rows,
                dim,
                (long) rows * dim,
                features.length);
        checkArgument(
                (labels == null) != (targets == null),
                "Batch needs exactly one of labels (classification) or targets (regression), got %s",
                labels == null ? "neither" : "both");
        if (labels != null) {
            checkArgument(
                    labels.length == rows, "Batch labels.length must equal rows = %s, got %s", rows, labels.length);
        } else {
            checkArgument(
                    targets.length == rows, "Batch targets.length must equal rows = %s, got %s", rows, targets.length);
        }
    }

    /** True when the batch carries class labels, false when it carries regression targets. */
    public boolean isClassification() {
        return labels != null;
    }
}
