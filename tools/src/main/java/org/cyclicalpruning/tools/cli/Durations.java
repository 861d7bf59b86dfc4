package org.cyclicalpruning.tools.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations on the command line: 500ms, 10s, 5m, 2h, 1d. */
final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {}

    static long millis(String option, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    option + " must be a duration such as 500ms, 10s, 5m, 2h or 1d, got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms":
                return n;
            case "s":
                return n * 1000;
            case "m":
                return n * 60_000;
            case "h":
                return n * 3_600_000;
            default:
                return n * 86_400_000;
        }
    }
}
