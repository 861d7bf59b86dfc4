package org.cyclicalpruning.pipeline.validate;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.cyclicalpruning.schemas.TrainingBatchRecords;

/** A batch that passed validation, unpacked for training, with its source position. A Flink POJO. */
public class ValidBatch {
    public String modelId;
    public long sequence;
    public long eventTime;
    public int rows;
    public int dim;
    /**
     * rows x dim features, row-major: float32 little-endian, or one unsigned byte each when
     * {@link #uint8Divisor} is set. Packed rather than a float[]: Flink copies a byte[] between
     * tasks in one piece, but a float[] one element at a time.
     */
    public byte[] features;
    /** 0 for float32 features; else feature = (byte &amp; 0xFF) / uint8Divisor. */
    public float uint8Divisor;
    /** Class labels, or null for regression. */
    public int[] labels;
    /** Regression targets, or null for classifiers. */
    public float[] targets;

    public String topic;
    public int partition;
    public long offset;

    public ValidBatch() {}

    /** Returns the record this batch came from, in its own encoding (for a dead letter). */
    public TrainingBatch toRecord() {
        return TrainingBatchRecords.encoded(
                modelId,
                sequence,
                eventTime,
                rows,
                dim,
                features,
                uint8Divisor == 0 ? null : uint8Divisor,
                labels,
                targets);
    }

    /** Returns the batch as {@code model-ops} trains on it. */
    public Batch toBatch() {
        if (uint8Divisor != 0) {
            return new Batch(Uint8Features.decode(features, uint8Divisor), rows, dim, labels, targets);
        }
        float[] x = new float[rows * dim];
        ByteBuffer.wrap(features).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return new Batch(x, rows, dim, labels, targets);
    }
}
