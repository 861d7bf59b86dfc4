package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import org.cyclicalpruning.modelops.drift.DriftState;
import org.cyclicalpruning.modelops.drift.HoeffdingDriftDetector;

/**
 * A schedule that holds its mask like GMP once its own ramps are over, and starts a new cycle when
 * the model's prequential error rises: {@code cyclical(final=0.98, period=10m, cycles=3,
 * on-drift=restart)} or {@code gradual(final=0.98, duration=1h, on-drift=restart)}.
 *
 * <p>The base schedule runs as declared: its cycles undo early pruning mistakes (Srinivas et al.
 * 2022). Once its last ramp is over, the mask is held and a drift detector ({@link HoeffdingDriftDetector})
 * is armed, {@code cooldown} after the last ramp ended. A detection at tick {@code d} starts a
 * cycle there: sparsity drops to the base's restart sparsity (the cyclical {@code restart}, the
 * gradual {@code initial}) and ramps back to the final sparsity over {@code restartRamp} ticks with
 * the base's exponent, so that weights pruned for the old data can regrow for the new; then the
 * mask is held again, and the detector re-armed {@code cooldown} later. Nothing but the model's
 * own error decides: a replay detects at the same batch.
 *
 * <p>This record is the declaration. Where the schedule stands after detections is {@link
 * #restarted(DriftState)}, a pure function of the model's {@link DriftState}.
 *
 * @param base the schedule that runs until the first detection: cyclical with a bounded number of
 *     cycles, or gradual
 * @param restartRamp ticks over which a detection's cycle ramps back to the final sparsity, > 0
 * @param cooldown ticks after the end of a ramp before the detector is armed, >= 0
 * @param alpha the detector's confidence: the most that one of its tests fires on a stream whose
 *     error has not risen, in (0, 1)
 */
