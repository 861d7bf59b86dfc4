package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;
import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;

/** Prune once and freeze; see {@link SparsitySchedule#oneShot(long, Clock, double)}. */
record OneShotSchedule(long pruneAt, Clock clock, double sparsity) implements SparsitySchedule {

    OneShotSchedule {
        checkArgument(pruneAt >= 0, "at must be >= 0 ticks, got %s", pruneAt);
        checkArgument(clock != null, "clock must be set; allowed: %s", SparsitySchedules.CLOCKS);
        checkSparsity("sparsity", sparsity);
        sparsity += 0.0; // -0.0 would print as 0 and not parse back to an equal record
    }

    @Override
    public SchedulePoint at(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        return ticks < pruneAt ? new SchedulePoint(0.0, Phase.PRUNE, 0) : new SchedulePoint(sparsity, Phase.FINAL, 0);
    }

    @Override
    public double finalSparsity() {
        return sparsity;
    }

    @Override
    public String toSpec() {
        return "one-shot(at=" + SparsitySchedules.formatTicks(pruneAt, clock)
                + ", sparsity=" + SparsitySchedules.formatNumber(sparsity)
                + ", clock=" + SparsitySchedules.clockName(clock) + ")";
    }

    @Override
    public String toString() {
        return toSpec();
    }
}
