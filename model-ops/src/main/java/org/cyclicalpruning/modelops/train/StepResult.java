package org.cyclicalpruning.modelops.train;

import java.util.Optional;
import org.cyclicalpruning.modelops.mask.MaskUpdate;
import org.cyclicalpruning.modelops.schedule.SchedulePoint;

/**
 * What one training step did.
 *
 * @param outcome whether the step was taken, or why it was rolled back (then nothing changed)
 * @param loss the batch loss before the update
 * @param correct predictions that were right before the update (prequential, test-then-train);
 *     0 for regression
 * @param samples rows in the batch
 * @param point the schedule's target at this step
 * @param learningRate the rate used
 * @param maskUpdate what the mask recomputation did, or null when the mask was not recomputed
 * @param driftDetected whether the model's prequential error rose at this step while its mask was
 *     held, so that a drift-aware schedule starts a new cycle here
 */
public record StepResult(
        Outcome outcome,
        double loss,
        long correct,
        int samples,
        SchedulePoint point,
        double learningRate,
        MaskUpdate maskUpdate,
        boolean driftDetected) {

    /** Whether a step was taken. */
    public enum Outcome {
        /** The weights were updated. */
        TRAINED,
        /** The loss was not finite; rolled back before backward. */
        NON_FINITE_LOSS,
        /**
         * A gradient's norm was not finite or beyond {@link SparseTrainer#MAX_GRADIENT_NORM}, as a
         * finite but extreme input can cause; rolled back before the update.
         */
        NON_FINITE_GRADIENT
    }

    /** Returns true if the weights were updated. */
    public boolean accepted() {
        return outcome == Outcome.TRAINED;
    }

    /** Returns the mask recomputation of this step, if there was one. */
    public Optional<MaskUpdate> mask() {
        return Optional.ofNullable(maskUpdate);
    }
}
