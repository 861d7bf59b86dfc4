package org.cyclicalpruning.serving;

import java.time.Instant;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * One version of one model, ready to serve: its snapshot, checked and compiled once into a
 * {@link SparsePredictor}. Immutable (as long as nobody modifies the Avro record that {@link
 * #snapshot()} returns), so a {@link SnapshotFollower} can hand the same instance to any number of
 * threads and replace it with a newer one by swapping a reference.
 */
public final class ServingModel implements Predictor {
    private final SparseModelSnapshot snapshot;
    private final SparsePredictor predictor;

    private ServingModel(SparseModelSnapshot snapshot, SparsePredictor predictor) {
        this.snapshot = snapshot;
        this.predictor = predictor;
    }

    /**
     * Checks a snapshot and builds its predictor.
     *
     * @param snapshot the snapshot; retained, must not be modified afterwards
     * @return the model
     * @throws IllegalArgumentException if a tensor is malformed or does not fit the spec
     */
    public static ServingModel of(SparseModelSnapshot snapshot) {
        return new ServingModel(snapshot, SparsePredictor.of(snapshot));
    }

    /** Returns the model id (the snapshot topic's key). */
    public String modelId() {
        return snapshot.getModelId();
    }

    /** Returns the snapshot version: 1, 2, 3, ... per model and lineage. */
    public long version() {
        return snapshot.getVersion();
    }

    /**
     * Returns the lineage: the deployment that created the model's state (the time it was built,
     * epoch ms). A deployment without state starts a newer one, whose versions count from 1 again.
     */
    public long lineage() {
        return snapshot.getLineage();
    }

    /** Returns whether this version is served before {@code other}: an older lineage, or an older version of the same. */
    public boolean isOlderThan(ServingModel other) {
        return ModelSnapshots.SERVING_ORDER.compare(snapshot, other.snapshot) < 0;
    }

    /** Returns the event time the snapshot stands for. */
    public Instant eventTime() {
        return Instant.ofEpochMilli(snapshot.getEventTime());
    }

    @Override
    public ModelSpec spec() {
        return predictor.spec();
    }

    /** Returns the snapshot (read only): metrics, schedule, tensors; for a {@link SnapshotPredictor} or an export. */
    public SparseModelSnapshot snapshot() {
        return snapshot;
    }

    /** Returns the plain-Java predictor of this version. */
    public SparsePredictor predictor() {
        return predictor;
    }

    @Override
    public float[] predict(float[] features, int rows) {
        return predictor.predict(features, rows);
    }

    @Override
    public String toString() {
        return modelId() + " v" + version() + " (" + spec() + ", sparsity " + snapshot.getSparsity() + ")";
    }
}
