package org.cyclicalpruning.tools.cli;

import java.util.Locale;
import org.cyclicalpruning.modelops.schedule.SchedulePoint;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.schedule.SparsitySchedules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Prints a sparsity schedule as a table, so a configuration can be checked before a run. */
@Command(name = "schedule", description = "Print a sparsity schedule from its spec.")
final class ScheduleCommand extends Subcommand {
    @Parameters(index = "0", description = "The schedule, e.g. 'cyclical(final=0.9, period=1000, cycles=3)'.")
    String spec;

    @Option(names = "--to", description = "Last tick to print (default: 3 cycles or 1.2x the ramp).")
    Long to;

    @Option(names = "--points", defaultValue = "25", description = "Rows to print (default: ${DEFAULT-VALUE}).")
    int points;

    @Override
    public Integer call() {
        SparsitySchedule schedule = SparsitySchedules.parse(spec);
        long end = to != null ? to : defaultEnd(schedule);
        System.out.printf(
                Locale.ROOT,
                "%s  (clock: %s)%n%12s %9s %6s %6s%n",
                schedule.toSpec(),
                schedule.clock(),
                "tick",
                "sparsity",
                "cycle",
                "phase");
        for (double[] row : SparsitySchedules.table(schedule, 0, end, points)) {
            SchedulePoint p = schedule.at((long) row[0]);
            System.out.printf(Locale.ROOT, "%12d %9.4f %6d %6s%n", (long) row[0], p.sparsity(), p.cycle(), p.phase());
        }
        return 0;
    }

    private static long defaultEnd(SparsitySchedule schedule) {
        // probe forward until the schedule is final, capped, so the table shows its whole shape
        long t = 1;
        while (t < (1L << 50) && schedule.at(t).phase() != org.cyclicalpruning.modelops.schedule.Phase.FINAL) {
            t *= 2;
        }
        return t >= (1L << 50) ? 3000 : (long) (t * 1.1);
    }
}
