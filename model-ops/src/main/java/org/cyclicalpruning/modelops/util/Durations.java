package org.cyclicalpruning.modelops.util;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them in configurations, schedules and on the command line: a whole
 * number and a unit ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 1d}) or ISO-8601
 * ({@code PT10M}). The one parser of the project, so every place accepts the same forms.
 */
public final class Durations {
    /** The forms accepted, for messages. */
    public static final String FORMS = "500ms, 90s, 10m, 2h, 1d or PT10M";

    private static final Pattern WITH_UNIT = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    // largest first: formatting picks the largest unit that divides a duration exactly
    private static final List<Map.Entry<String, Long>> UNITS = List.of(
            Map.entry("d", 86_400_000L),
            Map.entry("h", 3_600_000L),
            Map.entry("m", 60_000L),
            Map.entry("s", 1_000L),
            Map.entry("ms", 1L));

    private Durations() {}

    /**
     * Returns whether {@code text} is written as a duration (a number with a unit, or ISO-8601),
     * whether or not its value is valid, as opposed to, say, a plain count.
     */
    public static boolean looksLikeDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return WITH_UNIT.matcher(t).matches() || t.startsWith("p") || t.startsWith("-p");
    }

    /**
     * Parses a duration.
     *
     * @param text {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 1d} or ISO-8601
     * @return the duration
     * @throws IllegalArgumentException naming the accepted forms, also when the value overflows
     */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = WITH_UNIT.matcher(t);
        try {
            if (m.matches()) {
                long millis = Math.multiplyExact(Long.parseLong(m.group(1)), unitMillis(m.group(2)));
                return Duration.ofMillis(millis);
            }
            return Duration.parse(t.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(
                    String.format("'%s' is not a duration such as %s (at most %s ms)", text, FORMS, Long.MAX_VALUE), e);
        }
    }

    /**
     * Parses a duration of whole milliseconds that is not negative.
     *
     * @param text as {@link #parse}
     * @return the milliseconds
     * @throws IllegalArgumentException if it is not a duration, negative, finer than a millisecond
     *     or longer than {@link Long#MAX_VALUE} ms
     */
    public static long parseMillis(String text) {
        return toMillis(parse(text));
    }

    /**
     * Returns a duration as whole milliseconds.
     *
     * @param duration not negative, a whole number of milliseconds
     * @return the milliseconds
     * @throws IllegalArgumentException if it is negative, finer than a millisecond or too long
     */
    public static long toMillis(Duration duration) {
        Checks.checkArgument(!duration.isNegative(), "a duration must be >= 0, got %s", duration);
        Checks.checkArgument(
                duration.getNano() % 1_000_000 == 0, "a duration must be whole milliseconds, got %s", duration);
        try {
            return duration.toMillis();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    String.format("a duration must be at most %s ms, got %s", Long.MAX_VALUE, duration), e);
        }
    }

    /** Formats milliseconds in the largest unit that divides them exactly: 30s, 10m, 1500ms. */
    public static String format(long millis) {
        if (millis == 0) {
            return "0s";
        }
        for (Map.Entry<String, Long> unit : UNITS) {
            if (millis % unit.getValue() == 0) {
                return millis / unit.getValue() + unit.getKey();
            }
        }
        return millis + "ms";
    }

    /** Formats a duration as {@link #format(long)} does. */
    public static String format(Duration duration) {
        return format(toMillis(duration));
    }

    private static long unitMillis(String unit) {
        for (Map.Entry<String, Long> u : UNITS) {
            if (u.getKey().equals(unit)) {
                return u.getValue();
            }
        }
        throw new IllegalArgumentException("unknown unit " + unit);
    }
}
