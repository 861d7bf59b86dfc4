package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkState;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.cyclicalpruning.modelops.model.DjlBlocks;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * Runs a snapshot with DJL (PyTorch engine): the model's block rebuilt from its spec, with the
 * snapshot's weights, dense, in native memory, after the snapshot's input standardisation.
 *
 * <p>Threads: several threads may predict at once. Each call runs in its own sub-scope of the
 * predictor's {@link NDManager}, closed when the call returns, so inputs, activations and outputs
 * never outlive the call and calls share nothing but the read-only weights. The weights do not
 * require gradients, so no autograd graph is recorded whatever the calling thread's grad mode.
 * {@link #close()} waits for calls in flight, so a model swapped out under load can be closed at
 * once; calls after it fail with {@link IllegalStateException}.
 */
public final class SnapshotPredictor extends StandardizingPredictor implements AutoCloseable {
    private final NDManager manager;
    private final Block block;
    // read: a prediction in flight; write: close(). Keeps close() from freeing weights mid-call.
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private SnapshotPredictor(ModelSpec spec, NDManager manager, Block block, Optional<InputStandardization> scale) {
        super(spec, scale);
        this.manager = manager;
        this.block = block;
    }

    /**
     * Loads a snapshot onto the CPU.
     *
     * @param snapshot the snapshot; not modified, not retained
     * @return the predictor; close it to free its native memory
     * @throws IllegalArgumentException if a tensor is malformed or does not fit the spec
     */
    public static SnapshotPredictor load(SparseModelSnapshot snapshot) {
        ModelSpec spec = ModelSnapshots.checkedSpec(snapshot);
        float[][] params = ModelSnapshots.decodeTensors(snapshot);
        NDManager manager = NDManager.newBaseManager(Device.cpu());
        try {
            Block block = DjlBlocks.of(spec);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, spec.inputs()));
            List<Parameter> parameters = block.getParameters().values();
            checkState(
                    parameters.size() == params.length,
                    "the block of %s has %s parameters, the snapshot %s",
                    spec,
                    parameters.size(),
                    params.length);
            for (int p = 0; p < params.length; p++) {
                NDArray array = parameters.get(p).getArray();
                checkState(
                        array.size() == params[p].length,
                        "parameter %s of %s's block has %s values, tensor '%s' %s",
                        p,
                        spec,
                        array.size(),
                        spec.tensorNames().get(p),
                        params[p].length);
                // before set(): PyTorch refuses in-place writes to leaves that require gradients
                // on threads with grad mode on, which is every thread but the engine's first
                array.setRequiresGradient(false);
                array.set(params[p]);
            }
            return new SnapshotPredictor(spec, manager, block, ModelSnapshots.inputStandardization(snapshot));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    float[] forward(float[] in, int rows) {
        lifecycle.readLock().lock();
        try {
            checkState(!closed, "predictor of %s is closed", spec);
            try (NDManager call = manager.newSubManager()) {
                NDArray x = call.create(in, new Shape(rows, spec.inputs()));
                // copy = false: the block reads the weights in place; a store per call keeps
                // calls independent of each other
                NDArray out = block.forward(new ParameterStore(call, false), new NDList(x), false)
                        .singletonOrThrow();
                return out.toFloatArray();
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Returns the number of native arrays the predictor holds between calls (for leak checks). */
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    /** Frees the native memory, after waiting for predictions in flight. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                manager.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "SnapshotPredictor[" + spec + (closed ? ", closed]" : "]");
    }
}
