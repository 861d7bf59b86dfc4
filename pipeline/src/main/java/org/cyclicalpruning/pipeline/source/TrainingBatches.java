package org.cyclicalpruning.pipeline.source;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.cyclicalpruning.schemas.TrainingBatchRecords;

/** Builds {@link TrainingBatch} records, as producers write them. */
public final class TrainingBatches {
    private TrainingBatches() {}

    /**
     * Packs a batch with float32 little-endian features, the compact form.
     *
     * @param modelId the model it trains
     * @param sequence the producer's batch number for this model
     * @param eventTime event time, epoch ms
     * @param batch the examples
     * @return the record
     */
    public static TrainingBatch packed(String modelId, long sequence, long eventTime, Batch batch) {
        byte[] features = new byte[4 * batch.features().length];
        ByteBuffer.wrap(features).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(batch.features());
        return record(modelId, sequence, eventTime, batch, features, null);
    }

    /**
     * Packs a batch whose features are bytes over a divisor, such as pixels over 255, with one
     * unsigned byte per feature: a quarter of the float32 form, and decoded to the same floats.
     *
     * @param uint8Divisor every feature must equal {@code b / uint8Divisor} for a byte value b
     * @throws IllegalArgumentException naming the first feature that is not such a value
     */
    public static TrainingBatch quantized(
            String modelId, long sequence, long eventTime, Batch batch, float uint8Divisor) {
        float[] x = batch.features();
        float[] table = Uint8Features.table(uint8Divisor);
        byte[] bytes = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            long b = Math.round((double) x[i] * uint8Divisor);
            if (b < 0 || b > 255 || table[(int) b] != x[i]) {
                throw new IllegalArgumentException("feature " + i + " = " + x[i] + " is not a byte / " + uint8Divisor
                        + ": this data cannot be sent as uint8 (send it as float32)");
            }
            bytes[i] = (byte) b;
        }
        return record(modelId, sequence, eventTime, batch, bytes, uint8Divisor);
    }

    private static TrainingBatch record(
            String modelId, long sequence, long eventTime, Batch batch, byte[] features, Float uint8Divisor) {
        return TrainingBatchRecords.encoded(
                modelId,
                sequence,
                eventTime,
                batch.rows(),
                batch.dim(),
                features,
                uint8Divisor,
                batch.labels(),
                batch.targets());
    }

    /** Returns the record as plain Avro binary, the value format of the input topic. */
    public static byte[] toBytes(TrainingBatch batch) {
        return AvroBinary.toBytes(batch);
    }
}
