package org.cyclicalpruning.modelops.schedule;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the builders of the cyclical and the gradual schedule reject, and how they say so. */
class RampScheduleBuilderTest {

    static Stream<Arguments> invalidSettings() {
        return Stream.of(
                invalid(cyclical(), b -> b.setCycleLength(0), "period", "0", "> 0"),
                invalid(cyclical(), b -> b.optCycles(0), "cycles", "0", ">= 1"),
                invalid(cyclical(), b -> b.optStart(-5), "start", "-5", ">= 0"),
                invalid(cyclical(), b -> b.optRampFraction(0), "ramp fraction", "0.0", "(0, 1]"),
                invalid(cyclical(), b -> b.optRampFraction(1.5), "ramp fraction", "1.5", "(0, 1]"),
                invalid(cyclical(), b -> b.setFinalSparsity(1), "final sparsity", "1.0", "[0, 1)"),
                invalid(cyclical(), b -> b.optFirstSparsity(0.95), "first sparsity", "0.95", "<= final sparsity (0.9)"),
                invalid(
                        cyclical(),
                        b -> b.optRestartSparsity(0.91),
                        "restart sparsity",
                        "0.91",
                        "<= final sparsity (0.9)"),
                invalid(cyclical(), b -> b.optRestartSparsity(-0.5), "restart sparsity", "-0.5", "[0, 1)"),
                invalid(cyclical(), b -> b.optExponent(-1), "exponent", "-1.0", "> 0"),
                invalid(
                        cyclical(),
                        b -> b.optStart(Duration.ofSeconds(1)).setClock(Clock.BATCHES),
                        "BATCHES",
                        "EVENT_TIME"),
                invalid(gradual(), b -> b.setFinalSparsity(1.0), "final sparsity", "1.0", "[0, 1)"),
                invalid(gradual(), b -> b.setFinalSparsity(-0.1), "final sparsity", "-0.1", "[0, 1)"),
                invalid(
                        gradual(),
                        b -> b.optInitialSparsity(0.95),
                        "initial sparsity",
                        "0.95",
                        "<= final sparsity (0.9)"),
                invalid(gradual(), b -> b.setDuration(0), "duration", "0", "> 0"),
                invalid(gradual(), b -> b.setStart(-1), "start", "-1", ">= 0"),
                invalid(gradual(), b -> b.optExponent(0), "exponent", "0.0", "> 0"),
                invalid(gradual(), b -> b.optExponent(Double.NaN), "exponent", "NaN", "finite"),
                invalid(gradual(), b -> b.optExponent(Double.POSITIVE_INFINITY), "exponent", "Infinity", "finite"),
                invalid(
                        gradual(),
                        b -> b.setDuration(Duration.ofMinutes(1)).setClock(Clock.SAMPLES),
                        "SAMPLES",
                        "Duration",
                        "EVENT_TIME"));
    }

    /** A valid cyclical schedule: 3 cycles of 1000 ticks to 0.9. */
    private static CyclicalSparsitySchedule.Builder cyclical() {
        return CyclicalSparsitySchedule.builder()
                .setCycleLength(1000)
                .optCycles(3)
                .setFinalSparsity(0.9);
    }

    /** A valid gradual schedule: from 0.1 to 0.9 over 1000 ticks. */
    private static GradualSparsitySchedule.Builder gradual() {
        return GradualSparsitySchedule.builder()
                .setDuration(1000)
                .optInitialSparsity(0.1)
                .setFinalSparsity(0.9);
    }

    /** A change to a valid builder, which building must reject with a message holding every fragment. */
    private static <B extends RampScheduleBuilder<B>> Arguments invalid(
            B valid, UnaryOperator<B> change, String... fragments) {
        ThrowingCallable build = () -> change.apply(valid).build();
        return Arguments.of(build, fragments);
    }

    @ParameterizedTest
    @MethodSource("invalidSettings")
    void rejectsInvalidSettingsNamingSettingValueAndRange(ThrowingCallable build, String[] fragments) {
        assertThatThrownBy(build)
                .isInstanceOf(IllegalArgumentException.class)
                .message()
                .contains(fragments);
    }

    static Stream<Arguments> missingRequiredSettings() {
        ThrowingCallable noPeriod =
                () -> CyclicalSparsitySchedule.builder().setFinalSparsity(0.5).build();
        ThrowingCallable noCyclicalFinal =
                () -> CyclicalSparsitySchedule.builder().setCycleLength(5).build();
        ThrowingCallable noDuration =
                () -> GradualSparsitySchedule.builder().setFinalSparsity(0.5).build();
        ThrowingCallable noGradualFinal =
                () -> GradualSparsitySchedule.builder().setDuration(5).build();
        return Stream.of(
                Arguments.of(noPeriod, "period"),
                Arguments.of(noCyclicalFinal, "final sparsity"),
                Arguments.of(noDuration, "duration"),
                Arguments.of(noGradualFinal, "final sparsity"));
    }

    @ParameterizedTest
    @MethodSource("missingRequiredSettings")
    void rejectsMissingRequiredSettings(ThrowingCallable build, String setting) {
        assertThatThrownBy(build).isInstanceOf(IllegalStateException.class).hasMessageContaining(setting);
    }
}
