package org.cyclicalpruning.pipeline.state;

import org.cyclicalpruning.modelops.schedule.Phase;

/**
 * The job's own counters of one model, beside what the trainer holds: where its snapshots stand
 * and what the current snapshot interval has seen.
 *
 * @param version version of the last snapshot emitted, 0 before any
 * @param nextSnapshotAt event time of the next snapshot boundary; {@link Long#MAX_VALUE} for none
 * @param maxEventTime latest event time trained on; the schedule's clock never runs backwards
 * @param stepsSinceSnapshot steps since the last snapshot
 * @param lossSum sum of batch loss x rows since the last snapshot
 * @param correct prequentially correct predictions since the last snapshot
 * @param seen rows since the last snapshot
 * @param cycle the schedule's cycle at the last step
 * @param phase the schedule's phase at the last step
 * @param targetSparsity the schedule's sparsity at the last step
 * @param churn the last mask update's churn
 * @param rejected batches whose loss was not finite
 * @param lineage the lineage of the model's snapshots, fixed when its state was created
 */
public record ModelCounters(
        long version,
        long nextSnapshotAt,
        long maxEventTime,
        long stepsSinceSnapshot,
        double lossSum,
        long correct,
        long seen,
        long cycle,
        Phase phase,
        double targetSparsity,
        long churn,
        long rejected,
        long lineage) {}
