package org.cyclicalpruning.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A schema registry's wire format, as Confluent defined it and every registry serializer writes
 * it (Confluent's, Apicurio's in its Confluent-compatible mode, Karapace, Redpanda): a magic byte
 * 0, the writer schema's id as a 4-byte big-endian integer, then the record in Avro binary.
 *
 * <p>No record of the job's topics ({@link TrainingBatch}, {@link SparseModelSnapshot}, {@link
 * DeadLetter}) starts with a byte 0 in plain Avro binary: each one's first field is a string that
 * is never empty (a model id, a topic name), whose length Avro writes first. A value of these
 * topics that starts with a byte 0 is therefore framed.
 */
public final class RegistryFraming {
    /** The first byte of every framed value. */
    public static final byte MAGIC_BYTE = 0;

    /** The bytes before the Avro binary: the magic byte and the schema id. */
    public static final int HEADER_BYTES = 5;

    private RegistryFraming() {}

    /**
     * Frames a record's Avro binary.
     *
     * @param schemaId the id the registry gave the record's writer schema
     * @param avro the record in Avro binary
     * @return the framed value
     */
    public static byte[] frame(int schemaId, byte[] avro) {
        return ByteBuffer.allocate(HEADER_BYTES + avro.length)
                .put(MAGIC_BYTE)
                .putInt(schemaId)
                .put(avro)
                .array();
    }

    /**
     * Frames a string as an Avro string, as registry serializers write a key whose schema is
     * {@code "string"} (Python's AvroProducer, Java's KafkaAvroSerializer for keys).
     *
     * @param schemaId the id the registry gave the schema {@code "string"}
     * @param value the string, such as a model id
     * @return the framed value
     */
    public static byte[] frameString(int schemaId, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream avro = new ByteArrayOutputStream(utf8.length + 5);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(avro, null);
            encoder.writeString(value);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return frame(schemaId, avro.toByteArray());
    }

    /**
     * Returns whether a value is in the wire format, by its first byte and its length.
     *
     * @param value a record value, possibly null
     * @return true if it starts with the magic byte and holds a whole header
     */
    public static boolean isFramed(byte[] value) {
        return value != null && value.length >= HEADER_BYTES && value[0] == MAGIC_BYTE;
    }

    /**
     * Returns the schema id of a framed value.
     *
     * @param framed a value for which {@link #isFramed} holds
     * @return the id
     */
    public static int schemaId(byte[] framed) {
        return ByteBuffer.wrap(framed, 1, 4).getInt();
    }

    /**
     * Returns the Avro binary of a framed value, after its header.
     *
     * @param framed a value for which {@link #isFramed} holds
     * @return a copy of the bytes after the header
     */
    public static byte[] avro(byte[] framed) {
        return Arrays.copyOfRange(framed, HEADER_BYTES, framed.length);
    }
}
