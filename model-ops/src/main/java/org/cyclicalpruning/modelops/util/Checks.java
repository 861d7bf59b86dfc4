package org.cyclicalpruning.modelops.util;

/**
 * Argument checks whose messages name the setting, the bad value and what is allowed.
 *
 * <p>model-ops has no Guava or Flink dependency, so this is the small subset of their
 * {@code Preconditions} that the core needs. Messages use {@link String#format} placeholders and
 * are only formatted when the check fails.
 */
public final class Checks {
    private Checks() {}

    /**
     * Throws {@link IllegalArgumentException} with the formatted message unless {@code condition}.
     *
     * @param condition what must hold
     * @param messageFormat a {@link String#format} pattern naming the setting and the allowed range
     * @param args the pattern's arguments
     */
    public static void checkArgument(boolean condition, String messageFormat, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(messageFormat, args));
        }
    }

    /**
     * Throws {@link IllegalStateException} with the formatted message unless {@code condition}.
     *
     * @param condition what must hold
     * @param messageFormat a {@link String#format} pattern
     * @param args the pattern's arguments
     */
    public static void checkState(boolean condition, String messageFormat, Object... args) {
        if (!condition) {
            throw new IllegalStateException(String.format(messageFormat, args));
        }
    }

    /**
     * Checks that {@code value} is a fraction in [0, 1) and returns it.
     *
     * @param name the setting's name, used in the message
     * @param value the value to check
     * @return value
     */
    public static double checkSparsity(String name, double value) {
        checkArgument(
                value >= 0.0 && value < 1.0 && !Double.isNaN(value),
                "%s must be a sparsity in [0, 1), got %s",
                name,
                value);
        return value;
    }
}
