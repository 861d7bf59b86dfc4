package org.cyclicalpruning.modelops.schedule;

import java.time.Duration;

/**
 * A pure, immutable function from progress ("ticks" of a {@link Clock}) to a target sparsity.
 *
 * <p>Implementations are the gradual schedule of Zhu &amp; Gupta 2017
 * (<a href="https://arxiv.org/abs/1710.01878">arXiv:1710.01878</a>), the cyclical schedule of
 * Srinivas et al. 2022 (<a href="https://arxiv.org/abs/2202.01290">arXiv:2202.01290</a>) and the
 * constant and one-shot baselines built here. They are value objects: equal parameters give
 * equal schedules, and {@link #toSpec()} is their {@code toString()}.
 */
public interface SparsitySchedule {

    /**
     * Returns what one tick is.
     *
     * @return the clock
     */
    Clock clock();

    /**
     * Returns the target sparsity, phase and cycle at {@code ticks}.
     *
     * @param ticks progress since the schedule's anchor, >= 0
     * @return the schedule point
     * @throws IllegalArgumentException if {@code ticks} is negative
     */
    SchedulePoint at(long ticks);

    /**
     * Returns the target sparsity at {@code ticks}.
     *
     * @param ticks progress since the schedule's anchor, >= 0
     * @return the sparsity, in [0, 1)
     */
    default double sparsityAt(long ticks) {
        return at(ticks).sparsity();
    }

    /**
     * Returns the first milestone strictly after {@code ticks}: a tick where the model stands at
     * the schedule's target and is worth publishing. Cyclical schedules have one at the end of
     * every cycle, gradual ones at the end of the ramp; constant and one-shot schedules have none.
     *
     * @param ticks progress since the schedule's anchor, >= 0
     * @return the milestone tick, or {@link Long#MAX_VALUE} when none is left
     */
    default long nextMilestone(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        return Long.MAX_VALUE;
    }

    /**
     * Returns the sparsity the schedule ends at (or, if it never ends, holds at the end of each
     * cycle).
     *
     * @return the final sparsity, in [0, 1)
     */
    double finalSparsity();

    /**
     * Returns the schedule as text that {@link SparsitySchedules#parse(String)} turns back into an
     * equal schedule.
     *
     * @return the spec, e.g. {@code gradual(final=0.9, duration=4000, ...)}
     */
    String toSpec();

    /**
     * Returns a schedule that keeps {@code sparsity} forever while recomputing the mask.
     *
     * @param sparsity the target, in [0, 1)
     * @return a schedule in phase {@link Phase#PRUNE} at every tick, on {@link Clock#BATCHES}
     */
    static SparsitySchedule constant(double sparsity) {
        return new ConstantSchedule(sparsity);
    }

    /**
     * Returns a schedule that prunes once, at tick {@code at}, and then freezes the mask.
     *
     * @param at the tick of the pruning step, >= 0
     * @param clock what a tick is
     * @param sparsity the target from {@code at} on, in [0, 1)
     * @return a schedule at sparsity 0 in phase {@link Phase#PRUNE} before {@code at} and at
     *     {@code sparsity} in phase {@link Phase#FINAL} from {@code at} on
     */
    static SparsitySchedule oneShot(long at, Clock clock, double sparsity) {
        return new OneShotSchedule(at, clock, sparsity);
    }

    /**
     * Returns a one-shot schedule on {@link Clock#EVENT_TIME}, pruning {@code at} after the anchor.
     *
     * @param at when to prune, a non-negative whole number of milliseconds
     * @param sparsity the target from {@code at} on, in [0, 1)
     * @return the schedule
     * @see #oneShot(long, Clock, double)
     */
    static SparsitySchedule oneShot(Duration at, double sparsity) {
        return new OneShotSchedule(SparsitySchedules.toMillis("at", at), Clock.EVENT_TIME, sparsity);
    }
}
