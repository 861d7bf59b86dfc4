package org.cyclicalpruning.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Plain Avro binary of the records in this module, the value format of every topic: no header,
 * no schema id, exactly one record per value.
 *
 * <p>Not Avro's single-object encoding ({@code toByteBuffer()}), which prefixes a fingerprint that
 * no other producer or consumer of these topics writes or expects.
 */
public final class AvroBinary {
    private AvroBinary() {}

    /**
     * Encodes one record.
     *
     * @param record the record
     * @return its Avro binary
     */
    public static byte[] toBytes(SpecificRecord record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes one record that must fill {@code bytes} exactly.
     *
     * @param bytes the Avro binary
     * @param type the record's class
     * @param <T> the record type
     * @return the record
     * @throws IllegalArgumentException if the bytes are not one such record, or hold more after it
     */
    public static <T extends SpecificRecord> T fromBytes(byte[] bytes, Class<T> type) {
        Schema schema = SpecificData.get().getSchema(type);
        // Avro sizes strings, bytes and arrays by the lengths written in the record, so a few hostile
        // bytes can claim gigabytes: walk the record first with Avro's skip, which checks every
        // length against the bytes that are there and allocates nothing; after it nothing decoded
        // can be larger than the record itself
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
        boolean end;
        try {
            GenericDatumReader.skip(schema, decoder);
            end = decoder.isEnd();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(
                    String.format("not a %s in Avro binary: %s", type.getSimpleName(), e), e);
        }
        if (!end) {
            throw new IllegalArgumentException(String.format(
                    "trailing bytes after the %s in a value of %s bytes", type.getSimpleName(), bytes.length));
        }
        decoder = DecoderFactory.get().binaryDecoder(bytes, decoder);
        try {
            return new SpecificDatumReader<>(type).read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(
                    String.format("not a %s in Avro binary: %s", type.getSimpleName(), e), e);
        }
    }
}
