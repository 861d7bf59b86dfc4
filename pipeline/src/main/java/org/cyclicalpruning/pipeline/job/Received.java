package org.cyclicalpruning.pipeline.job;

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
    /** The Kafka record timestamp (used for records without a decodable event time). */
    public long kafkaTimestamp;
    /** Why decoding failed; null when {@link #batch} is set. */
    public DeadLetterReason failure;
    /** What was wrong, for people. */
    public String message;
    /** The record value, kept only when decoding failed. */
    public byte[] raw;

    public Received() {}

    /** Returns the event time watermarks should use. */
    public long eventTime() {
        return batch != null ? batch.getEventTime() : kafkaTimestamp;
    }
}
