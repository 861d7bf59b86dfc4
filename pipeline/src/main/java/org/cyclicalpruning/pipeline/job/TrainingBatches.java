package org.cyclicalpruning.pipeline.job;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.TrainingBatch;

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
        ByteBuffer features = ByteBuffer.allocate(4 * batch.features().length).order(ByteOrder.LITTLE_ENDIAN);
        features.asFloatBuffer().put(batch.features());
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
        return record(modelId, sequence, eventTime, batch, ByteBuffer.wrap(bytes), uint8Divisor);
    }

    private static TrainingBatch record(
            String modelId, long sequence, long eventTime, Batch batch, ByteBuffer features, Float uint8Divisor) {
        return TrainingBatch.newBuilder()
                .setModelId(modelId)
                .setSequence(sequence)
                .setEventTime(eventTime)
                .setRows(batch.rows())
                .setDim(batch.dim())
                .setFeatures(features)
                .setLabels(batch.labels() == null ? null : boxed(batch.labels()))
                .setTargets(batch.targets() == null ? null : boxed(batch.targets()))
                .setUint8Divisor(uint8Divisor)
                .build();
    }

    /** Returns the record as plain Avro binary, the value format of the input topic. */
    public static byte[] toBytes(TrainingBatch batch) {
        return AvroBinary.toBytes(batch);
    }

    /** Returns the record a valid batch came from, in its own encoding. */
    static TrainingBatch of(ValidBatch b) {
        Batch batch = b.toBatch();
        if (b.uint8Divisor != 0) {
            return record(b.modelId, b.sequence, b.eventTime, batch, ByteBuffer.wrap(b.features), b.uint8Divisor);
        }
        return packed(b.modelId, b.sequence, b.eventTime, batch);
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
