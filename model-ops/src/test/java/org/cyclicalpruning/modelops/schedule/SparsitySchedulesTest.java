package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SparsitySchedulesTest {

    static Stream<Arguments> specs() {
        return Stream.of(
                Arguments.of("constant(0.9)", SparsitySchedule.constant(0.9)),
                Arguments.of(" constant ( sparsity = 0.9 ) ", SparsitySchedule.constant(0.9)),
                Arguments.of(
                        "one-shot(at=1000, sparsity=0.9, clock=batches)",
                        SparsitySchedule.oneShot(1000, Clock.BATCHES, 0.9)),
                Arguments.of("one-shot(sparsity=0.5, at=2h)", SparsitySchedule.oneShot(Duration.ofHours(2), 0.5)),
                Arguments.of(
                        "one-shot(at=500, sparsity=0.5, clock=event-time)",
                        SparsitySchedule.oneShot(500, Clock.EVENT_TIME, 0.5)),
                Arguments.of(
                        "gradual(final=0.9, duration=4000)",
                        GradualSparsitySchedule.builder()
                                .setDuration(4000)
                                .setFinalSparsity(0.9)
                                .build()),
                Arguments.of(
                        "gradual(final=0.9, duration=4000, start=0, initial=0, exponent=3, clock=batches)",
                        GradualSparsitySchedule.builder()
                                .setDuration(4000)
                                .setFinalSparsity(0.9)
                                .build()),
                Arguments.of(
                        "GRADUAL(clock=samples, exponent=1.5, initial=0.25, start=64, duration=6400, final=0.8)",
                        GradualSparsitySchedule.builder()
                                .setClock(Clock.SAMPLES)
                                .optExponent(1.5)
                                .optInitialSparsity(0.25)
                                .setStart(64)
                                .setDuration(6400)
                                .setFinalSparsity(0.8)
                                .build()),
                Arguments.of(
                        "gradual(final=0.9, duration=PT10M, start=90s)",
                        GradualSparsitySchedule.builder()
                                .setDuration(Duration.ofMinutes(10))
                                .setStart(Duration.ofSeconds(90))
                                .setFinalSparsity(0.9)
                                .build()),
                Arguments.of(
                        "cyclical(final=0.9, period=1500, cycles=3, ramp=0.75, first=0, restart=0, exponent=3, start=0,"
                                + " clock=batches)",
                        CyclicalSparsitySchedule.builder()
                                .setCycleLength(1500)
                                .optCycles(3)
                                .setFinalSparsity(0.9)
                                .build()),
                Arguments.of(
                        "cyclical(final=0.95, period=10m, cycles=inf, first=0.5, restart=0.3, ramp=0.5, start=1500ms)",
                        CyclicalSparsitySchedule.builder()
                                .setCycleLength(Duration.ofMinutes(10))
                                .optStart(1500) // milliseconds: the duration implies event time
                                .setFinalSparsity(0.95)
                                .optFirstSparsity(0.5)
                                .optRestartSparsity(0.3)
                                .optRampFraction(0.5)
                                .build()),
                Arguments.of(
                        "cyclical(final=0.9, period=1d, cycles=7, clock=EVENT_TIME)",
                        CyclicalSparsitySchedule.builder()
                                .setCycleLength(Duration.ofDays(1))
                                .optCycles(7)
                                .setFinalSparsity(0.9)
                                .build()),
                Arguments.of(
                        "cyclical(final=0.9, period=60000, clock=event-time)",
                        CyclicalSparsitySchedule.builder()
                                .setCycleLength(Duration.ofMinutes(1))
                                .setFinalSparsity(0.9)
                                .build()));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void parsesSpecsAndRoundTripsThroughToSpec(String spec, SparsitySchedule expected) {
        SparsitySchedule parsed = SparsitySchedules.parse(spec);
        assertThat(parsed).isEqualTo(expected);
        assertThat(SparsitySchedules.parse(parsed.toSpec())).isEqualTo(parsed);
        assertThat(parsed.toString()).isEqualTo(parsed.toSpec());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "constant(0)",
                "constant(0.123456789012345)",
                "constant(1.0E-5)",
                "one-shot(at=0, sparsity=0.9, clock=samples)",
                "one-shot(at=0s, sparsity=0.9)",
                "one-shot(at=1500ms, sparsity=0.9)",
                "gradual(final=0.9, duration=9223372036854775807, start=9223372036854775807)",
                "gradual(final=0.3, duration=25h, exponent=0.1)",
                "cyclical(final=0.9, period=1, cycles=1, ramp=1)",
                "cyclical(final=0.9, period=90s, cycles=9223372036854775806, ramp=0.1, start=3600001ms)",
                "cyclical(final=0.99, period=P2D, cycles=inf, first=0.9, restart=0.99, exponent=2.5)",
            })
    void toSpecParsesBackToAnEqualSchedule(String spec) {
        SparsitySchedule s = SparsitySchedules.parse(spec);
        assertThat(SparsitySchedules.parse(s.toSpec())).isEqualTo(s).hasSameHashCodeAs(s);
        assertThat(SparsitySchedules.parse(s.toSpec()).toSpec()).isEqualTo(s.toSpec());
    }

    @Test
    void warmupIsAnotherNameForStartAMonthsDensePhaseForATrainedModel() {
        assertThat(SparsitySchedules.parse("cyclical(final=0.95, period=10m, warmup=30m)"))
                .isEqualTo(SparsitySchedules.parse("cyclical(final=0.95, period=10m, start=30m)"));
        assertThat(SparsitySchedules.parse("gradual(final=0.9, duration=20m, warmup=1h)")
                        .sparsityAt(3_599_999))
                .isZero();
        assertThatThrownBy(() -> SparsitySchedules.parse("cyclical(final=0.9, period=10m, warmup=1m, start=1m)"))
                .hasMessageContaining("both 'warmup' and 'start'");
    }

    @Test
    void printsLargestExactDurationUnitAndEveryKey() {
        assertThat(SparsitySchedules.parse(
                                "cyclical(final=0.9, period=600000, cycles=inf, start=1500, clock=event-time)")
                        .toSpec())
                .isEqualTo("cyclical(final=0.9, period=10m, cycles=inf, ramp=0.75, first=0, restart=0, exponent=3,"
                        + " start=1500ms, clock=event-time)");
        assertThat(SparsitySchedules.parse("gradual(final=0.5, duration=7200s, start=PT90S)")
                        .toSpec())
                .isEqualTo("gradual(final=0.5, duration=2h, start=90s, initial=0, exponent=3, clock=event-time)");
        assertThat(SparsitySchedules.parse("one-shot(at=2d, sparsity=0.5)").toSpec())
                .isEqualTo("one-shot(at=2d, sparsity=0.5, clock=event-time)");
        assertThat(SparsitySchedules.parse("gradual(final=0.9, duration=4000)").toSpec())
                .isEqualTo("gradual(final=0.9, duration=4000, start=0, initial=0, exponent=3, clock=batches)");
    }

    @Test
    void aZeroOrAnExplicitEventTimeClockMayStandBesideDurations() {
        assertThat(SparsitySchedules.parse("gradual(final=0.9, duration=2h, start=0)")
                        .clock())
                .isEqualTo(Clock.EVENT_TIME);
        assertThat(SparsitySchedules.parse("cyclical(final=0.9, period=1000, warmup=10m, clock=event-time)")
                        .toSpec())
                .contains("period=1s");
    }

    static Stream<Arguments> badSpecs() {
        return Stream.of(
                Arguments.of(
                        "cyclical(final=0.9, perod=1500)",
                        new String[] {"unknown key 'perod'", "allowed: final, period, cycles"}),
                Arguments.of("cyclical(period=1500)", new String[] {"missing required key 'final'"}),
                Arguments.of("gradual(final=0.9)", new String[] {"missing required key 'duration'"}),
                Arguments.of("one-shot(at=10)", new String[] {"missing required key 'sparsity'"}),
                Arguments.of("constant()", new String[] {"missing required key 'sparsity'"}),
                Arguments.of(
                        "cosine(final=0.9)",
                        new String[] {"unknown schedule 'cosine'", "constant, one-shot, gradual, cyclical"}),
                Arguments.of("cyclical final=0.9", new String[] {"expected name(key=value, ...)"}),
                Arguments.of(
                        "cyclical(final=0.9, period=1500, clock=epochs)",
                        new String[] {"'epochs'", "'clock'", "batches, samples, event-time"}),
                Arguments.of(
                        "cyclical(final=0.9, period=10m, clock=batches)",
                        new String[] {"'10m'", "'period'", "clock=event-time"}),
                Arguments.of("cyclical(final=0.9, period=10 weeks)", new String[] {"'10weeks'", "'period'", "10m, 2h"}),
                Arguments.of(
                        "cyclical(final=0.9, period=1500, cycles=many)", new String[] {"'many'", "'cycles'", "inf"}),
                Arguments.of("cyclical(final=0.9, period=1500, cycles=0)", new String[] {"cycles", "0", ">= 1"}),
                Arguments.of("cyclical(final=high, period=1500)", new String[] {"'high'", "'final'", "decimal number"}),
                Arguments.of("cyclical(final=1.5, period=1500)", new String[] {"final sparsity", "1.5", "[0, 1)"}),
                Arguments.of("cyclical(final=0.9, period=1500, ramp=2)", new String[] {"ramp", "2.0", "(0, 1]"}),
                Arguments.of(
                        "cyclical(final=0.5, period=1500, restart=0.6)", new String[] {"restart", "0.6", "<= final"}),
                Arguments.of("gradual(final=0.9, duration=-PT1M)", new String[] {"duration", "PT-1M", ">= 0"}),
                Arguments.of("gradual(final=0.9, duration=0)", new String[] {"duration", "0", "> 0"}),
                Arguments.of(
                        "gradual(final=0.9, duration=99999999999999999999)",
                        new String[] {"'duration'", "99999999999999999999"}),
                Arguments.of(
                        "gradual(final=0.9, duration=4000, duration=5000)", new String[] {"duplicate key 'duration'"}),
                Arguments.of("gradual(final=0.9, duration=4000,)", new String[] {"invalid argument ''", "key=value"}),
                Arguments.of("gradual(0.9, duration=4000)", new String[] {"invalid argument '0.9'", "key=value"}),
                Arguments.of("one-shot(at=1.5, sparsity=0.9)", new String[] {"'1.5'", "'at'", "whole number"}),
                // a count beside a duration would silently be milliseconds (period=1000 as 1 s)
                Arguments.of(
                        "cyclical(final=0.9, period=1000, warmup=10m)",
                        new String[] {"'period=1000' is a count", "'start=10m' is a duration", "clock=event-time"}),
                Arguments.of(
                        "gradual(final=0.9, duration=2h, start=500)",
                        new String[] {"'start=500' is a count", "'duration=2h'"}));
    }

    @ParameterizedTest
    @MethodSource("badSpecs")
    void parseErrorsQuoteTheSpecAndNameTheProblem(String spec, String[] fragments) {
        assertThatThrownBy(() -> SparsitySchedules.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .message()
                .contains(spec)
                .contains(fragments);
    }

    @Test
    void tableSamplesEvenlySpacedTicks() {
        SparsitySchedule s = GradualSparsitySchedule.builder()
                .setDuration(1000)
                .setFinalSparsity(0.8)
                .build();
        double[][] rows = SparsitySchedules.table(s, 0, 1000, 5);
        assertThat(rows).hasDimensions(5, 2);
        for (int i = 0; i < 5; i++) {
            assertThat(rows[i][0]).isEqualTo(i * 250.0);
            assertThat(rows[i][1]).isEqualTo(s.sparsityAt(i * 250L));
        }
        double at10 = s.sparsityAt(10);
        assertThat(SparsitySchedules.table(s, 10, 10, 2)).isDeepEqualTo(new double[][] {{10, at10}, {10, at10}});
        double[][] far = SparsitySchedules.table(s, 0, Long.MAX_VALUE, 3);
        assertThat(far[2][0]).isEqualTo((double) Long.MAX_VALUE);
        assertThatThrownBy(() -> SparsitySchedules.table(s, 5, 4, 3))
                .hasMessageContaining("to")
                .hasMessageContaining("4");
        assertThatThrownBy(() -> SparsitySchedules.table(s, 0, 4, 1))
                .hasMessageContaining("points")
                .hasMessageContaining("1");
    }
}
