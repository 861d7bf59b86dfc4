package org.cyclicalpruning.pipeline.config;

import java.io.Serializable;
import java.util.OptionalLong;
import org.cyclicalpruning.modelops.train.DeviceChoice;

/**
 * What the training operator receives of the configuration, besides the models.
 *
 * @param hotModels models kept in native memory per subtask; the least recently used one beyond
 *     it is written to keyed state and closed
 * @param device where models train
 * @param intraOpThreads PyTorch's intra-op threads per TaskManager, 0 for PyTorch's default
 * @param snapshotIntervalMillis also publish every this much event time; 0 for cycle ends only
 * @param maxModels models the default declaration may create per job; its batches for more are
 *     dead-lettered
 * @param parallelism the training operator's parallelism, over which {@code maxModels} is shared
 * @param lineage the lineage of the snapshots of models this deployment creates
 * @param metricsMaxModels models per subtask with metrics of their own
 */
public record TrainingSettings(
        int hotModels,
        DeviceChoice device,
        int intraOpThreads,
        long snapshotIntervalMillis,
        int maxModels,
        int parallelism,
        long lineage,
        int metricsMaxModels)
        implements Serializable {

    /**
     * Returns how many models the default declaration may create in one subtask: the job's
     * bound shared evenly (ids hash evenly over subtasks), rounded up, so that the job as a whole
     * holds at most {@code maxModels + parallelism - 1} of them.
     */
    public int maxModelsPerSubtask() {
        return (int) ((maxModels + (long) parallelism - 1) / parallelism);
    }

    /** Returns the snapshot interval in event-time milliseconds, if one is configured. */
    public OptionalLong snapshotInterval() {
        return snapshotIntervalMillis > 0 ? OptionalLong.of(snapshotIntervalMillis) : OptionalLong.empty();
    }
}
