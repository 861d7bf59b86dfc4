package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Optional;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;

/**
 * What the predictors of a snapshot do before their forward pass: check the batch against the
 * model's spec and standardise it as the snapshot says.
 */
abstract class StandardizingPredictor implements Predictor {
    final ModelSpec spec;
    private final Optional<InputStandardization> scale;

    StandardizingPredictor(ModelSpec spec, Optional<InputStandardization> scale) {
        this.spec = spec;
        this.scale = scale;
    }

    @Override
    public final ModelSpec spec() {
        return spec;
    }

    @Override
    public final float[] predict(float[] features, int rows) {
        checkArgument(features != null, "features must not be null");
        checkArgument(rows > 0, "rows must be positive, got %s", rows);
        checkArgument(
                (long) rows * spec.inputs() == features.length,
                "%s rows of %s take %s features, got %s",
                rows,
                spec,
                (long) rows * spec.inputs(),
                features.length);
        return forward(scale.isPresent() ? scale.get().apply(features) : features, rows);
    }

    /**
     * Runs the model.
     *
     * @param x {@code rows × spec().inputs()} checked and standardised values, row-major
     * @param rows number of examples, > 0
     * @return {@code rows × spec().outputs()} values, row-major
     */
    abstract float[] forward(float[] x, int rows);
}
