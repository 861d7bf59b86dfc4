package org.cyclicalpruning.tools.cli;

import java.util.Locale;
import org.cyclicalpruning.modelops.schedule.Clock;
import org.cyclicalpruning.modelops.schedule.CyclicalSparsitySchedule;
import org.cyclicalpruning.modelops.schedule.DriftAwareSchedule;
import org.cyclicalpruning.modelops.schedule.GradualSparsitySchedule;
import org.cyclicalpruning.modelops.schedule.Phase;
import org.cyclicalpruning.modelops.schedule.SchedulePoint;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.schedule.SparsitySchedules;
import org.cyclicalpruning.modelops.util.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Prints a sparsity schedule as a table, so a configuration can be checked before a run. */
@Command(name = "schedule", description = "Print a sparsity schedule from its spec.")
final class ScheduleCommand extends Subcommand {
    @Parameters(index = "0", description = "The schedule, e.g. 'cyclical(final=0.9, period=1000, cycles=3)'.")
    String spec;

    @Option(
            names = "--to",
            description = "Last tick to print: a count, or a duration (10m) for an event-time schedule (default:"
                    + " the warm-up and 3 cycles, or the ramp, and a tenth more).")
    String to;

    @Option(names = "--points", defaultValue = "25", description = "Rows to print (default: ${DEFAULT-VALUE}).")
    int points;

    @Override
    public Integer call() {
        SparsitySchedule schedule = SparsitySchedules.parse(spec);
        boolean eventTime = schedule.clock() == Clock.EVENT_TIME;
        long end = to != null ? end(to, eventTime) : defaultEnd(schedule);
        long warmup = warmupEnd(schedule);
        System.out.printf(
                Locale.ROOT,
                "%s  (clock: %s)%n%12s %9s %6s %7s%n",
                schedule.toSpec(),
                schedule.clock(),
                eventTime ? "event time" : "tick",
                "sparsity",
                "cycle",
                "phase");
        for (double[] row : SparsitySchedules.table(schedule, 0, end, points)) {
            long t = (long) row[0];
            SchedulePoint p = schedule.at(t);
            String phase = t < warmup ? "WARM-UP" : p.phase().toString();
            System.out.printf(
                    Locale.ROOT,
                    "%12s %9.4f %6d %7s%n",
                    eventTime ? clockTime(t) : Long.toString(t),
                    p.sparsity(),
                    p.cycle(),
                    phase);
        }
        return 0;
    }

    private static long end(String text, boolean eventTime) {
        String t = text.trim();
        if (t.matches("\\d+")) {
            return Long.parseLong(t);
        }
        if (eventTime && Durations.looksLikeDuration(t)) {
            return Durations.parseMillis(t);
        }
        throw new IllegalArgumentException("--to: '" + text + "' is not "
                + (eventTime ? "a duration such as 90m or a number of milliseconds" : "a whole number of ticks"));
    }

    /** Where the schedule trains dense before its first ramp: its warm-up ({@code start}). */
    static long warmupEnd(SparsitySchedule schedule) {
        if (schedule instanceof CyclicalSparsitySchedule c) {
            return c.start();
        }
        if (schedule instanceof GradualSparsitySchedule g) {
            return g.start();
        }
        if (schedule instanceof DriftAwareSchedule d) {
            return warmupEnd(d.base());
        }
        return 0;
    }

    /**
     * The warm-up and three milestones (cycle ends, or a ramp's end), and a tenth more, so that the
     * table shows the schedule's shape whatever its units; a schedule without milestones is probed
     * forward until it is final.
     */
    static long defaultEnd(SparsitySchedule schedule) {
        long last = -1;
        long t = 0;
        for (int i = 0; i < 3; i++) {
            long next = schedule.nextMilestone(t);
            if (next == Long.MAX_VALUE) {
                break;
            }
            last = next;
            t = next + 1;
        }
        if (last > 0) {
            return last + Math.max(1, last / 10);
        }
        long probe = 1;
        while (probe < (1L << 50) && schedule.at(probe).phase() != Phase.FINAL) {
            probe *= 2;
        }
        return probe >= (1L << 50) ? 3000 : (long) (probe * 1.1);
    }

    /** Event time since the anchor as 1h02m03s, 2m03s or 3.5s. */
    static String clockTime(long millis) {
        long seconds = millis / 1000;
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%dh%02dm%02ds", seconds / 3600, seconds / 60 % 60, seconds % 60);
        }
        if (seconds >= 60) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
    }
}
