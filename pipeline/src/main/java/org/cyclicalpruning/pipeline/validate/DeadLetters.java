package org.cyclicalpruning.pipeline.validate;

import java.nio.ByteBuffer;
import org.apache.flink.util.OutputTag;
import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.DeadLetterReason;

/** Dead letters: the side output that carries them, how they are built, and their Avro binary on the topic. */
public final class DeadLetters {
    /** The side output of rejected records, of the validator and of the training operator. */
    public static final OutputTag<DeadLetter> TAG = new OutputTag<>("dead-letters") {};

    /**
     * The longest model id and message a dead letter repeats, in characters: the record's bytes
     * hold the whole id, and a letter must stay within the dead-letter sink's request size however
     * long the id that got the record rejected.
     */
    static final int MAX_TEXT = 1024;

    private DeadLetters() {}

    /**
     * Returns a dead letter.
     *
     * @param topic the source topic, null if unknown
     * @param partition the source partition
     * @param offset the source offset
     * @param modelId the model, if known; cut to {@value #MAX_TEXT} characters
     * @param cause why the record cannot be used
     * @param message what was wrong, for people; the cause's name if null; cut to {@value
     *     #MAX_TEXT} characters
     * @param raw the record's bytes, empty if null
     * @return the record for the dead-letter topic
     */
    public static DeadLetter of(
            String topic,
            int partition,
            long offset,
            String modelId,
            DeadLetterCause cause,
            String message,
            byte[] raw) {
        return DeadLetter.newBuilder()
                .setSourceTopic(topic == null ? "" : topic)
                .setPartition(partition)
                .setOffset(offset)
                .setModelId(modelId == null ? null : cut(modelId))
                .setReason(reasonOf(cause))
                .setCause(cause)
                .setMessage(message == null ? cause.name() : cut(message))
                .setRaw(ByteBuffer.wrap(raw == null ? new byte[0] : raw))
                .build();
    }

    /**
     * Returns the reason readers of release 0.1.0 see for a cause: its own name where 0.1.0 has
     * it, else the nearest of the nine (their enum has no default, so a new symbol would break
     * them).
     */
    public static DeadLetterReason reasonOf(DeadLetterCause cause) {
        switch (cause) {
            case BAD_HEADER:
            case KEY_MISMATCH:
                return DeadLetterReason.SHAPE_MISMATCH;
            case VALUE_OUT_OF_RANGE:
            case EVENT_TIME_OUT_OF_RANGE:
                return DeadLetterReason.NON_FINITE_VALUE;
            case BAD_MODEL_ID:
            case TOO_MANY_MODELS:
                return DeadLetterReason.UNKNOWN_MODEL;
            case UNKNOWN_SCHEMA:
            case SCHEMA_MISMATCH:
            case REGISTRY_UNAVAILABLE:
                return DeadLetterReason.NOT_AVRO;
            case NON_FINITE_UPDATE:
            case INTERNAL_ERROR:
            case OTHER:
                return DeadLetterReason.NON_FINITE_LOSS;
            default:
                return DeadLetterReason.valueOf(cause.name());
        }
    }

    /** Returns a letter's cause, also for letters of release 0.1.0, which carry only a reason. */
    public static DeadLetterCause causeOf(DeadLetter letter) {
        return letter.getCause() != null
                ? letter.getCause()
                : DeadLetterCause.valueOf(letter.getReason().name());
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

    /** Reads a record of the dead-letter topic, plain or framed for a schema registry. */
    public static DeadLetter fromBytes(byte[] bytes) {
        return AvroBinary.fromTopicValue(bytes, DeadLetter.class);
    }

    private static String cut(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "…";
    }
}
