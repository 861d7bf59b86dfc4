package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;
import static org.cyclicalpruning.modelops.util.Checks.checkState;

import java.time.Duration;
import java.util.Objects;

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
 */
public final class CyclicalSparsitySchedule implements SparsitySchedule {
    /** The cycle count of a schedule that never ends. */
    public static final long UNBOUNDED = Long.MAX_VALUE;

    private final Clock clock;
    private final long start;
    private final long cycleLength;
    private final long cycles;
    private final double finalSparsity;
    private final double firstSparsity;
    private final double restartSparsity;
    private final double rampFraction;
    private final double exponent;

    private CyclicalSparsitySchedule(
            Clock clock,
            long start,
            long cycleLength,
            long cycles,
            double finalSparsity,
            double firstSparsity,
            double restartSparsity,
            double rampFraction,
            double exponent) {
        this.clock = clock;
        this.start = start;
        this.cycleLength = cycleLength;
        this.cycles = cycles;
        // -0.0 would print as 0 and not parse back to an equal schedule
        this.finalSparsity = finalSparsity + 0.0;
        this.firstSparsity = firstSparsity + 0.0;
        this.restartSparsity = restartSparsity + 0.0;
        this.rampFraction = rampFraction;
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
    public Clock clock() {
        return clock;
    }

    /**
     * Returns the tick at which cycle 0 starts.
     *
     * @return the start, >= 0
     */
    public long start() {
        return start;
    }

    /**
     * Returns the cycle length {@code P} in ticks.
     *
     * @return the period, > 0
     */
    public long cycleLength() {
        return cycleLength;
    }

    /**
     * Returns the number of cycles.
     *
     * @return the count, >= 1, or {@link #UNBOUNDED}
     */
    public long cycles() {
        return cycles;
    }

    @Override
    public double finalSparsity() {
        return finalSparsity;
    }

    /**
     * Returns the sparsity at which cycle 0's ramp starts.
     *
     * @return the first sparsity
     */
    public double firstSparsity() {
        return firstSparsity;
    }

    /**
     * Returns the sparsity at which the ramps of cycles 1 and later start.
     *
     * @return the restart sparsity
     */
    public double restartSparsity() {
        return restartSparsity;
    }

    /**
     * Returns the fraction of each cycle spent ramping; the rest is held at the final sparsity.
     *
     * @return the ramp fraction, in (0, 1]
     */
    public double rampFraction() {
        return rampFraction;
    }

    /**
     * Returns the ramps' exponent {@code e}.
     *
     * @return the exponent, finite and > 0
     */
    public double exponent() {
        return exponent;
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
    public boolean equals(Object o) {
        return o instanceof CyclicalSparsitySchedule c
                && clock == c.clock
                && start == c.start
                && cycleLength == c.cycleLength
                && cycles == c.cycles
                && Double.compare(finalSparsity, c.finalSparsity) == 0
                && Double.compare(firstSparsity, c.firstSparsity) == 0
                && Double.compare(restartSparsity, c.restartSparsity) == 0
                && Double.compare(rampFraction, c.rampFraction) == 0
                && Double.compare(exponent, c.exponent) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                clock,
                start,
                cycleLength,
                cycles,
                finalSparsity,
                firstSparsity,
                restartSparsity,
                rampFraction,
                exponent);
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
    public static final class Builder {
        private Clock clock;
        private boolean usesDuration;
        private long start;
        private long cycleLength;
        private boolean cycleLengthSet;
        private long cycles = UNBOUNDED;
        private double finalSparsity = Double.NaN;
        private double firstSparsity;
        private double restartSparsity;
        private double rampFraction = 0.75;
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
         * Sets the cycle length {@code P} in ticks; required.
         *
         * @param ticks the period, > 0
         * @return this builder
         */
        public Builder setCycleLength(long ticks) {
            this.cycleLength = ticks;
            this.cycleLengthSet = true;
            return this;
        }

        /**
         * Sets the cycle length in event time; required.
         *
         * @param period a positive whole number of milliseconds
         * @return this builder
         */
        public Builder setCycleLength(Duration period) {
            this.cycleLength = SparsitySchedules.toMillis("period (cycle length)", period);
            this.cycleLengthSet = true;
            this.usesDuration = true;
            return this;
        }

        /**
         * Sets the tick at which cycle 0 starts; default 0.
         *
         * @param ticks the start, >= 0
         * @return this builder
         */
        public Builder optStart(long ticks) {
            this.start = ticks;
            return this;
        }

        /**
         * Sets the event time after the anchor at which cycle 0 starts; default 0.
         *
         * @param start a non-negative whole number of milliseconds
         * @return this builder
         */
        public Builder optStart(Duration start) {
            this.start = SparsitySchedules.toMillis("start", start);
            this.usesDuration = true;
            return this;
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
         * Sets the sparsity {@code s_f} that every cycle reaches and holds; required.
         *
         * @param sparsity in [0, 1)
         * @return this builder
         */
        public Builder setFinalSparsity(double sparsity) {
            this.finalSparsity = sparsity;
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
         * Sets the ramps' exponent {@code e}; default 3.
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
        public CyclicalSparsitySchedule build() {
            checkState(cycleLengthSet, "period (cycle length) is required (setCycleLength)");
            checkState(!Double.isNaN(finalSparsity), "final sparsity is required (setFinalSparsity)");
            Clock resolved = SparsitySchedules.resolveClock(clock, usesDuration);
            checkArgument(start >= 0, "start must be >= 0 ticks, got %s", start);
            checkArgument(cycleLength > 0, "period (cycle length) must be > 0 ticks, got %s", cycleLength);
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
            checkArgument(
                    rampFraction > 0 && rampFraction <= 1, "ramp fraction must be in (0, 1], got %s", rampFraction);
            SparsitySchedules.checkExponent(exponent);
            return new CyclicalSparsitySchedule(
                    resolved,
                    start,
                    cycleLength,
                    cycles,
                    finalSparsity,
                    firstSparsity,
                    restartSparsity,
                    rampFraction,
                    exponent);
        }
    }
}
