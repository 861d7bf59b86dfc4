package org.cyclicalpruning.pipeline.validate;

import java.nio.ByteBuffer;
import org.apache.flink.util.OutputTag;
import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterReason;

/** Dead letters: the side output that carries them, how they are built, and their Avro binary on the topic. */
public final class DeadLetters {
    /** The side output of rejected records, of the validator and of the training operator. */
    public static final OutputTag<DeadLetter> TAG = new OutputTag<>("dead-letters") {};

    private DeadLetters() {}

    /**
     * Returns a dead letter.
     *
     * @param topic the source topic, null if unknown
     * @param partition the source partition
     * @param offset the source offset
     * @param modelId the model, if known
     * @param reason why the record cannot be used
     * @param message what was wrong, for people; the reason's name if null
     * @param raw the record's bytes, empty if null
     * @return the record for the dead-letter topic
     */
    public static DeadLetter of(
            String topic,
            int partition,
            long offset,
            String modelId,
            DeadLetterReason reason,
            String message,
            byte[] raw) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic == null ? "" : topic)
                .setPartition(partition)
                .setOffset(offset)
                .setModelId(modelId)
                .setReason(reason)
                .setMessage(message == null ? reason.name() : message)
                .setRaw(ByteBuffer.wrap(raw == null ? new byte[0] : raw))
                .build();
    }

    /**
     * Returns the largest dead-letter record for a job whose records are at most {@code
     * maxRecordBytes}: the record's bytes, plus a megabyte for the reason, message and position.
     */
    public static int maxRecordSize(int maxRecordBytes) {
        return (int) Math.min(Integer.MAX_VALUE, maxRecordBytes + (1L << 20));
    }

    /** Returns the record as plain Avro binary. */
    public static byte[] toBytes(DeadLetter letter) {
        return AvroBinary.toBytes(letter);
    }

    /** Reads a record of the dead-letter topic. */
    public static DeadLetter fromBytes(byte[] bytes) {
        return AvroBinary.fromBytes(bytes, DeadLetter.class);
    }
}
