package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;

/**
 * The value of a {@link SparsitySchedule} at one tick.
 *
 * @param sparsity the target sparsity, in [0, 1)
 * @param phase what happens to the mask
 * @param cycle the 0-based cycle index (0 for non-cyclical schedules)
 */
public record SchedulePoint(double sparsity, Phase phase, long cycle) {

    /**
     * Checks the components.
     *
     * @param sparsity the target sparsity, in [0, 1)
     * @param phase what happens to the mask
     * @param cycle the 0-based cycle index, >= 0
     */
    public SchedulePoint {
        checkSparsity("sparsity", sparsity);
        checkArgument(phase != null, "phase must be set");
        checkArgument(cycle >= 0, "cycle must be >= 0, got %s", cycle);
    }
}
