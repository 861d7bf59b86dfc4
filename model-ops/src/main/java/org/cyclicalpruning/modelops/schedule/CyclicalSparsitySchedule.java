package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;

import java.time.Duration;

/**
 * Cyclical pruning of Srinivas et al. 2022, "Cyclical Pruning for Sparse Neural Networks"
 * (<a href="https://arxiv.org/abs/2202.01290">arXiv:2202.01290</a>).
 *
 * <p>The schedule repeats {@code cycles} cycles of {@code P} ticks from {@code start}. In cycle
 * {@code c}, at {@code tau} ticks into it and with ramp length {@code R = rampFraction * P}:
 *
 * <pre>
 * s = s_f + (s_c - s_f) * (1 - tau / R)^e     tau &lt; R    PRUNE
 * s = s_f                                     tau &gt;= R   HOLD
 * </pre>
 *
 * <p>where {@code s_c} is the first sparsity in cycle 0 and the restart sparsity afterwards.
 * Dropping back to a lower sparsity at each cycle start lets weights pruned by mistake in an
 * earlier cycle, which kept receiving gradients, regrow; the paper reports this recovers accuracy
 * at high sparsity compared to a single ramp. Before {@code start} the schedule is at the first
 * sparsity in phase PRUNE; after the last cycle it is at {@code s_f} in phase FINAL.
 *
 * <p>With {@link #UNBOUNDED} cycles the schedule never ends: continuous online pruning, yielding a
 * freshly pruned model at {@link #cycleEnd(long)} of every period.
 *
 * @param clock what a tick is
 * @param start the tick at which cycle 0 starts, >= 0
 * @param cycleLength the cycle length {@code P} in ticks, > 0
 * @param cycles the number of cycles, >= 1, or {@link #UNBOUNDED}
 * @param finalSparsity the sparsity {@code s_f} that every cycle reaches and holds, in [0, 1)
 * @param firstSparsity the sparsity at which cycle 0's ramp starts, in [0, final sparsity]
 * @param restartSparsity the sparsity at which the ramps of cycles 1 and later start, in [0, final
 *     sparsity]
 * @param rampFraction the fraction of each cycle spent ramping, in (0, 1]; the rest is held at the
 *     final sparsity
 * @param exponent the ramps' exponent {@code e}, finite and > 0
 */
