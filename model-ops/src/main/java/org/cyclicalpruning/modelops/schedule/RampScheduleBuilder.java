package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkState;

import java.time.Duration;

/**
 * What the builders of the gradual and the cyclical schedule have in common: the clock, a required
 * length (the ramp's duration, or the cycle length), the start, the final sparsity and the ramp
 * exponent.
 *
 * <p>The {@link Duration} overloads measure event time: they imply {@link Clock#EVENT_TIME} unless
 * another clock is set, which {@link #resolveClock} rejects. Long values given alongside them are
 * then milliseconds.
 *
 * @param <B> the concrete builder, returned by every setter
 */
abstract class RampScheduleBuilder<B extends RampScheduleBuilder<B>> {
    private Clock clock;
    private boolean usesDuration;
    private boolean lengthSet;
    long start;
    long length;
    double finalSparsity = Double.NaN;
    double exponent = 3.0;

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Sets what a tick is; defaults to {@link Clock#BATCHES}, or {@link Clock#EVENT_TIME} if a
     * {@link Duration} was given.
     *
     * @param clock the clock
     * @return this builder
     */
    public B setClock(Clock clock) {
        this.clock = clock;
        return self();
    }

    /**
     * Sets the sparsity {@code s_f} the ramp ends at (and, in a cyclical schedule, every cycle
     * holds); required.
     *
     * @param sparsity in [0, 1)
     * @return this builder
     */
    public B setFinalSparsity(double sparsity) {
        this.finalSparsity = sparsity;
        return self();
    }

    /**
     * Sets the exponent {@code e} of the ramp; default 3, as in both papers.
     *
     * @param exponent finite and > 0
     * @return this builder
     */
    public B optExponent(double exponent) {
        this.exponent = exponent;
        return self();
    }

    B start(long ticks) {
        this.start = ticks;
        return self();
    }

    B start(Duration start) {
        this.start = SparsitySchedules.toMillis("start", start);
        this.usesDuration = true;
        return self();
    }

    B length(long ticks) {
        this.length = ticks;
        this.lengthSet = true;
        return self();
    }

    B length(String name, Duration length) {
        this.length = SparsitySchedules.toMillis(name, length);
        this.lengthSet = true;
        this.usesDuration = true;
        return self();
    }

    /**
     * Validates the settings and builds the schedule.
     *
     * @return the schedule
     * @throws IllegalStateException if a required setting is missing
     * @throws IllegalArgumentException if a setting is out of range
     */
    abstract SparsitySchedule build();

    /**
     * Checks that the length and the final sparsity were set, then returns the clock the settings
     * imply.
     *
     * @param lengthRequired the message when the length is missing
     * @throws IllegalStateException if a required setting is missing
     * @throws IllegalArgumentException if a {@link Duration} was given on a count clock
     */
    Clock resolveClock(String lengthRequired) {
        checkState(lengthSet, lengthRequired);
        checkState(!Double.isNaN(finalSparsity), "final sparsity is required (setFinalSparsity)");
        return SparsitySchedules.resolveClock(clock, usesDuration);
    }
}
