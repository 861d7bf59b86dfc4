package org.cyclicalpruning.pipeline.job;

import org.cyclicalpruning.modelops.data.Batch;

/** A batch that passed validation, unpacked for training, with its source position. A Flink POJO. */
public class ValidBatch {
    public String modelId;
    public long sequence;
    public long eventTime;
    public int rows;
    public int dim;
    /** rows x dim, row-major. */
    public float[] features;
    /** Class labels, or null for regression. */
    public int[] labels;
    /** Regression targets, or null for classifiers. */
    public float[] targets;
    public String topic;
    public int partition;
    public long offset;

    public ValidBatch() {}

    /** Returns the batch as {@code model-ops} trains on it (no copy). */
    public Batch toBatch() {
        return new Batch(features, rows, dim, labels, targets);
    }
}
