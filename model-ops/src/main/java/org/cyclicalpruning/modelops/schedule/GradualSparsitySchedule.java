package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;
import static org.cyclicalpruning.modelops.util.Checks.checkState;

import java.time.Duration;
import java.util.Objects;

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
 */
public final class GradualSparsitySchedule implements SparsitySchedule {
    private final Clock clock;
    private final long start;
    private final long duration;
    private final double initialSparsity;
    private final double finalSparsity;
    private final double exponent;

    private GradualSparsitySchedule(
            Clock clock, long start, long duration, double initialSparsity, double finalSparsity, double exponent) {
        this.clock = clock;
        this.start = start;
        this.duration = duration;
        // -0.0 would print as 0 and not parse back to an equal schedule
        this.initialSparsity = initialSparsity + 0.0;
        this.finalSparsity = finalSparsity + 0.0;
        this.exponent = exponent;
    }

    /**
     * Returns a new builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
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
    public Clock clock() {
        return clock;
    }

    /**
     * Returns the tick {@code t0} at which the ramp starts.
     *
     * @return the start, >= 0
     */
    public long start() {
        return start;
    }

    /**
     * Returns the ramp length {@code T} in ticks.
     *
     * @return the duration, > 0
     */
    public long duration() {
        return duration;
    }

    /**
     * Returns the sparsity {@code s_i} before and at the start of the ramp.
     *
     * @return the initial sparsity
     */
    public double initialSparsity() {
        return initialSparsity;
    }

    @Override
    public double finalSparsity() {
        return finalSparsity;
    }

    /**
     * Returns the ramp's exponent {@code e}.
     *
     * @return the exponent, finite and > 0
     */
    public double exponent() {
        return exponent;
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
    public boolean equals(Object o) {
        return o instanceof GradualSparsitySchedule g
                && clock == g.clock
                && start == g.start
                && duration == g.duration
                && Double.compare(initialSparsity, g.initialSparsity) == 0
                && Double.compare(finalSparsity, g.finalSparsity) == 0
                && Double.compare(exponent, g.exponent) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(clock, start, duration, initialSparsity, finalSparsity, exponent);
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
    public static final class Builder {
        private Clock clock;
        private boolean usesDuration;
        private long start;
        private long duration = -1;
        private boolean durationSet;
        private double initialSparsity;
        private double finalSparsity = Double.NaN;
        private double exponent = 3.0;

        private Builder() {}

        /**
         * Sets what a tick is; defaults to {@link Clock#BATCHES}, or {@link Clock#EVENT_TIME} if a
         * {@link Duration} was given.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder setClock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Sets the tick {@code t0} at which the ramp starts; optional, default 0.
         *
         * @param ticks the start, >= 0
         * @return this builder
         */
        public Builder setStart(long ticks) {
            this.start = ticks;
            return this;
        }

        /**
         * Sets the event time after the anchor at which the ramp starts; optional, default 0.
         *
         * @param start a non-negative whole number of milliseconds
         * @return this builder
         */
        public Builder setStart(Duration start) {
            this.start = SparsitySchedules.toMillis("start", start);
            this.usesDuration = true;
            return this;
        }

        /**
         * Sets the ramp length {@code T} in ticks; required.
         *
         * @param ticks the duration, > 0
         * @return this builder
         */
        public Builder setDuration(long ticks) {
            this.duration = ticks;
            this.durationSet = true;
            return this;
        }

        /**
         * Sets the ramp length in event time; required.
         *
         * @param duration a positive whole number of milliseconds
         * @return this builder
         */
        public Builder setDuration(Duration duration) {
            this.duration = SparsitySchedules.toMillis("duration", duration);
            this.durationSet = true;
            this.usesDuration = true;
            return this;
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
         * Sets the sparsity {@code s_f} reached at the end of the ramp; required.
         *
         * @param sparsity in [0, 1)
         * @return this builder
         */
        public Builder setFinalSparsity(double sparsity) {
            this.finalSparsity = sparsity;
            return this;
        }

        /**
         * Sets the ramp's exponent {@code e}; default 3 as in the paper.
         *
         * @param exponent finite and > 0
         * @return this builder
         */
        public Builder optExponent(double exponent) {
            this.exponent = exponent;
            return this;
        }

        /**
         * Validates the settings and builds the schedule.
         *
         * @return the schedule
         * @throws IllegalStateException if a required setting is missing
         * @throws IllegalArgumentException if a setting is out of range
         */
        public GradualSparsitySchedule build() {
            checkState(durationSet, "duration is required (setDuration)");
            checkState(!Double.isNaN(finalSparsity), "final sparsity is required (setFinalSparsity)");
            Clock resolved = SparsitySchedules.resolveClock(clock, usesDuration);
            checkArgument(start >= 0, "start must be >= 0 ticks, got %s", start);
            checkArgument(duration > 0, "duration must be > 0 ticks, got %s", duration);
            checkSparsity("final sparsity", finalSparsity);
            checkSparsity("initial sparsity", initialSparsity);
            checkArgument(
                    initialSparsity <= finalSparsity,
                    "initial sparsity must be <= final sparsity (%s), got %s",
                    finalSparsity,
                    initialSparsity);
            SparsitySchedules.checkExponent(exponent);
            return new GradualSparsitySchedule(resolved, start, duration, initialSparsity, finalSparsity, exponent);
        }
    }
}
