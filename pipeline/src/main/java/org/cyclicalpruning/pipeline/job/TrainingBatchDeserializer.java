package org.cyclicalpruning.pipeline.job;

import java.io.IOException;
import java.util.Arrays;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.cyclicalpruning.schemas.DeadLetterReason;
import org.cyclicalpruning.schemas.TrainingBatch;

/**
 * Decodes Kafka records into {@link TrainingBatch}es without ever failing the job: a record that
 * is not a batch becomes a {@link Received} carrying the reason and its bytes.
 *
 * <p>A hostile record must not make the job allocate much: Avro sizes arrays and strings by the
 * counts written in the record, so the record is first walked with Avro's skip, which checks every
 * count against the bytes that are actually there and allocates nothing. Only then is it
 * decoded, and then nothing decoded can be larger than the record itself.
 */
public final class TrainingBatchDeserializer implements KafkaRecordDeserializationSchema<Received> {
    private static final long serialVersionUID = 1L;

    private final int maxRecordBytes;
    private transient SpecificDatumReader<TrainingBatch> reader;
    private transient BinaryDecoder decoder;

    /** @param maxRecordBytes larger record values are rejected before decoding */
    public TrainingBatchDeserializer(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Received> out) {
        Received r = new Received();
        r.topic = record.topic();
        r.partition = record.partition();
        r.offset = record.offset();
        byte[] value = record.value();
        if (value == null || value.length == 0) {
            fail(r, value, DeadLetterReason.NOT_AVRO, "empty record value");
        } else if (value.length > maxRecordBytes) {
            // the dead letter keeps a bounded prefix (the whole record stays at its offset in the
            // input topic), so that it fits the dead-letter topic
            fail(r, Arrays.copyOf(value, maxRecordBytes), DeadLetterReason.BATCH_TOO_LARGE,
                    "record of " + value.length + " bytes exceeds max-record-bytes " + maxRecordBytes
                            + "; this dead letter holds its first " + maxRecordBytes + " bytes");
        } else {
            try {
                r.batch = decode(value);
            } catch (IOException | RuntimeException e) {
                fail(r, value, DeadLetterReason.NOT_AVRO, "not a TrainingBatch in Avro binary: " + e);
            }
        }
        out.collect(r);
    }

    /**
     * Decodes one record value, checking its structure before allocating.
     *
     * @param value Avro binary of a TrainingBatch
     * @return the batch
     * @throws IOException if the bytes are not a TrainingBatch
     */
    TrainingBatch decode(byte[] value) throws IOException {
        if (reader == null) {
            reader = new SpecificDatumReader<>(TrainingBatch.class);
        }
        decoder = DecoderFactory.get().binaryDecoder(value, decoder);
        GenericDatumReader.skip(TrainingBatch.getClassSchema(), decoder);
        if (!decoder.isEnd()) {
            throw new IOException("trailing bytes after the record");
        }
        decoder = DecoderFactory.get().binaryDecoder(value, decoder);
        return reader.read(null, decoder);
    }

    private static void fail(Received r, byte[] value, DeadLetterReason reason, String message) {
        r.failure = reason;
        r.message = message;
        r.raw = value == null ? new byte[0] : value;
    }

    @Override
    public TypeInformation<Received> getProducedType() {
        return TypeInformation.of(Received.class);
    }
}
