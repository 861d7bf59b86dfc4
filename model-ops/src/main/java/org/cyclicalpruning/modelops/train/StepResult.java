package org.cyclicalpruning.modelops.train;

import java.util.Optional;
import org.cyclicalpruning.modelops.mask.MaskUpdate;
import org.cyclicalpruning.modelops.schedule.SchedulePoint;

/**
 * What one training step did.
 *
 * @param accepted false when the loss was not finite and the step was rolled back (no change)
 * @param loss the batch loss before the update
 * @param correct predictions that were right before the update (prequential, test-then-train);
 *     0 for regression
 * @param samples rows in the batch
 * @param point the schedule's target at this step
 * @param learningRate the rate used
 * @param maskUpdate what the mask recomputation did, or null when the mask was not recomputed
 */
public record StepResult(
        boolean accepted,
        double loss,
        long correct,
        int samples,
        SchedulePoint point,
        double learningRate,
        MaskUpdate maskUpdate) {

    /** Returns the mask recomputation of this step, if there was one. */
    public Optional<MaskUpdate> mask() {
        return Optional.ofNullable(maskUpdate);
    }
}
