package org.cyclicalpruning.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Training batches as a producer writes them, for teams that feed the job from Java: this module
 * alone (Avro), neither Flink nor the job. Build a batch, encode it plain or in a schema registry's
 * wire format, and send the bytes with any Kafka producer, keyed by the model id in UTF-8:
 *
 * <pre>{@code
 * TrainingBatch batch = TrainingBatchRecords.classification("fashion", 7, eventTimeMillis, x, rows, dim, labels);
 * producer.send(new ProducerRecord<>("training-batches", "fashion", TrainingBatchRecords.plain(batch)));
 * }</pre>
 *
 * <p>The job checks every batch; the builders here only lay the bytes out as it reads them
 * (features float32 little-endian, row-major; pixels one byte each with their divisor).
 */
public final class TrainingBatchRecords {
    private TrainingBatchRecords() {}

    /**
     * A classification batch of float32 features.
     *
     * @param modelId the model it trains
     * @param sequence the producer's sequence number of the batch
     * @param eventTime when the batch happened, epoch ms
     * @param features rows x dim values, row-major
     * @param rows rows
     * @param dim features per row
     * @param labels one class per row
     * @return the batch
     */
    public static TrainingBatch classification(
            String modelId, long sequence, long eventTime, float[] features, int rows, int dim, int[] labels) {
        byte[] bytes = new byte[4 * features.length];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(features);
        return encoded(modelId, sequence, eventTime, rows, dim, bytes, null, labels, null);
    }

    /**
     * A classification batch of pixels, one byte each: the job trains on {@code pixel / divisor}.
     *
     * @param modelId the model it trains
     * @param sequence the producer's sequence number of the batch
     * @param eventTime when the batch happened, epoch ms
     * @param pixels rows x dim bytes, row-major
     * @param rows rows
     * @param dim pixels per row
     * @param labels one class per row
     * @param divisor what each byte is divided by, such as 255
     * @return the batch
     */
    public static TrainingBatch pixels(
            String modelId,
            long sequence,
            long eventTime,
            byte[] pixels,
            int rows,
            int dim,
            int[] labels,
            float divisor) {
        return encoded(modelId, sequence, eventTime, rows, dim, pixels.clone(), divisor, labels, null);
    }

    /**
     * A batch from features already in their wire form, for classification or regression.
     *
     * @param modelId the model it trains
     * @param sequence the producer's sequence number of the batch
     * @param eventTime when the batch happened, epoch ms
     * @param rows rows
     * @param dim features per row
     * @param features rows x dim values: float32 little-endian, or one unsigned byte each when
     *     {@code uint8Divisor} is set; kept, not copied
     * @param uint8Divisor the divisor of uint8 features, null for float32
     * @param labels class labels, or null
     * @param targets regression targets, or null
     * @return the batch
     */
    public static TrainingBatch encoded(
            String modelId,
            long sequence,
            long eventTime,
            int rows,
            int dim,
            byte[] features,
            Float uint8Divisor,
            int[] labels,
            float[] targets) {
        return TrainingBatch.newBuilder()
                .setModelId(modelId)
                .setSequence(sequence)
                .setEventTime(eventTime)
                .setRows(rows)
                .setDim(dim)
                .setFeatures(ByteBuffer.wrap(features))
                .setLabels(labels == null ? null : boxed(labels))
                .setTargets(targets == null ? null : boxed(targets))
                .setUint8Divisor(uint8Divisor)
                .build();
    }

    /** Returns the batch in plain Avro binary, the value the job reads without a schema registry. */
    public static byte[] plain(TrainingBatch batch) {
        return AvroBinary.toBytes(batch);
    }

    /**
     * Returns the batch in a schema registry's wire format: a byte 0, {@code schemaId} big-endian,
     * then the Avro binary, the value registry serializers write and the job reads with {@code
     * schema-registry.url} set.
     *
     * @param batch the batch
     * @param schemaId the id the registry gave {@link TrainingBatch#getClassSchema()} (registered
     *     under {@code <topic>-value})
     * @return the value
     */
    public static byte[] framed(TrainingBatch batch, int schemaId) {
        return RegistryFraming.frame(schemaId, plain(batch));
    }

    private static List<Integer> boxed(int[] values) {
        List<Integer> out = new ArrayList<>(values.length);
        for (int v : values) {
            out.add(v);
        }
        return out;
    }

    private static List<Float> boxed(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float v : values) {
            out.add(v);
        }
        return out;
    }
}
