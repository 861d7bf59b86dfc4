package org.cyclicalpruning.modelops.schedule;

/**
 * What one tick of a {@link SparsitySchedule} is.
 *
 * <p>{@link #EVENT_TIME} is the default for streams: it depends only on the events' timestamps, so
 * replaying the same input yields the same schedule, whereas batch and sample counts shift when
 * batching or partitioning changes and processing time differs on every run.
 */
public enum Clock {
    /** One tick per training batch. */
    BATCHES,
    /** One tick per training sample. */
    SAMPLES,
    /** One tick per millisecond of event time since the schedule's anchor. */
    EVENT_TIME
}
