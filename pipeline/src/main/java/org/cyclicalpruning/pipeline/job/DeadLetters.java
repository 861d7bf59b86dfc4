package org.cyclicalpruning.pipeline.job;

import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.DeadLetter;

/** Avro binary of {@link DeadLetter}s, as on the dead-letter topic. */
public final class DeadLetters {
    private DeadLetters() {}

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
