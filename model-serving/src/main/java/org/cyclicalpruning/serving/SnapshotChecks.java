package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import org.cyclicalpruning.modelops.model.ModelSpec;

/** The predictors' check of their inputs against a model. */
final class SnapshotChecks {
    private SnapshotChecks() {}

    /** Checks that {@code features} holds {@code rows} examples of {@code spec}. */
    static void checkFeatures(ModelSpec spec, float[] features, int rows) {
        checkArgument(features != null, "features must not be null");
        checkArgument(rows > 0, "rows must be positive, got %s", rows);
        checkArgument(
                (long) rows * spec.inputs() == features.length,
                "%s rows of %s take %s features, got %s",
                rows,
                spec,
                (long) rows * spec.inputs(),
                features.length);
    }
}
