package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CyclicalSparsityScheduleTest {
    private static final double EPS = 1e-12;

    // start = 100, P = 1000, 4 cycles, R = 750, first = 0.2, restart = 0.5, final = 0.9, e = 3
    private final CyclicalSparsitySchedule schedule = CyclicalSparsitySchedule.builder()
            .optStart(100)
            .setCycleLength(1000)
            .optCycles(4)
            .optFirstSparsity(0.2)
            .optRestartSparsity(0.5)
            .setFinalSparsity(0.9)
            .build();

    @ParameterizedTest
    @CsvSource({
        "0,    0.2,    PRUNE, 0", // before start: first sparsity
        "99,   0.2,    PRUNE, 0",
        "100,  0.2,    PRUNE, 0", // cycle 0 starts at the first sparsity
        "475,  0.8125, PRUNE, 0", // R/2: 0.9 + (0.2 - 0.9) / 8
        "850,  0.9,    HOLD,  0", // ramp end
        "1099, 0.9,    HOLD,  0", // last tick of cycle 0
        "1100, 0.5,    PRUNE, 1", // later cycles restart at the restart sparsity
        "1475, 0.85,   PRUNE, 1", // 0.9 + (0.5 - 0.9) / 8
        "1850, 0.9,    HOLD,  1",
        "3100, 0.5,    PRUNE, 3",
        "4099, 0.9,    HOLD,  3",
        "4100, 0.9,    FINAL, 3", // after the last cycle
        "9223372036854775807, 0.9, FINAL, 3"
    })
    void followsCyclicalSchedule(long ticks, double sparsity, Phase phase, long cycle) {
        SchedulePoint p = schedule.at(ticks);
        assertThat(p.sparsity()).isCloseTo(sparsity, within(EPS));
        assertThat(p.phase()).isEqualTo(phase);
        assertThat(p.cycle()).isEqualTo(cycle);
        assertThat(schedule.cycleOf(ticks)).isEqualTo(cycle);
    }

    @Test
    void rampReachesFinalSparsityOnlyAtItsEnd() {
        assertThat(schedule.at(849).phase()).isEqualTo(Phase.PRUNE);
        assertThat(schedule.sparsityAt(849)).isLessThan(0.9).isGreaterThan(0.9 - 1e-6);
    }

    @Test
    void isPeriodicInCyclesAfterTheFirst() {
        for (long t = 1100; t < 3100; t++) { // cycles 1 .. cycles - 2
            SchedulePoint p = schedule.at(t);
            SchedulePoint next = schedule.at(t + 1000);
            assertThat(next.sparsity()).as("t=%s", t).isEqualTo(p.sparsity());
            assertThat(next.phase()).as("t=%s", t).isEqualTo(p.phase());
            assertThat(next.cycle()).isEqualTo(p.cycle() + 1);
        }
    }

    @Test
    void rampsAreMonotoneNonDecreasing() {
        for (long cycle = 0; cycle < 4; cycle++) {
            long cycleStart = 100 + cycle * 1000;
            double previous = -1;
            for (long t = cycleStart; t < cycleStart + 1000; t++) {
                double s = schedule.sparsityAt(t);
                assertThat(s).as("t=%s", t).isGreaterThanOrEqualTo(previous);
                previous = s;
            }
        }
    }

    @Test
    void cycleEndIsWhereTheNextCycleStarts() {
        assertThat(schedule.cycleEnd(0)).isEqualTo(1100);
        assertThat(schedule.cycleEnd(3)).isEqualTo(4100);
        for (long c = 0; c < 3; c++) {
            long end = schedule.cycleEnd(c);
            assertThat(schedule.at(end - 1)).isEqualTo(new SchedulePoint(0.9, Phase.HOLD, c));
            assertThat(schedule.at(end)).isEqualTo(new SchedulePoint(0.5, Phase.PRUNE, c + 1));
        }
        assertThat(schedule.at(schedule.cycleEnd(3)).phase()).isEqualTo(Phase.FINAL);
        assertThatThrownBy(() -> schedule.cycleEnd(4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cycle")
                .hasMessageContaining("[0, 4)")
                .hasMessageContaining("4");
        assertThatThrownBy(() -> schedule.cycleEnd(-1)).hasMessageContaining("-1");
    }

    @Test
    void unboundedNeverEndsAndDoesNotOverflow() {
        CyclicalSparsitySchedule online = CyclicalSparsitySchedule.builder()
                .optStart(7)
                .setCycleLength(1500)
                .setFinalSparsity(0.9)
                .build();
        assertThat(online.isUnbounded()).isTrue();
        assertThat(online.cycles()).isEqualTo(CyclicalSparsitySchedule.UNBOUNDED);
        long far = Long.MAX_VALUE;
        SchedulePoint p = online.at(far);
        assertThat(p.phase()).isNotEqualTo(Phase.FINAL);
        assertThat(p.cycle()).isEqualTo((far - 7) / 1500);
        long lastFull = (far - 7) / 1500 - 1;
        assertThat(online.cycleEnd(lastFull)).isEqualTo(7 + (lastFull + 1) * 1500);
        assertThat(online.cycleEnd(lastFull + 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(online.cycleEnd(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        // restart sparsity 0: a far cycle starts dense again, like cycle 1
        assertThat(online.at(online.cycleEnd(lastFull - 1))).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, lastFull));

        CyclicalSparsitySchedule everyTick = CyclicalSparsitySchedule.builder()
                .setCycleLength(1)
                .setFinalSparsity(0.5)
                .build();
        assertThat(everyTick.at(far)).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, far));
    }

    @Test
    void hugeBoundedCycleCountSaturates() {
        CyclicalSparsitySchedule s = CyclicalSparsitySchedule.builder()
                .optStart(Long.MAX_VALUE - 10)
                .setCycleLength(Long.MAX_VALUE / 2)
                .optCycles(Long.MAX_VALUE - 1)
                .setFinalSparsity(0.9)
                .build();
        assertThat(s.isUnbounded()).isFalse();
        assertThat(s.cycleEnd(0)).isEqualTo(Long.MAX_VALUE);
        assertThat(s.cycleEnd(Long.MAX_VALUE - 2)).isEqualTo(Long.MAX_VALUE);
        assertThat(s.at(Long.MAX_VALUE)).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, 0));
    }

    @Test
    void fullRampFractionNeverHolds() {
        CyclicalSparsitySchedule s = CyclicalSparsitySchedule.builder()
                .setCycleLength(100)
                .optCycles(2)
                .optRampFraction(1)
                .setFinalSparsity(0.9)
                .build();
        assertThat(s.at(99).phase()).isEqualTo(Phase.PRUNE);
        assertThat(s.at(100)).isEqualTo(new SchedulePoint(0.0, Phase.PRUNE, 1));
        assertThat(s.at(200)).isEqualTo(new SchedulePoint(0.9, Phase.FINAL, 1));
    }

    @Test
    void durationsMeanEventTimeMillis() {
        CyclicalSparsitySchedule s = CyclicalSparsitySchedule.builder()
                .setCycleLength(Duration.ofMinutes(10))
                .optStart(Duration.ofSeconds(30))
                .optCycles(2)
                .setFinalSparsity(0.9)
                .build();
        assertThat(s.clock()).isEqualTo(Clock.EVENT_TIME);
        assertThat(s.cycleLength()).isEqualTo(600_000);
        assertThat(s.start()).isEqualTo(30_000);
        assertThat(s.sparsityAt(30_000 + 225_000)).isCloseTo(0.9 - 0.9 / 8, within(EPS));
        assertThat(s.at(30_000 + 450_000).phase()).isEqualTo(Phase.HOLD);
        assertThat(s.cycleEnd(1)).isEqualTo(1_230_000);
        assertThat(s.at(1_230_000).phase()).isEqualTo(Phase.FINAL);
    }

    @Test
    void defaultsGettersAndValueSemantics() {
        CyclicalSparsitySchedule s = CyclicalSparsitySchedule.builder()
                .setCycleLength(10)
                .setFinalSparsity(0.5)
                .build();
        assertThat(s.clock()).isEqualTo(Clock.BATCHES);
        assertThat(s.start()).isZero();
        assertThat(s.cycles()).isEqualTo(Long.MAX_VALUE);
        assertThat(s.firstSparsity()).isZero();
        assertThat(s.restartSparsity()).isZero();
        assertThat(s.rampFraction()).isEqualTo(0.75);
        assertThat(s.exponent()).isEqualTo(3.0);
        assertThat(s.finalSparsity()).isEqualTo(0.5);

        CyclicalSparsitySchedule same = CyclicalSparsitySchedule.builder()
                .setFinalSparsity(0.9)
                .optRestartSparsity(0.5)
                .optFirstSparsity(0.2)
                .optCycles(4)
                .setCycleLength(1000)
                .optStart(100)
                .setClock(Clock.BATCHES)
                .build();
        assertThat(same).isEqualTo(schedule).hasSameHashCodeAs(schedule).isNotEqualTo(s);
        assertThat(same.toString()).isEqualTo(same.toSpec());
    }

    @Test
    void rejectsNegativeTicks() {
        assertThatThrownBy(() -> schedule.at(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ticks")
                .hasMessageContaining("-1");
    }
}
