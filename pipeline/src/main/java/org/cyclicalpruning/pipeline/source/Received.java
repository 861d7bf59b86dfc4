package org.cyclicalpruning.pipeline.source;

import org.cyclicalpruning.pipeline.validate.ValidBatch;
import org.cyclicalpruning.schemas.DeadLetterCause;

/**
 * A record as read from Kafka, decoded and checked in the source: the batch ready to train on, or
 * why the record was rejected and its bytes, with where it came from. A Flink POJO.
 */
public class Received {
    /** The checked batch, or null if the record was rejected. */
    public ValidBatch batch;
    /** The source topic. */
    public String topic;
    /** The source partition. */
    public int partition;
    /** The source offset. */
    public long offset;
    /** Why the record was rejected; null when {@link #batch} is set. */
    public DeadLetterCause failure;
    /** What was wrong, for people. */
    public String message;
    /** The model id of a rejected record, if it could be decoded. */
    public String modelId;
    /**
     * The record value of a rejected record as read (for one larger than {@code
     * limits.max-record-bytes}, its first that many bytes), for its dead letter.
     */
    public byte[] raw;

    public Received() {}

    /**
     * Returns the event time watermarks should use. A rejected record has none: it must not move
     * the watermark (its event time is what may have got it rejected, and its Kafka timestamp is
     * the time of writing, which would jump the stream's event time to now).
     */
    public long eventTime() {
        return batch != null ? batch.eventTime : Long.MIN_VALUE;
    }
}
