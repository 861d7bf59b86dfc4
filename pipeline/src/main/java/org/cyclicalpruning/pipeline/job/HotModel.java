package org.cyclicalpruning.pipeline.job;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainerState;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.ModelState;

/**
 * A model kept hot in native (or GPU) memory between batches, with the job's counters. The
 * keyed state holds the same information as an Avro {@link ModelState}; {@link #toState()} is
 * called when a checkpoint needs it, not per batch.
 */
final class HotModel implements AutoCloseable {
    final ModelDeclaration declaration;
    final TrainingConfig config;
    final SparseTrainer trainer;

    long version;
    long nextSnapshotAt = Long.MAX_VALUE;
    long maxEventTime = Long.MIN_VALUE;
    long stepsSinceSnapshot;
    double lossSum;
    long correct;
    long seen;
    long cycle;
    String phase = "PRUNE";
    double targetSparsity;
    long churn;
    long rejected;
    /** Whether this differs from what the keyed state holds. */
    boolean dirty;

    private HotModel(ModelDeclaration declaration, TrainingConfig config, SparseTrainer trainer) {
        this.declaration = declaration;
        this.config = config;
        this.trainer = trainer;
    }

    static HotModel create(ModelDeclaration declaration, DeviceChoice device, NDManager parent) {
        TrainingConfig config = Declarations.trainingConfig(declaration, device);
        HotModel m = new HotModel(declaration, config, SparseTrainer.create(config, parent));
        m.dirty = true;
        return m;
    }

    static HotModel restore(ModelState s, DeviceChoice device, NDManager parent) {
        TrainingConfig config = Declarations.trainingConfig(s.getDeclaration(), device);
        int perParam = s.getOptimizerTensorsPerParam();
        float[][] params = new float[s.getParams().size()][];
        float[][][] optimizer = new float[params.length][perParam][];
        for (int p = 0; p < params.length; p++) {
            params[p] = floats(s.getParams().get(p));
            for (int k = 0; k < perParam; k++) {
                optimizer[p][k] = floats(s.getOptimizer().get(p * perParam + k));
            }
        }
        int tensors = s.getKept().size();
        int[] prunable = config.model().layout().prunable();
        checkArgument(
                tensors == prunable.length,
                "state of %s has %s masks, its model needs %s",
                s.getDeclaration().getModelId(),
                tensors,
                prunable.length);
        int[] sizes = new int[tensors];
        long[][] kept = new long[tensors][];
        long[][] ever = new long[tensors][];
        for (int t = 0; t < tensors; t++) {
            sizes[t] = params[prunable[t]].length;
            kept[t] = longs(s.getKept().get(t));
            ever[t] = longs(s.getEverPruned().get(t));
        }
        TrainerState state = new TrainerState(
                params,
                optimizer,
                MaskState.of(sizes, kept, ever),
                s.getSteps(),
                s.getSamples(),
                s.getAnchor(),
                s.getLastMaskSparsity(),
                s.getOptimizerUpdates());
        HotModel m = new HotModel(s.getDeclaration(), config, SparseTrainer.restore(config, state, parent));
        m.version = s.getVersion();
        m.nextSnapshotAt = s.getNextSnapshotAt();
        m.maxEventTime = s.getMaxEventTime();
        m.stepsSinceSnapshot = s.getStepsSinceSnapshot();
        m.lossSum = s.getLossSum();
        m.correct = s.getCorrect();
        m.seen = s.getSeen();
        m.cycle = s.getCycle();
        m.phase = s.getPhase();
        m.targetSparsity = s.getTargetSparsity();
        m.churn = s.getChurn();
        m.rejected = s.getRejected();
        return m;
    }

    /** Copies the model out of native memory into the record the keyed state holds. */
    ModelState toState() {
        TrainerState t = trainer.exportState();
        List<ByteBuffer> params = new ArrayList<>(t.params().length);
        List<ByteBuffer> optimizer = new ArrayList<>();
        int perParam = t.optimizerState().length == 0 ? 0 : t.optimizerState()[0].length;
        for (int p = 0; p < t.params().length; p++) {
            params.add(bytes(t.params()[p]));
            for (float[] s : t.optimizerState()[p]) {
                optimizer.add(bytes(s));
            }
        }
        List<ByteBuffer> kept = new ArrayList<>();
        List<ByteBuffer> ever = new ArrayList<>();
        for (int m = 0; m < t.masks().tensorCount(); m++) {
            kept.add(bytes(t.masks().kept(m)));
            ever.add(bytes(t.masks().everPruned(m)));
        }
        return ModelState.newBuilder()
                .setDeclaration(declaration)
                .setParams(params)
                .setOptimizerTensorsPerParam(perParam)
                .setOptimizer(optimizer)
                .setKept(kept)
                .setEverPruned(ever)
                .setSteps(t.steps())
                .setSamples(t.samples())
                .setAnchor(t.anchor())
                .setLastMaskSparsity(t.lastMaskSparsity())
                .setOptimizerUpdates(t.optimizerUpdates())
                .setVersion(version)
                .setNextSnapshotAt(nextSnapshotAt)
                .setMaxEventTime(maxEventTime)
                .setStepsSinceSnapshot(stepsSinceSnapshot)
                .setLossSum(lossSum)
                .setCorrect(correct)
                .setSeen(seen)
                .setCycle(cycle)
                .setPhase(phase)
                .setTargetSparsity(targetSparsity)
                .setChurn(churn)
                .setRejected(rejected)
                .build();
    }

    @Override
    public void close() {
        trainer.close();
    }

    private static ByteBuffer bytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b;
    }

    private static ByteBuffer bytes(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return b;
    }

    private static float[] floats(ByteBuffer b) {
        float[] f = new float[b.remaining() / 4];
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private static long[] longs(ByteBuffer b) {
        long[] l = new long[b.remaining() / 8];
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(l);
        return l;
    }
}
