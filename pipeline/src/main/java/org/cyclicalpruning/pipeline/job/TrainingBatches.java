package org.cyclicalpruning.pipeline.job;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cyclicalpruning.modelops.data.Batch;
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
        return TrainingBatch.newBuilder()
                .setModelId(modelId)
                .setSequence(sequence)
                .setEventTime(eventTime)
                .setRows(batch.rows())
                .setDim(batch.dim())
                .setFeatures(features)
                .setLabels(batch.labels() == null ? null : boxed(batch.labels()))
                .setTargets(batch.targets() == null ? null : boxed(batch.targets()))
                .build();
    }

    /** Returns the record as plain Avro binary, the value format of the input topic. */
    public static byte[] toBytes(TrainingBatch batch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 4 * batch.getRows() * Math.max(1, batch.getDim()));
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new SpecificDatumWriter<>(TrainingBatch.class).write(batch, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static TrainingBatch of(ValidBatch b) {
        return packed(b.modelId, b.sequence, b.eventTime, b.toBatch());
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
