package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkSparsity;

/** A fixed target with the mask recomputed at every tick; see {@link SparsitySchedule#constant}. */
record ConstantSchedule(double sparsity) implements SparsitySchedule {

    ConstantSchedule {
        checkSparsity("sparsity", sparsity);
        sparsity += 0.0; // -0.0 would print as 0 and not parse back to an equal record
    }

    @Override
    public Clock clock() {
        return Clock.BATCHES;
    }

    @Override
    public SchedulePoint at(long ticks) {
        SparsitySchedules.checkTicks(ticks);
        return new SchedulePoint(sparsity, Phase.PRUNE, 0);
    }

    @Override
    public double finalSparsity() {
        return sparsity;
    }

    @Override
    public String toSpec() {
        return "constant(" + SparsitySchedules.formatNumber(sparsity) + ")";
    }

    @Override
    public String toString() {
        return toSpec();
    }
}
