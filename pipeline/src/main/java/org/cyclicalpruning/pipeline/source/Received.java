package org.cyclicalpruning.pipeline.source;

import org.cyclicalpruning.schemas.DeadLetterReason;
import org.cyclicalpruning.schemas.TrainingBatch;

/**
 * A record as read from Kafka: the decoded batch, or why it could not be decoded (and then its
 * bytes), with where it came from. A Flink POJO.
 */
public class Received {
    /** The decoded batch, or null if decoding failed. */
    public TrainingBatch batch;
    /** The source topic. */
    public String topic;
    /** The source partition. */
    public int partition;
    /** The source offset. */
    public long offset;
    /** Why decoding failed; null when {@link #batch} is set. */
    public DeadLetterReason failure;
    /** What was wrong, for people. */
    public String message;
    /**
     * The record value as read (for a record larger than {@code limits.max-record-bytes}, its first
     * that many bytes), for the dead letter if the record is rejected.
     */
    public byte[] raw;

    public Received() {}

    /**
     * Returns the event time watermarks should use. A record that could not be decoded has none: it
     * must not move the watermark (its Kafka timestamp is the time of writing, which would jump the
     * stream's event time to now).
     */
    public long eventTime() {
        return batch != null ? batch.getEventTime() : Long.MIN_VALUE;
    }
}
