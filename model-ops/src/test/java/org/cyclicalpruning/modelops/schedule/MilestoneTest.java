package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MilestoneTest {

    @Test
    void cyclicalMilestonesAreCycleEnds() {
        SparsitySchedule s = SparsitySchedules.parse("cyclical(final=0.9, period=1000, cycles=3, start=500)");
        assertThat(s.nextMilestone(0)).isEqualTo(1500);
        assertThat(s.nextMilestone(1499)).isEqualTo(1500);
        assertThat(s.nextMilestone(1500)).isEqualTo(2500);
        assertThat(s.nextMilestone(3499)).isEqualTo(3500);
        assertThat(s.nextMilestone(3500)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void unboundedCyclesNeverRunOutOfMilestones() {
        SparsitySchedule s = SparsitySchedules.parse("cyclical(final=0.9, period=10s, cycles=inf)");
        assertThat(s.nextMilestone(1_000_000_001L)).isEqualTo(1_000_010_000L);
        assertThat(s.nextMilestone(Long.MAX_VALUE - 1)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void gradualHasOneMilestoneAtTheEndOfTheRamp() {
        SparsitySchedule s = SparsitySchedules.parse("gradual(final=0.9, duration=4000, start=100)");
        assertThat(s.nextMilestone(0)).isEqualTo(4100);
        assertThat(s.nextMilestone(4099)).isEqualTo(4100);
        assertThat(s.nextMilestone(4100)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void constantAndOneShotHaveNone() {
        assertThat(SparsitySchedule.constant(0.5).nextMilestone(7)).isEqualTo(Long.MAX_VALUE);
        assertThat(SparsitySchedules.parse("one-shot(at=10, sparsity=0.9)").nextMilestone(0))
                .isEqualTo(Long.MAX_VALUE);
    }
}
