package org.cyclicalpruning.pipeline.train;

import java.util.OptionalLong;
import org.cyclicalpruning.modelops.schedule.Clock;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.schemas.SnapshotReason;

/**
 * Where a model's snapshots fall in event time: at every milestone of its schedule (the end of
 * each cycle; the end of a gradual ramp) and every snapshot interval, both counted from the
 * model's anchor (the event time of its first batch).
 */
final class SnapshotBoundaries {
    private final OptionalLong interval;

    SnapshotBoundaries(OptionalLong interval) {
        this.interval = interval;
    }

    /** Returns the first boundary after event time {@code after}, {@link Long#MAX_VALUE} for none. */
    long next(SparsitySchedule schedule, long anchor, long after) {
        if (anchor == Long.MIN_VALUE) {
            return Long.MAX_VALUE;
        }
        long ticks = after >= anchor ? after - anchor : 0;
        long next = Long.MAX_VALUE;
        if (schedule.clock() == Clock.EVENT_TIME) {
            next = plus(anchor, schedule.nextMilestone(ticks));
        }
        if (interval.isPresent()) {
            long every = interval.getAsLong();
            next = Math.min(next, plus(anchor, (ticks / every + 1) * every));
        }
        return next;
    }

    /** Returns why a snapshot falls at {@code boundary}. */
    SnapshotReason reasonAt(SparsitySchedule schedule, long anchor, long boundary) {
        if (boundary == Long.MAX_VALUE) {
            return SnapshotReason.END_OF_INPUT;
        }
        long ticks = boundary - anchor;
        boolean milestone =
                schedule.clock() == Clock.EVENT_TIME && ticks > 0 && schedule.nextMilestone(ticks - 1) == ticks;
        return milestone ? SnapshotReason.CYCLE_END : SnapshotReason.INTERVAL;
    }

    private static long plus(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }
}
