package org.cyclicalpruning.pipeline.train;

import ai.djl.ndarray.NDManager;
import org.cyclicalpruning.modelops.schedule.Phase;
import org.cyclicalpruning.modelops.schedule.SchedulePoint;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.pipeline.config.ModelDefinition;
import org.cyclicalpruning.pipeline.state.ModelCounters;
import org.cyclicalpruning.pipeline.state.ModelStates;
import org.cyclicalpruning.schemas.ModelState;

/**
 * A model kept hot in native (or GPU) memory between batches, with the job's counters. The
 * keyed state holds the same information as an Avro {@link ModelState}; {@link #toState()} is
 * called when a checkpoint needs it, not per batch. Mutable, owned by one operator subtask.
 */
final class HotModel implements AutoCloseable {
    final ModelDefinition definition;
    final TrainingConfig config;
    final SparseTrainer trainer;

    long version;
    long nextSnapshotAt = Long.MAX_VALUE;
    long maxEventTime = Long.MIN_VALUE;
    Interval interval = new Interval(0, 0, 0, 0);
    /** The schedule's target, phase and cycle at the last step. */
    SchedulePoint point = new SchedulePoint(0, Phase.PRUNE, 0);

    long churn;
    long rejected;
    /** The lineage of the model's snapshots: its deployment's when it was created, kept across restores. */
    long lineage;
    /** Whether this differs from what the keyed state holds. */
    boolean dirty;

    /** What the current snapshot interval has seen; the snapshot at its end reports it. */
    static final class Interval {
        long steps;
        double lossSum;
        long correct;
        long seen;

        Interval(long steps, double lossSum, long correct, long seen) {
            this.steps = steps;
            this.lossSum = lossSum;
            this.correct = correct;
            this.seen = seen;
        }

        void add(double loss, long correctRows, int rows) {
            lossSum += loss * rows;
            correct += correctRows;
            seen += rows;
            steps++;
        }
    }

    private HotModel(ModelDefinition definition, TrainingConfig config, SparseTrainer trainer) {
        this.definition = definition;
        this.config = config;
        this.trainer = trainer;
    }

    static HotModel create(ModelDefinition definition, DeviceChoice device, long lineage, NDManager parent) {
        TrainingConfig config = definition.trainingConfig(device);
        SparseTrainer trainer = SparseTrainer.create(config, parent);
        definition.initialWeights().ifPresent(w -> trainer.loadWeights(w.params()));
        HotModel m = new HotModel(definition, config, trainer);
        m.lineage = lineage;
        m.dirty = true;
        return m;
    }

    /**
     * Loads a model from its state, to train under {@code definition} (the declaration in force
     * now, whose architecture and optimizer the caller has checked against the stored one).
     */
    static HotModel restore(ModelState s, ModelDefinition definition, DeviceChoice device, NDManager parent) {
        TrainingConfig config = definition.trainingConfig(device);
        SparseTrainer trainer = SparseTrainer.restore(
                config, ModelStates.trainerState(s, config.model().layout()), parent);
        HotModel m = new HotModel(definition, config, trainer);
        ModelCounters c = ModelStates.counters(s);
        m.version = c.version();
        m.nextSnapshotAt = c.nextSnapshotAt();
        m.maxEventTime = c.maxEventTime();
        m.interval = new Interval(c.stepsSinceSnapshot(), c.lossSum(), c.correct(), c.seen());
        m.point = new SchedulePoint(c.targetSparsity(), c.phase(), c.cycle());
        m.churn = c.churn();
        m.rejected = c.rejected();
        m.lineage = c.lineage();
        return m;
    }

    /** Returns the model id. */
    String id() {
        return definition.id();
    }

    /** Copies the model out of native memory into the record the keyed state holds. */
    ModelState toState() {
        ModelCounters counters = new ModelCounters(
                version,
                nextSnapshotAt,
                maxEventTime,
                interval.steps,
                interval.lossSum,
                interval.correct,
                interval.seen,
                point.cycle(),
                point.phase(),
                point.sparsity(),
                churn,
                rejected,
                lineage);
        return ModelStates.write(definition.declaration(), trainer.exportState(), counters);
    }

    @Override
    public void close() {
        trainer.close();
    }
}