public record CyclicalSparsitySchedule(
        Clock clock,
        long start,
        long cycleLength,
        long cycles,
        double finalSparsity,
        double firstSparsity,
        double restartSparsity,
        double rampFraction,
        double exponent)
        implements SparsitySchedule {
    /** The cycle count of a schedule that never ends. */
    public static final long UNBOUNDED = Long.MAX_VALUE;

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
    public CyclicalSparsitySchedule {
        SparsitySchedules.checkTiming(clock, start, "period (cycle length)", cycleLength);
        checkArgument(cycles >= 1, "cycles must be >= 1 or inf (unbounded), got %s", cycles);
        checkSparsity("final sparsity", finalSparsity);
        checkSparsity("first sparsity", firstSparsity);
        checkSparsity("restart sparsity", restartSparsity);
        checkArgument(
                firstSparsity <= finalSparsity,
                "first sparsity must be <= final sparsity (%s), got %s",
                finalSparsity,
                firstSparsity);
        checkArgument(
                restartSparsity <= finalSparsity,
                "restart sparsity must be <= final sparsity (%s), got %s",
                finalSparsity,
                restartSparsity);
        checkArgument(rampFraction > 0 && rampFraction <= 1, "ramp fraction must be in (0, 1], got %s", rampFraction);
        SparsitySchedules.checkExponent(exponent);
        // -0.0 would print as 0 and not parse back to an equal schedule
        finalSparsity += 0.0;
        firstSparsity += 0.0;
        restartSparsity += 0.0;
    }

    @Override
    public SchedulePoint at(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        if (ticks < start) {
            return new SchedulePoint(firstSparsity, Phase.PRUNE, 0);
        }
        long elapsed = ticks - start; // both >= 0: no overflow, unlike start + cycles * P
        long cycle = elapsed / cycleLength;
        // An unbounded schedule never ends, even if elapsed / P reaches Long.MAX_VALUE.
        if (cycle >= cycles && !isUnbounded()) {
            return new SchedulePoint(finalSparsity, Phase.FINAL, cycles - 1);
        }
        long tau = elapsed - cycle * cycleLength;
        double ramp = rampFraction * cycleLength;
        if (tau >= ramp) {
            return new SchedulePoint(finalSparsity, Phase.HOLD, cycle);
        }
        double from = cycle == 0 ? firstSparsity : restartSparsity;
        double s = finalSparsity + (from - finalSparsity) * Math.pow(1.0 - tau / ramp, exponent);
        // Rounding may land an ulp outside [s_c, s_f] (0.9 - 0.8 < 0.1); clamping keeps the ramp monotone.
        return new SchedulePoint(Math.max(from, Math.min(finalSparsity, s)), Phase.PRUNE, cycle);
    }

    @Override
    public long nextMilestone(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        long cycle = ticks < start ? 0 : (ticks - start) / cycleLength;
        if (!isUnbounded() && cycle >= cycles) {
            return Long.MAX_VALUE;
        }
        return cycleEnd(cycle);
    }

    /**
     * Returns the 0-based cycle that {@code ticks} falls in: 0 before the start, the last cycle
     * after the end.
     *
     * @param ticks progress, >= 0
     * @return the cycle index
     */
    public long cycleOf(long ticks) {
        return at(ticks).cycle();
    }

    /**
     * Returns the tick at which cycle {@code cycle} ends, {@code start + (cycle + 1) * P}.
     *
     * <p>The pruned model at the target sparsity is emitted there. Saturates at
     * {@link Long#MAX_VALUE} rather than overflowing, so far cycles of an unbounded schedule end
     * "never".
     *
     * @param cycle a cycle index in [0, cycles)
     * @return the end tick (exclusive: the next cycle starts there)
     */
    public long cycleEnd(long cycle) {
        checkArgument(
                cycle >= 0 && (isUnbounded() || cycle < cycles),
                "cycle must be in [0, %s), got %s",
                isUnbounded() ? "inf" : cycles,
                cycle);
        long sinceStart = cycle == Long.MAX_VALUE ? Long.MAX_VALUE : saturatingMultiply(cycle + 1, cycleLength);
        return saturatingAdd(start, sinceStart);
    }

    /**
     * Returns whether the schedule never ends ({@link #cycles()} is {@link #UNBOUNDED}).
     *
     * @return true for continuous online pruning
     */
    public boolean isUnbounded() {
        return cycles == UNBOUNDED;
    }

    @Override
    public String toSpec() {
        return "cyclical(final=" + SparsitySchedules.formatNumber(finalSparsity)
                + ", period=" + SparsitySchedules.formatTicks(cycleLength, clock)
                + ", cycles=" + (isUnbounded() ? "inf" : Long.toString(cycles))
                + ", ramp=" + SparsitySchedules.formatNumber(rampFraction)
                + ", first=" + SparsitySchedules.formatNumber(firstSparsity)
                + ", restart=" + SparsitySchedules.formatNumber(restartSparsity)
                + ", exponent=" + SparsitySchedules.formatNumber(exponent)
                + ", start=" + SparsitySchedules.formatTicks(start, clock)
                + ", clock=" + SparsitySchedules.clockName(clock) + ")";
    }

    @Override
    public String toString() {
        return toSpec();
    }

    private static long saturatingMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        // For non-negative operands the product fits iff the high word is 0 and the low one is not negative.
        return high == 0 && low >= 0 ? low : Long.MAX_VALUE;
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum; // non-negative operands overflow only to negative
    }

    /**
     * Builds a {@link CyclicalSparsitySchedule}; {@link #setCycleLength} and
     * {@link #setFinalSparsity} are required.
     *
     * <p>The {@link Duration} overloads measure event time: they imply {@link Clock#EVENT_TIME}
     * unless another clock is set, which {@link #build()} rejects. Long values given alongside them
     * are then milliseconds.
     */
    public static final class Builder extends RampScheduleBuilder<Builder> {
        private long cycles = UNBOUNDED;
        private double firstSparsity;
        private double restartSparsity;
        private double rampFraction = 0.75;

        private Builder() {}

        /**
         * Sets the cycle length {@code P} in ticks; required.
         *
         * @param ticks the period, > 0
         * @return this builder
         */
        public Builder setCycleLength(long ticks) {
            return length(ticks);
        }

        /**
         * Sets the cycle length in event time; required.
         *
         * @param period a positive whole number of milliseconds
         * @return this builder
         */
        public Builder setCycleLength(Duration period) {
            return length("period (cycle length)", period);
        }

        /**
         * Sets the number of cycles; default {@link #UNBOUNDED}.
         *
         * @param cycles >= 1, or {@link #UNBOUNDED} to prune continuously
         * @return this builder
         */
        public Builder optCycles(long cycles) {
            this.cycles = cycles;
            return this;
        }

        /**
         * Sets the sparsity at which cycle 0's ramp starts; default 0 (dense).
         *
         * @param sparsity in [0, final sparsity]
         * @return this builder
         */
        public Builder optFirstSparsity(double sparsity) {
            this.firstSparsity = sparsity;
            return this;
        }

        /**
         * Sets the sparsity at which later cycles' ramps start; default 0, as in the paper.
         *
         * @param sparsity in [0, final sparsity]
         * @return this builder
         */
        public Builder optRestartSparsity(double sparsity) {
            this.restartSparsity = sparsity;
            return this;
        }

        /**
         * Sets the fraction of each cycle spent ramping; default 0.75.
         *
         * @param fraction in (0, 1]
         * @return this builder
         */
        public Builder optRampFraction(double fraction) {
            this.rampFraction = fraction;
            return this;
        }

        /**
         * Sets the tick at which cycle 0 starts; default 0.
         *
         * @param ticks the start, >= 0
         * @return this builder
         */
        public Builder optStart(long ticks) {
            return start(ticks);
        }

        /**
         * Sets the event time after the anchor at which cycle 0 starts; default 0.
         *
         * @param start a non-negative whole number of milliseconds
         * @return this builder
         */
        public Builder optStart(Duration start) {
            return start(start);
        }

        /**
         * Validates the settings and builds the schedule.
         *
         * @return the schedule
         * @throws IllegalStateException if a required setting is missing
         * @throws IllegalArgumentException if a setting is out of range
         */
        @Override
        public CyclicalSparsitySchedule build() {
            Clock resolved = resolveClock("period (cycle length) is required (setCycleLength)");
            return new CyclicalSparsitySchedule(
                    resolved,
                    start,
                    length,
                    cycles,
                    finalSparsity,
                    firstSparsity,
                    restartSparsity,
                    rampFraction,
                    exponent);
        }
    }
}
