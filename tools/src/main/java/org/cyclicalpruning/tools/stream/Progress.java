package org.cyclicalpruning.tools.stream;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of the long commands on stderr: a bar redrawn every second on a terminal, and a plain
 * line a minute elsewhere. Redrawn into a log file, the bar left one line of about 1,500 carriage
 * returns per 25 minutes.
 */
public final class Progress {
    /** How often a plain line is written where stderr is not a terminal. */
    static final int PLAIN_LINE_MILLIS = 60_000;

    private Progress() {}

    /**
     * Returns a builder of a bar for {@code task} up to {@code max}, its style and consumer chosen
     * for where stderr goes.
     */
    public static ProgressBarBuilder bar(String task, long max) {
        return bar(task, max, System.console() != null, System.err);
    }

    static ProgressBarBuilder bar(String task, long max, boolean terminal, PrintStream err) {
        ProgressBarBuilder builder =
                new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII);
        if (terminal) {
            return builder.setUpdateIntervalMillis(1000).setConsumer(new ConsoleProgressBarConsumer(err));
        }
        // the bar renders its last state twice when it closes (a final refresh, then the close):
        // on a terminal the second overwrites the first, in a log it would be a duplicate line
        String[] last = {null};
        return builder.setUpdateIntervalMillis(PLAIN_LINE_MILLIS)
                .setConsumer(new DelegatingProgressBarConsumer(line -> {
                    String plain = line.strip();
                    if (!plain.equals(last[0])) {
                        err.println(plain);
                        last[0] = plain;
                    }
                }));
    }
}
