package org.cyclicalpruning.pipeline.source;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.cyclicalpruning.pipeline.config.Framing;
import org.cyclicalpruning.pipeline.config.ModelRegistry;
import org.cyclicalpruning.pipeline.config.ValidationLimits;
import org.cyclicalpruning.pipeline.source.registry.ConfluentSchemaCoder;
import org.cyclicalpruning.pipeline.source.registry.SchemaRegistry;
import org.cyclicalpruning.pipeline.validate.BatchValidator;
import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.RegistryFraming;
import org.cyclicalpruning.schemas.TrainingBatch;

/**
 * Decodes Kafka records into {@link TrainingBatch}es and checks them ({@link BatchValidator})
 * without ever failing the job: a record that is not a good batch becomes a {@link Received}
 * carrying the cause and its bytes. Checking here, in the source, before timestamps are assigned,
 * is what keeps rejected records from moving watermarks.
 *
 * <p>A hostile record must not make the job allocate much: Avro sizes arrays and strings by the
 * counts written in the record, so the record is first walked with Avro's skip, which checks every
 * count against the bytes that are actually there and allocates nothing. Only then is it
 * decoded, and then nothing decoded can be larger than the record itself.
 *
 * <p>Plain records carry no schema id, so one that the current schema cannot walk is tried with
 * the writer schema of each earlier release (shipped under {@code /released}), newest first: the
 * job reads what producers of an older release write.
 *
 * <p>With a schema registry configured, records in its wire format (a byte 0, a 4-byte schema id,
 * then Avro) are read with the writer schema the registry gives for the id, resolved against ours:
 * an id it does not know is dead-lettered as {@code UNKNOWN_SCHEMA}, a schema ours cannot read as
 * {@code SCHEMA_MISMATCH}, and a registry that does not answer within {@code
 * schema-registry.max-wait} as {@code REGISTRY_UNAVAILABLE}, the record kept whole in the dead
 * letter to be replayed. Schemas once read are cached, so an outage only holds back ids not seen
 * before.
 */
public final class TrainingBatchDeserializer implements KafkaRecordDeserializationSchema<Received> {
    private static final long serialVersionUID = 1L;

    /** Releases whose TrainingBatch differs from the current one, newest first. */
    private static final List<String> EARLIER_WRITERS = List.of("0.1.0");

    private final int maxRecordBytes;
    private final BatchValidator validator;
    private final Framing framing;
    /** Null without a registry. */
    private final SchemaRegistry.Settings registrySettings;

    private transient ConfluentSchemaCoder coder;
    private transient Map<Schema, SpecificDatumReader<TrainingBatch>> framedReaders;
    private transient SpecificDatumReader<TrainingBatch> reader;
    private transient List<SpecificDatumReader<TrainingBatch>> earlierReaders;
    private transient BinaryDecoder decoder;

    /**
     * Creates the deserializer.
     *
     * @param limits the bounds records are checked against
     * @param models the models batches may train
     */
    public TrainingBatchDeserializer(ValidationLimits limits, ModelRegistry models) {
        this(limits, models, Framing.PLAIN, Optional.empty());
    }

    /**
     * Creates the deserializer of plain or registry-framed records.
     *
     * @param limits the bounds records are checked against
     * @param models the models batches may train
     * @param framing which framings the input topic holds
     * @param registry where framed records' schema ids are resolved; required for {@link Framing#CONFLUENT}
     */
    public TrainingBatchDeserializer(
            ValidationLimits limits,
            ModelRegistry models,
            Framing framing,
            Optional<SchemaRegistry.Settings> registry) {
        this.maxRecordBytes = limits.maxRecordBytes();
        this.validator = new BatchValidator(limits, models);
        this.framing = framing;
        this.registrySettings = registry.orElse(null);
        if (framing == Framing.CONFLUENT && registry.isEmpty()) {
            throw new IllegalArgumentException("framing confluent needs a schema registry");
        }
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Received> out) {
        Received r = new Received();
        r.topic = record.topic();
        r.partition = record.partition();
        r.offset = record.offset();
        byte[] value = record.value();
        try {
            if (value == null || value.length == 0) {
                fail(r, value, DeadLetterCause.NOT_AVRO, "empty record value");
            } else if (value.length > maxRecordBytes) {
                // the dead letter keeps a bounded prefix (the whole record stays at its offset in the
                // input topic), so that it fits the dead-letter topic
                fail(
                        r,
                        Arrays.copyOf(value, maxRecordBytes),
                        DeadLetterCause.BATCH_TOO_LARGE,
                        "record of " + value.length + " bytes exceeds limits.max-record-bytes " + maxRecordBytes
                                + "; this dead letter holds its first " + maxRecordBytes + " bytes");
            } else {
                check(record, value, r);
            }
        } catch (RuntimeException e) {
            // a record that makes the checks themselves fail must not fail the job either
            fail(r, value, DeadLetterCause.INTERNAL_ERROR, "checking the record failed: " + e);
        }
        out.collect(r);
    }

