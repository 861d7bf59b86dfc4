package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SparsityScheduleTest {

    @Test
    void constantPrunesToTheSameTargetForever() {
        SparsitySchedule s = SparsitySchedule.constant(0.7);
        assertThat(s.clock()).isEqualTo(Clock.BATCHES);
        assertThat(s.finalSparsity()).isEqualTo(0.7);
        for (long t : new long[] {0, 1, 1_000_000, Long.MAX_VALUE}) {
            assertThat(s.at(t)).isEqualTo(new SchedulePoint(0.7, Phase.PRUNE, 0));
        }
        assertThat(s).isEqualTo(SparsitySchedule.constant(0.7)).isNotEqualTo(SparsitySchedule.constant(0.5));
        assertThat(s).hasToString("constant(0.7)");
    }

    @Test
    void oneShotPrunesOnceThenFreezes() {
        SparsitySchedule s = SparsitySchedule.oneShot(1000, Clock.SAMPLES, 0.9);
        assertThat(s.clock()).isEqualTo(Clock.SAMPLES);
        assertThat(s.at(0)).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, 0));
        assertThat(s.at(999)).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, 0));
        assertThat(s.at(1000)).isEqualTo(new SchedulePoint(0.9, Phase.FINAL, 0));
        assertThat(s.at(Long.MAX_VALUE)).isEqualTo(new SchedulePoint(0.9, Phase.FINAL, 0));
        assertThat(s.finalSparsity()).isEqualTo(0.9);
        assertThat(s).hasToString("one-shot(at=1000, sparsity=0.9, clock=samples)");
    }

    @Test
    void oneShotAtDurationUsesEventTimeMillis() {
        SparsitySchedule s = SparsitySchedule.oneShot(Duration.ofSeconds(90), 0.8);
        assertThat(s.clock()).isEqualTo(Clock.EVENT_TIME);
        assertThat(s.sparsityAt(89_999)).isZero();
        assertThat(s.at(90_000)).isEqualTo(new SchedulePoint(0.8, Phase.FINAL, 0));
        assertThat(s).isEqualTo(SparsitySchedule.oneShot(90_000, Clock.EVENT_TIME, 0.8));
        assertThat(s.toSpec()).isEqualTo("one-shot(at=90s, sparsity=0.8, clock=event-time)");
    }

    @Test
    void rejectsInvalidArguments() {
        assertThatThrownBy(() -> SparsitySchedule.constant(1.2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sparsity")
                .hasMessageContaining("1.2")
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> SparsitySchedule.oneShot(-1, Clock.BATCHES, 0.5))
                .hasMessageContaining("at")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> SparsitySchedule.oneShot(1, null, 0.5)).hasMessageContaining("clock");
        assertThatThrownBy(() -> SparsitySchedule.oneShot(Duration.ofSeconds(-1), 0.5))
                .hasMessageContaining("at")
                .hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> SparsitySchedule.constant(0.5).at(-2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ticks")
                .hasMessageContaining("-2");
    }

    @Test
    void onlyPruneUpdatesTheMask() {
        assertThat(Phase.PRUNE.updatesMask()).isTrue();
        assertThat(Phase.HOLD.updatesMask()).isFalse();
        assertThat(Phase.FINAL.updatesMask()).isFalse();
    }

    @Test
    void schedulePointChecksItsComponents() {
        assertThatThrownBy(() -> new SchedulePoint(1.0, Phase.PRUNE, 0)).hasMessageContaining("1.0");
        assertThatThrownBy(() -> new SchedulePoint(0.5, null, 0)).hasMessageContaining("phase");
        assertThatThrownBy(() -> new SchedulePoint(0.5, Phase.HOLD, -1)).hasMessageContaining("-1");
    }
}
