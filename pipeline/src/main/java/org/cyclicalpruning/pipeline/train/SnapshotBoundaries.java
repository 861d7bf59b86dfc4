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
        // saturating arithmetic throughout: an anchor or event time near either end of the long
        // range (a state written before event times were checked) must not overflow into the past
        long ticks = after >= anchor ? minus(after, anchor) : 0;
        long next = Long.MAX_VALUE;
        if (schedule.clock() == Clock.EVENT_TIME) {
            next = plus(anchor, schedule.nextMilestone(ticks));
        }
        if (interval.isPresent()) {
            long every = interval.getAsLong();
            long periods = ticks / every + 1;
            next = Math.min(next, plus(anchor, periods > Long.MAX_VALUE / every ? Long.MAX_VALUE : periods * every));
        }
        return next;
    }

    /** Returns why a snapshot falls at {@code boundary}. */
    SnapshotReason reasonAt(SparsitySchedule schedule, long anchor, long boundary) {
        if (boundary == Long.MAX_VALUE) {
            return SnapshotReason.END_OF_INPUT;
        }
        long ticks = minus(boundary, anchor);
        boolean milestone =
                schedule.clock() == Clock.EVENT_TIME && ticks > 0 && schedule.nextMilestone(ticks - 1) == ticks;
        return milestone ? SnapshotReason.CYCLE_END : SnapshotReason.INTERVAL;
    }

    /** Returns a + b for b >= 0, at most {@link Long#MAX_VALUE}. */
    private static long plus(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    /** Returns a - b for a >= b, at most {@link Long#MAX_VALUE}. */
    private static long minus(long a, long b) {
        long d = a - b;
        return d < 0 ? Long.MAX_VALUE : d;
    }
}
