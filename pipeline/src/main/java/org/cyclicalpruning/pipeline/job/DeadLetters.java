package org.cyclicalpruning.pipeline.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new SpecificDatumWriter<>(DeadLetter.class).write(letter, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads a record of the dead-letter topic. */
    public static DeadLetter fromBytes(byte[] bytes) {
        try {
            return new SpecificDatumReader<>(DeadLetter.class)
                    .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
        } catch (IOException e) {
            throw new IllegalArgumentException("not a DeadLetter: " + e.getMessage(), e);
        }
    }
}