public record DriftAwareSchedule(SparsitySchedule base, long restartRamp, long cooldown, double alpha)
        implements SparsitySchedule {

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException naming the first setting out of range
     */
    public DriftAwareSchedule {
        checkArgument(
                base instanceof GradualSparsitySchedule
                        || base instanceof CyclicalSparsitySchedule c && !c.isUnbounded(),
                "on-drift=restart needs a gradual schedule or a cyclical one with a number of cycles, got %s"
                        + " (with cycles=inf the clock restarts every period already)",
                base);
        checkArgument(restartRamp > 0, "drift-ramp must be > 0 ticks, got %s", restartRamp);
        checkArgument(cooldown >= 0, "cooldown must be >= 0 ticks, got %s", cooldown);
        checkArgument(alpha > 0 && alpha < 1, "drift-alpha must be in (0, 1), got %s", alpha);
    }

    /**
     * Returns a drift-aware schedule with the defaults: a restart ramps as long as one of the
     * base's ramps, the detector waits a tenth of that after each ramp ({@link
     * #defaultCooldown}), and alpha is {@link HoeffdingDriftDetector#DEFAULT_ALPHA}.
     *
     * @param base cyclical with a number of cycles, or gradual
     * @return the schedule
     */
    public static DriftAwareSchedule withDefaults(SparsitySchedule base) {
        long ramp = defaultRamp(base);
        return new DriftAwareSchedule(base, ramp, defaultCooldown(ramp), HoeffdingDriftDetector.DEFAULT_ALPHA);
    }

    /**
     * Returns the default cooldown after a ramp of {@code ramp} ticks: a tenth of it. The error falls
     * while a held mask recovers from its last pruning, which a one-sided test ignores, so the wait
     * only leaves out the batches that the ramp's last mask update moved; a longer one would miss a
     * drift that lands in it, since the detector then arms with the drifted error as its baseline.
     *
     * @param ramp a ramp's length in ticks
     * @return the cooldown in ticks
     */
    public static long defaultCooldown(long ramp) {
        return ramp / 10;
    }

    /** One ramp of the base: a cyclical cycle's ramp, or the gradual duration. */
    static long defaultRamp(SparsitySchedule base) {
        if (base instanceof CyclicalSparsitySchedule c) {
            return Math.max(1, Math.round(c.rampFraction() * c.cycleLength()));
        }
        if (base instanceof GradualSparsitySchedule g) {
            return g.duration();
        }
        throw new IllegalArgumentException("on-drift=restart needs a cyclical or gradual schedule, got " + base);
    }

    @Override
    public Clock clock() {
        return base.clock();
    }

    @Override
    public SchedulePoint at(long ticks) {
        return base.at(ticks);
    }

    @Override
    public long nextMilestone(long ticks) {
        return base.nextMilestone(ticks);
    }

    @Override
    public double finalSparsity() {
        return base.finalSparsity();
    }

    /**
     * Returns the tick at which the base schedule's last ramp is over: from there it holds its mask
     * for good (the hold of its last cycle, then its end).
     */
    public long baseRampEnd() {
        if (base instanceof CyclicalSparsitySchedule c) {
            long lastCycleStart = c.cycles() == 1 ? c.start() : c.cycleEnd(c.cycles() - 2);
            // the hold starts at the first whole tick at or past the ramp (see CyclicalSparsitySchedule#at)
            return saturatingAdd(lastCycleStart, (long) Math.ceil(c.rampFraction() * c.cycleLength()));
        }
        GradualSparsitySchedule g = (GradualSparsitySchedule) base;
        // FINAL starts the tick after the ramp's last one (see GradualSparsitySchedule#at)
        return saturatingAdd(saturatingAdd(g.start(), g.duration()), 1);
    }

    /**
     * Returns the tick from which the detector is armed, given the detections so far: {@code
     * cooldown} after the end of the last ramp, the base's or a restart's.
     *
     * @param drift the model's detections
     * @return the tick; the detector is armed at and after it
     */
    public long armedFrom(DriftState drift) {
        long rampEnd = drift.detections() == 0 ? baseRampEnd() : saturatingAdd(drift.lastRestartTick(), restartRamp);
        return saturatingAdd(rampEnd, cooldown);
    }

    /**
     * Returns the schedule as it stands after the detections in {@code drift}: the base until the
     * last detection, that detection's cycle from it on.
     *
     * @param drift the model's detections
     * @return this schedule when there were none, else a schedule with the same clock and spec
     */
    public SparsitySchedule restarted(DriftState drift) {
        return drift.detections() == 0 ? this : new Restarted(this, drift.detections(), drift.lastRestartTick());
    }

    /** Returns the sparsity a detection's cycle starts its ramp from. */
    double restartSparsity() {
        return base instanceof CyclicalSparsitySchedule c
                ? c.restartSparsity()
                : ((GradualSparsitySchedule) base).initialSparsity();
    }

    double exponent() {
        return base instanceof CyclicalSparsitySchedule c ? c.exponent() : ((GradualSparsitySchedule) base).exponent();
    }

    /** The cycles the base schedule runs; a detection's cycle follows them. */
    long baseCycles() {
        return base instanceof CyclicalSparsitySchedule c ? c.cycles() : 1;
    }

    @Override
    public String toSpec() {
        String spec = base.toSpec();
        return spec.substring(0, spec.length() - 1)
                + ", on-drift=restart, drift-ramp=" + SparsitySchedules.formatTicks(restartRamp, clock())
                + ", cooldown=" + SparsitySchedules.formatTicks(cooldown, clock())
                + ", drift-alpha=" + SparsitySchedules.formatNumber(alpha) + ")";
    }

    @Override
    public String toString() {
        return toSpec();
    }

    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum; // non-negative operands overflow only to negative
    }

    /**
     * The schedule after {@code detections} detections, the last at {@code restartTick}: the base
     * before it; from it, a ramp from the restart sparsity to the final one over {@code
     * restartRamp}, then a hold. Its milestone is the end of that ramp, where the model stands at
     * its target again.
     */
    private record Restarted(DriftAwareSchedule declared, long detections, long restartTick)
            implements SparsitySchedule {

        @Override
        public Clock clock() {
            return declared.clock();
        }

        @Override
        public SchedulePoint at(long ticks) {
            SparsitySchedules.checkTicks(ticks);
            if (ticks < restartTick) {
                return declared.base().at(ticks);
            }
            long cycle = declared.baseCycles() - 1 + detections;
            long tau = ticks - restartTick;
            double s = declared.finalSparsity();
            if (tau >= declared.restartRamp()) {
                return new SchedulePoint(s, Phase.HOLD, cycle);
            }
            double from = declared.restartSparsity();
            double ramped = s + (from - s) * Math.pow(1.0 - (double) tau / declared.restartRamp(), declared.exponent());
            return new SchedulePoint(Math.max(from, Math.min(s, ramped)), Phase.PRUNE, cycle);
        }

        @Override
        public long nextMilestone(long ticks) {
            SparsitySchedules.checkTicks(ticks);
            if (ticks < restartTick) {
                return Math.min(
                        declared.base().nextMilestone(ticks), saturatingAdd(restartTick, declared.restartRamp()));
            }
            long end = saturatingAdd(restartTick, declared.restartRamp());
            return ticks < end ? end : Long.MAX_VALUE;
        }

        @Override
        public double finalSparsity() {
            return declared.finalSparsity();
        }

        @Override
        public String toSpec() {
            return declared.toSpec();
        }
    }
}
