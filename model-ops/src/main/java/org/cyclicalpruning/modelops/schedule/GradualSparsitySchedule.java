package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;

import java.time.Duration;

/**
 * Gradual magnitude pruning (GMP) of Zhu &amp; Gupta 2017, "To prune, or not to prune"
 * (<a href="https://arxiv.org/abs/1710.01878">arXiv:1710.01878</a>).
 *
 * <p>Sparsity rises from {@code s_i} to {@code s_f} over {@code T} ticks starting at {@code t0}:
 *
 * <pre>
 * s(t) = s_i                                            t &lt; t0            PRUNE
 * s(t) = s_f + (s_i - s_f) * (1 - (t - t0) / T)^e       t0 &lt;= t &lt;= t0 + T  PRUNE
 * s(t) = s_f                                            t &gt; t0 + T        FINAL
 * </pre>
 *
 * <p>With the paper's {@code e = 3} most weights go early, while the network is still redundant,
 * and the rate slows as fewer weights remain.
 *
 * @param clock what a tick is
 * @param start the tick {@code t0} at which the ramp starts, >= 0
 * @param duration the ramp length {@code T} in ticks, > 0
 * @param initialSparsity the sparsity {@code s_i} before and at the start of the ramp, in [0, final
 *     sparsity]
 * @param finalSparsity the sparsity {@code s_f} reached at the end of the ramp, in [0, 1)
 * @param exponent the ramp's exponent {@code e}, finite and > 0
 */
public record GradualSparsitySchedule(
        Clock clock, long start, long duration, double initialSparsity, double finalSparsity, double exponent)
        implements SparsitySchedule {

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Checks the settings; {@link #builder()} is the readable way to give them.
     *
     * @throws IllegalArgumentException naming the first setting that is out of range
     */
    public GradualSparsitySchedule {
        SparsitySchedules.checkTiming(clock, start, "duration", duration);
        checkSparsity("final sparsity", finalSparsity);
        checkSparsity("initial sparsity", initialSparsity);
        checkArgument(
                initialSparsity <= finalSparsity,
                "initial sparsity must be <= final sparsity (%s), got %s",
                finalSparsity,
                initialSparsity);
        SparsitySchedules.checkExponent(exponent);
        // -0.0 would print as 0 and not parse back to an equal schedule
        initialSparsity += 0.0;
        finalSparsity += 0.0;
    }

    @Override
    public long nextMilestone(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        long end = start > Long.MAX_VALUE - duration ? Long.MAX_VALUE : start + duration;
        return ticks < end ? end : Long.MAX_VALUE;
    }

    @Override
    public SchedulePoint at(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        if (ticks < start) {
            return new SchedulePoint(initialSparsity, Phase.PRUNE, 0);
        }
        long elapsed = ticks - start; // both >= 0, so no overflow, unlike start + duration
        if (elapsed > duration) {
            return new SchedulePoint(finalSparsity, Phase.FINAL, 0);
        }
        double remaining = 1.0 - (double) elapsed / duration;
        double s = finalSparsity + (initialSparsity - finalSparsity) * Math.pow(remaining, exponent);
        // Rounding may land an ulp outside [s_i, s_f] (0.9 - 0.8 < 0.1); clamping keeps the ramp monotone.
        return new SchedulePoint(Math.max(initialSparsity, Math.min(finalSparsity, s)), Phase.PRUNE, 0);
    }

    @Override
    public String toSpec() {
        return "gradual(final=" + SparsitySchedules.formatNumber(finalSparsity)
                + ", duration=" + SparsitySchedules.formatTicks(duration, clock)
                + ", start=" + SparsitySchedules.formatTicks(start, clock)
                + ", initial=" + SparsitySchedules.formatNumber(initialSparsity)
                + ", exponent=" + SparsitySchedules.formatNumber(exponent)
                + ", clock=" + SparsitySchedules.clockName(clock) + ")";
    }

    @Override
    public String toString() {
        return toSpec();
    }

    /**
     * Builds a {@link GradualSparsitySchedule}; {@link #setDuration} and {@link #setFinalSparsity}
     * are required.
     *
     * <p>The {@link Duration} overloads measure event time: they imply {@link Clock#EVENT_TIME}
     * unless another clock is set, which {@link #build()} rejects. Long values given alongside them
     * are then milliseconds.
     */
    public static final class Builder extends RampScheduleBuilder<Builder> {
        private double initialSparsity;

        private Builder() {}

        /**
         * Sets the ramp length in event time; required.
         *
         * @param duration a positive whole number of milliseconds
         * @return this builder
         */
        public Builder setDuration(Duration duration) {
            return length("duration", duration);
        }

        /**
         * Sets the ramp length {@code T} in ticks; required.
         *
         * @param ticks the duration, > 0
         * @return this builder
         */
        public Builder setDuration(long ticks) {
            return length(ticks);
        }

        /**
         * Sets the tick {@code t0} at which the ramp starts; optional, default 0.
         *
         * @param ticks the start, >= 0
         * @return this builder
         */
        public Builder setStart(long ticks) {
            return start(ticks);
        }

        /**
         * Sets the event time after the anchor at which the ramp starts; optional, default 0.
         *
         * @param start a non-negative whole number of milliseconds
         * @return this builder
         */
        public Builder setStart(Duration start) {
            return start(start);
        }

        /**
         * Sets the sparsity {@code s_i} before and at the start of the ramp; default 0.
         *
         * @param sparsity in [0, final sparsity]
         * @return this builder
         */
        public Builder optInitialSparsity(double sparsity) {
            this.initialSparsity = sparsity;
            return this;
        }

        /**
         * Validates the settings and builds the schedule.
         *
         * @return the schedule
         * @throws IllegalStateException if a required setting is missing
         * @throws IllegalArgumentException if a setting is out of range
         */
        @Override
        public GradualSparsitySchedule build() {
            Clock resolved = resolveClock("duration is required (setDuration)");
            return new GradualSparsitySchedule(resolved, start, length, initialSparsity, finalSparsity, exponent);
        }
    }
}
