package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GradualSparsityScheduleTest {
    private static final double EPS = 1e-12;

    // t0 = 100, T = 1000, s_i = 0.1, s_f = 0.9, e = 3
    private final GradualSparsitySchedule schedule = GradualSparsitySchedule.builder()
            .setStart(100)
            .setDuration(1000)
            .optInitialSparsity(0.1)
            .setFinalSparsity(0.9)
            .build();

    @ParameterizedTest
    @CsvSource({
        "0,    0.1,   PRUNE", // before t0: s_i
        "99,   0.1,   PRUNE",
        "100,  0.1,   PRUNE", // t0: (1 - 0)^3 = 1
        "600,  0.8,   PRUNE", // t0 + T/2: s_f + (s_i - s_f) / 8 = 0.9 - 0.1
        "1100, 0.9,   PRUNE", // t0 + T: the last mask update reaches s_f
        "1101, 0.9,   FINAL",
        "9223372036854775807, 0.9, FINAL"
    })
    void followsZhuGuptaFormula(long ticks, double sparsity, Phase phase) {
        SchedulePoint p = schedule.at(ticks);
        assertThat(p.sparsity()).isCloseTo(sparsity, within(EPS));
        assertThat(p.phase()).isEqualTo(phase);
        assertThat(p.cycle()).isZero();
        assertThat(schedule.sparsityAt(ticks)).isEqualTo(p.sparsity());
    }

    @Test
    void exponentShapesTheRamp() {
        GradualSparsitySchedule linear = GradualSparsitySchedule.builder()
                .setDuration(100)
                .setFinalSparsity(0.8)
                .optExponent(1)
                .build();
        assertThat(linear.sparsityAt(25)).isCloseTo(0.2, within(EPS));
        assertThat(linear.sparsityAt(50)).isCloseTo(0.4, within(EPS));
    }

    @Test
    void rampHitsItsEndpointsExactly() {
        assertThat(schedule.sparsityAt(100)).isEqualTo(0.1); // 0.9 + (0.1 - 0.9) rounds below 0.1
        assertThat(schedule.sparsityAt(1100)).isEqualTo(0.9);
    }

    @Test
    void rampIsMonotoneNonDecreasing() {
        double previous = -1;
        for (long t = 0; t <= 1200; t++) {
            double s = schedule.sparsityAt(t);
            assertThat(s).isGreaterThanOrEqualTo(previous);
            previous = s;
        }
    }

    @Test
    void defaultsAndGetters() {
        GradualSparsitySchedule s = GradualSparsitySchedule.builder()
                .setDuration(10)
                .setFinalSparsity(0.5)
                .build();
        assertThat(s.clock()).isEqualTo(Clock.BATCHES);
        assertThat(s.start()).isZero();
        assertThat(s.duration()).isEqualTo(10);
        assertThat(s.initialSparsity()).isZero();
        assertThat(s.finalSparsity()).isEqualTo(0.5);
        assertThat(s.exponent()).isEqualTo(3.0);
        assertThat(s.at(0)).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, 0));
    }

    @Test
    void durationsMeanEventTimeMillis() {
        GradualSparsitySchedule s = GradualSparsitySchedule.builder()
                .setStart(Duration.ofMinutes(1))
                .setDuration(Duration.ofMinutes(10))
                .setFinalSparsity(0.9)
                .build();
        assertThat(s.clock()).isEqualTo(Clock.EVENT_TIME);
        assertThat(s.start()).isEqualTo(60_000);
        assertThat(s.duration()).isEqualTo(600_000);
        assertThat(s.sparsityAt(60_000 + 300_000)).isCloseTo(0.9 - 0.9 / 8, within(EPS));
        assertThat(s.at(660_001).phase()).isEqualTo(Phase.FINAL);
    }

    @Test
    void valueSemantics() {
        GradualSparsitySchedule same = GradualSparsitySchedule.builder()
                .setClock(Clock.BATCHES)
                .setFinalSparsity(0.9)
                .optInitialSparsity(0.1)
                .setDuration(1000)
                .setStart(100)
                .optExponent(3)
                .build();
        assertThat(same).isEqualTo(schedule).hasSameHashCodeAs(schedule);
        assertThat(same.toString()).isEqualTo(schedule.toSpec());
        assertThat(same)
                .isNotEqualTo(GradualSparsitySchedule.builder()
                        .setStart(100)
                        .setDuration(1000)
                        .optInitialSparsity(0.1)
                        .setFinalSparsity(0.9)
                        .setClock(Clock.SAMPLES)
                        .build());
    }

    @Test
    void rejectsNegativeTicksAndSubMillisecondDurations() {
        assertThatThrownBy(() -> schedule.at(-3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ticks")
                .hasMessageContaining("-3");
        assertThatThrownBy(() -> GradualSparsitySchedule.builder().setDuration(Duration.ofNanos(1500)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duration")
                .hasMessageContaining("milliseconds");
    }
}
