package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cyclicalpruning.modelops.drift.DriftDetectorState;
import org.cyclicalpruning.modelops.drift.DriftState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DriftAwareScheduleTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "cyclical(final=0.98, period=10m, cycles=3, on-drift=restart)",
                "cyclical(final=0.9, period=1000, cycles=2, ramp=0.5, on-drift=restart, drift-ramp=100,"
                        + " cooldown=0, drift-alpha=0.001)",
                "gradual(final=0.98, duration=1h, warmup=30m, on-drift=restart, drift-ramp=5m)",
                "gradual(final=0.5, duration=400, clock=samples, on-drift=restart)"
            })
    void parsesAndPrintsBackToAnEqualSchedule(String spec) {
        SparsitySchedule schedule = SparsitySchedules.parse(spec);
        assertThat(schedule).isInstanceOf(DriftAwareSchedule.class);
        assertThat(SparsitySchedules.parse(schedule.toSpec())).isEqualTo(schedule);
    }

    @Test
    void defaultsFollowTheBaseRamp() {
        DriftAwareSchedule s = (DriftAwareSchedule)
                SparsitySchedules.parse("cyclical(final=0.98, period=10m, cycles=3, ramp=0.5, on-drift=restart)");
        assertThat(s.clock()).isEqualTo(Clock.EVENT_TIME);
        assertThat(s.restartRamp()).isEqualTo(300_000);
        assertThat(s.cooldown()).isEqualTo(30_000);
        // the third cycle starts at 20 minutes and ramps for 5
        assertThat(s.baseRampEnd()).isEqualTo(1_500_000);
        assertThat(s.at(1_500_000).phase()).isEqualTo(Phase.HOLD);
        assertThat(s.at(1_499_999).phase()).isEqualTo(Phase.PRUNE);
        assertThat(s.armedFrom(DriftState.NONE)).isEqualTo(1_530_000);
        assertThat(SparsitySchedules.parse("cyclical(final=0.98, period=10m, cycles=3, ramp=0.5)"))
                .isEqualTo(s.base());
        assertThat(SparsitySchedules.parse("cyclical(final=0.98, period=10m, cycles=3, on-drift=hold)"))
                .isInstanceOf(CyclicalSparsitySchedule.class);
    }

    @Test
    void aDetectionStartsACycleFromTheRestartSparsityAndHoldsAfterItsRamp() {
        DriftAwareSchedule s = (DriftAwareSchedule) SparsitySchedules.parse(
                "cyclical(final=0.9, period=100, cycles=2, restart=0.3, on-drift=restart, drift-ramp=40, cooldown=10)");
        DriftState once = DriftState.NONE.detected(500, 12_345);
        SparsitySchedule after = s.restarted(once);
        assertThat(after.at(499)).isEqualTo(s.at(499));
        assertThat(after.at(500)).isEqualTo(new SchedulePoint(0.3, Phase.PRUNE, 2));
        assertThat(after.at(520).sparsity()).isBetween(0.3, 0.9);
        assertThat(after.at(520).phase()).isEqualTo(Phase.PRUNE);
        assertThat(after.at(540)).isEqualTo(new SchedulePoint(0.9, Phase.HOLD, 2));
        assertThat(after.nextMilestone(500)).isEqualTo(540);
        assertThat(after.nextMilestone(540)).isEqualTo(Long.MAX_VALUE);
        assertThat(s.armedFrom(once)).isEqualTo(550);
        assertThat(after.toSpec()).isEqualTo(s.toSpec());
        DriftState twice = once.with(new DriftDetectorState(10, 1, 10, 1), 0).detected(900, 99);
        assertThat(s.restarted(twice).at(900).cycle()).isEqualTo(3);
    }

    @Test
    void refusesWhatCannotRestart() {
        assertThatThrownBy(() -> SparsitySchedules.parse("cyclical(final=0.9, period=100, on-drift=restart)"))
                .hasMessageContaining("cycles=inf");
        assertThatThrownBy(() -> SparsitySchedules.parse("constant(sparsity=0.9, on-drift=restart)"))
                .hasMessageContaining("unknown key 'on-drift'");
        assertThatThrownBy(() -> SparsitySchedules.parse("gradual(final=0.9, duration=100, drift-ramp=10)"))
                .hasMessageContaining("without on-drift=restart");
        assertThatThrownBy(() -> SparsitySchedules.parse("gradual(final=0.9, duration=100, on-drift=reset)"))
                .hasMessageContaining("restart or hold");
        assertThatThrownBy(() ->
                        SparsitySchedules.parse("gradual(final=0.9, duration=100, on-drift=restart, drift-alpha=2)"))
                .hasMessageContaining("drift-alpha");
        assertThatThrownBy(() -> SparsitySchedules.parse(
                        "gradual(final=0.9, duration=100, clock=batches, on-drift=restart, cooldown=5m)"))
                .hasMessageContaining("durations need clock=event-time");
    }
}
