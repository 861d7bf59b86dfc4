package org.cyclicalpruning.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * Plain Avro binary of the records in this module, the value format of every topic by default: no
 * header, no schema id, exactly one record per value ({@link RegistryFraming} adds both).
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
        return fromBytes(bytes, SpecificData.get().getSchema(type), type);
    }

    /**
     * Decodes one record that must fill {@code bytes} exactly, written with this record's schema or
     * an earlier one: the schema without some of the fields at its end (each has a default; builds
     * between two releases), or the schema of a release under {@code /released}. Fields are only
     * ever added at the end of a record, with a default, and every release's schema is kept, so
     * whatever an earlier version wrote is one of these; its missing fields read as their defaults.
     * The current schema is tried first, then each earlier one, newest first.
     *
     * @param bytes the Avro binary
     * @param type the record's class
     * @param <T> the record type
     * @return the record
     * @throws IllegalArgumentException if the bytes are not one such record in any layout
     */
    public static <T extends SpecificRecord> T fromBytesOfAnyLayout(byte[] bytes, Class<T> type) {
        IllegalArgumentException first = null;
        for (Schema writer : LAYOUTS.get(type)) {
            try {
                return fromBytes(bytes, writer, type);
            } catch (IllegalArgumentException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        throw first;
    }

    /**
     * Decodes a value of one of the job's topics, plain or in a schema registry's wire format
     * ({@link RegistryFraming}, as the job writes with {@code sinks.framing: confluent}), in any
     * layout ({@link #fromBytesOfAnyLayout}). A framed value is read past its header: its id names
     * a schema the job registered, one of those layouts, so no registry is needed to read it.
     *
     * @param value the record value
     * @param type a record whose plain Avro never starts with a byte 0: {@link TrainingBatch},
     *     {@link SparseModelSnapshot} or {@link DeadLetter}
     * @param <T> the record type
     * @return the record
     * @throws IllegalArgumentException if the value is not one such record
     */
    public static <T extends SpecificRecord> T fromTopicValue(byte[] value, Class<T> type) {
        if (RegistryFraming.isFramed(value)) {
            try {
                return fromBytesOfAnyLayout(RegistryFraming.avro(value), type);
            } catch (IllegalArgumentException notFramed) {
                // a record whose first string is empty, which the job never writes but another
                // producer might: it is plain after all, or it is not such a record
            }
        }
        return fromBytesOfAnyLayout(value, type);
    }

    /** The layouts of each record class, newest (the class's own schema) first. */
    private static final ClassValue<List<Schema>> LAYOUTS = new ClassValue<>() {
        @Override
        protected List<Schema> computeValue(Class<?> type) {
            Schema schema = SpecificData.get().getSchema(type);
            List<Schema> layouts = new ArrayList<>();
            layouts.add(schema);
            List<Schema.Field> fields = schema.getFields();
            for (int n = fields.size() - 1; n > 0 && fields.get(n).hasDefaultValue(); n--) {
                List<Schema.Field> kept = new ArrayList<>();
                for (Schema.Field f : fields.subList(0, n)) {
                    kept.add(new Schema.Field(f, f.schema()));
                }
                layouts.add(Schema.createRecord(
                        schema.getName(), schema.getDoc(), schema.getNamespace(), schema.isError(), kept));
            }
            for (String release : RELEASES) {
                releasedSchema(release, schema.getName()).ifPresent(layouts::add);
            }
            return List.copyOf(layouts);
        }
    };

    /** The releases whose schemas are kept under {@code /released}, newest first. */
    private static final List<String> RELEASES = List.of("0.1.0");

    /** The files of a release, each after the ones it refers to. */
    private static final List<String> FILES = List.of(
            "ModelSpec",
            "SparseTensor",
            "ModelDeclaration",
            "TrainingBatch",
            "DeadLetter",
            "SparseModelSnapshot",
            "ModelState");

    /**
     * Returns a record's schema as a release wrote it, from the schemas kept under {@code /released}.
     *
     * @param release the release, such as {@code 0.1.0}
     * @param name the record's name, such as {@code TrainingBatch}
     * @return the schema, or empty if that release has no such record
     */
    public static Optional<Schema> releasedSchema(String release, String name) {
        Schema.Parser parser = new Schema.Parser();
        for (String file : FILES) {
            String resource = "/released/" + release + "/" + file + ".avsc";
            try (InputStream in = AvroBinary.class.getResourceAsStream(resource)) {
                if (in == null) {
                    continue;
                }
                Schema parsed = parser.parse(in);
                if (file.equals(name)) {
                    return Optional.of(parsed);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
        return Optional.empty();
    }

    private static <T extends SpecificRecord> T fromBytes(byte[] bytes, Schema writer, Class<T> type) {
        // Avro sizes strings, bytes and arrays by the lengths written in the record, so a few hostile
        // bytes can claim gigabytes: walk the record first with Avro's skip, which checks every
        // length against the bytes that are there and allocates nothing; after it nothing decoded
        // can be larger than the record itself
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
        boolean end;
        try {
            GenericDatumReader.skip(writer, decoder);
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
            return new SpecificDatumReader<T>(writer, SpecificData.get().getSchema(type)).read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(
                    String.format("not a %s in Avro binary: %s", type.getSimpleName(), e), e);
        }
    }
}