    private void check(ConsumerRecord<byte[], byte[]> record, byte[] value, Received r) {
        TrainingBatch batch;
        boolean framed = registrySettings != null && (framing == Framing.CONFLUENT || RegistryFraming.isFramed(value));
        try {
            batch = framed ? decodeFramed(value) : decode(value);
        } catch (SchemaRegistry.UnknownSchemaException e) {
            fail(r, value, DeadLetterCause.UNKNOWN_SCHEMA, e.getMessage());
            return;
        } catch (SchemaRegistry.UnavailableException e) {
            fail(r, value, DeadLetterCause.REGISTRY_UNAVAILABLE, e.getMessage());
            return;
        } catch (SchemaMismatch e) {
            fail(r, value, DeadLetterCause.SCHEMA_MISMATCH, e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            String hint = registrySettings == null && RegistryFraming.isFramed(value)
                    ? " (it starts as a schema registry's wire format does, a byte 0 and a schema id:"
                            + " set schema-registry.url to read such records)"
                    : "";
            fail(r, value, DeadLetterCause.NOT_AVRO, "not a TrainingBatch in Avro binary: " + e + hint);
            return;
        }
        try {
            r.batch = validator.validate(
                    batch,
                    new BatchValidator.Origin(
                            record.topic(), record.partition(), record.offset(), record.key(), record.timestamp()));
        } catch (BatchValidator.Rejected e) {
            // the record's own bytes, as read: re-encoding it would size a buffer from its claims
            r.modelId = batch.getModelId();
            fail(r, value, e.cause(), e.getMessage());
        }
    }

    /** A framed record's writer schema cannot be read as our TrainingBatch. */
    private static final class SchemaMismatch extends IOException {
        private static final long serialVersionUID = 1L;

        SchemaMismatch(String message) {
            super(message);
        }
    }

    /**
     * Decodes a record in a registry's wire format with its writer schema, resolved against ours,
     * checking its structure before allocating as {@link #decode} does.
     */
    private TrainingBatch decodeFramed(byte[] value) throws IOException {
        if (coder == null) {
            coder = ConfluentSchemaCoder.forReading(SchemaRegistry.of(registrySettings));
            framedReaders = new HashMap<>();
        }
        if (!RegistryFraming.isFramed(value)) {
            throw new IOException("not in a schema registry's wire format (source.framing is confluent)");
        }
        Schema writer = coder.readSchema(new ByteArrayInputStream(value, 0, RegistryFraming.HEADER_BYTES));
        SpecificDatumReader<TrainingBatch> framedReader = framedReaders.get(writer);
        if (framedReader == null) {
            SchemaCompatibility.SchemaPairCompatibility compatibility =
                    SchemaCompatibility.checkReaderWriterCompatibility(TrainingBatch.getClassSchema(), writer);
            if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new SchemaMismatch("writer schema " + writer.getFullName()
                        + " cannot be read as a TrainingBatch: " + compatibility.getDescription());
            }
            framedReader = new SpecificDatumReader<>(writer, TrainingBatch.getClassSchema());
            framedReaders.put(writer, framedReader);
        }
        return decode(value, RegistryFraming.HEADER_BYTES, framedReader);
    }

    /**
     * Decodes one record value, checking its structure before allocating.
     *
     * @param value Avro binary of a TrainingBatch
     * @return the batch
     * @throws IOException if the bytes are not a TrainingBatch
     */
    public TrainingBatch decode(byte[] value) throws IOException {
        if (reader == null) {
            reader = new SpecificDatumReader<>(TrainingBatch.class);
        }
        IOException current;
        try {
            return decode(value, reader);
        } catch (IOException e) {
            current = e;
        }
        if (earlierReaders == null) {
            earlierReaders = new ArrayList<>();
            for (String release : EARLIER_WRITERS) {
                earlierReaders.add(new SpecificDatumReader<>(releasedSchema(release), TrainingBatch.getClassSchema()));
            }
        }
        for (SpecificDatumReader<TrainingBatch> earlier : earlierReaders) {
            try {
                return decode(value, earlier);
            } catch (IOException ignored) {
                // not this release's either: the current schema's error is the one to report
            }
        }
        throw current;
    }

    private TrainingBatch decode(byte[] value, SpecificDatumReader<TrainingBatch> with) throws IOException {
        return decode(value, 0, with);
    }

    private TrainingBatch decode(byte[] value, int offset, SpecificDatumReader<TrainingBatch> with) throws IOException {
        decoder = DecoderFactory.get().binaryDecoder(value, offset, value.length - offset, decoder);
        try {
            GenericDatumReader.skip(with.getSchema(), decoder);
        } catch (RuntimeException e) {
            throw new IOException(e.toString(), e);
        }
        if (!decoder.isEnd()) {
            throw new IOException("trailing bytes after the record");
        }
        decoder = DecoderFactory.get().binaryDecoder(value, offset, value.length - offset, decoder);
        return with.read(null, decoder);
    }

    static Schema releasedSchema(String release) {
        return AvroBinary.releasedSchema(release, "TrainingBatch")
                .orElseThrow(() -> new IllegalStateException(
                        "/released/" + release + "/TrainingBatch.avsc is missing from the classpath"));
    }

    private static void fail(Received r, byte[] value, DeadLetterCause cause, String message) {
        r.batch = null;
        r.failure = cause;
        r.message = message;
        r.raw = value == null ? new byte[0] : value;
    }

    @Override
    public TypeInformation<Received> getProducedType() {
        return TypeInformation.of(Received.class);
    }
}
