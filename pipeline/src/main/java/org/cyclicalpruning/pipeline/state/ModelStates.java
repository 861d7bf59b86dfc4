package org.cyclicalpruning.pipeline.state;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cyclicalpruning.modelops.drift.DriftDetectorState;
import org.cyclicalpruning.modelops.drift.DriftState;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.schedule.Phase;
import org.cyclicalpruning.modelops.train.InputStats;
import org.cyclicalpruning.modelops.train.TrainerState;
import org.cyclicalpruning.schemas.DriftWatch;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.ModelState;

/**
 * Converts a model between what training holds (a {@link TrainerState} and the job's {@link
 * ModelCounters}) and the Avro {@link ModelState} of its keyed state, which checkpoints and
 * savepoints carry across job versions. Tensors are float32 little-endian, masks 64-bit
 * little-endian words.
 */
public final class ModelStates {
    private ModelStates() {}

    /**
     * Returns the keyed state of a model.
     *
     * @param declaration what the model was created from
     * @param trainer the trainer's exported state
     * @param counters the job's counters
     * @return the record
     */
    public static ModelState write(ModelDeclaration declaration, TrainerState trainer, ModelCounters counters) {
        List<ByteBuffer> params = new ArrayList<>(trainer.params().length);
        List<ByteBuffer> optimizer = new ArrayList<>();
        int perParam = trainer.optimizerState().length == 0 ? 0 : trainer.optimizerState()[0].length;
        for (int p = 0; p < trainer.params().length; p++) {
            params.add(bytes(trainer.params()[p]));
            for (float[] s : trainer.optimizerState()[p]) {
                optimizer.add(bytes(s));
            }
        }
        List<ByteBuffer> kept = new ArrayList<>();
        List<ByteBuffer> ever = new ArrayList<>();
        for (int m = 0; m < trainer.masks().tensorCount(); m++) {
            kept.add(bytes(trainer.masks().kept(m)));
            ever.add(bytes(trainer.masks().everPruned(m)));
        }
        ModelState.Builder state = ModelState.newBuilder()
                .setDeclaration(declaration)
                .setParams(params)
                .setOptimizerTensorsPerParam(perParam)
                .setOptimizer(optimizer)
                .setKept(kept)
                .setEverPruned(ever)
                .setInputCount(trainer.inputStats().count())
                .setInputMean(trainer.inputStats().mean())
                .setInputM2(trainer.inputStats().m2())
                .setSteps(trainer.steps())
                .setSamples(trainer.samples())
                .setAnchor(trainer.anchor())
                .setLastMaskSparsity(trainer.lastMaskSparsity())
                .setOptimizerUpdates(trainer.optimizerUpdates())
                .setDrift(driftWatch(trainer.drift()));
        return withCounters(state, counters).build();
    }

    /** Sets the job's counters of the record, which {@link #counters} reads back. */
    private static ModelState.Builder withCounters(ModelState.Builder state, ModelCounters c) {
        return state.setVersion(c.version())
                .setNextSnapshotAt(c.nextSnapshotAt())
                .setMaxEventTime(c.maxEventTime())
                .setStepsSinceSnapshot(c.stepsSinceSnapshot())
                .setLossSum(c.lossSum())
                .setCorrect(c.correct())
                .setSeen(c.seen())
                .setCycle(c.cycle())
                .setPhase(c.phase().name())
                .setTargetSparsity(c.targetSparsity())
                .setChurn(c.churn())
                .setRejected(c.rejected())
                .setLineage(c.lineage());
    }

    /**
     * Returns the trainer's part of a model's keyed state.
     *
     * @param s the record
     * @param layout the model's tensors, which the record's must fit
     * @return the trainer state
     * @throws IllegalArgumentException if the record's masks do not fit the model
     */
    public static TrainerState trainerState(ModelState s, ModelLayout layout) {
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
        int[] prunable = layout.prunable();
        checkArgument(
                tensors == prunable.length && params.length == layout.size(),
                "state of %s has %s tensors and %s masks, its model needs %s and %s",
                s.getDeclaration().getModelId(),
                params.length,
                tensors,
                layout.size(),
                prunable.length);
        int[] sizes = new int[tensors];
        long[][] kept = new long[tensors][];
        long[][] ever = new long[tensors][];
        for (int t = 0; t < tensors; t++) {
            sizes[t] = params[prunable[t]].length;
            kept[t] = longs(s.getKept().get(t));
            ever[t] = longs(s.getEverPruned().get(t));
        }
        return new TrainerState(
                params,
                optimizer,
                MaskState.of(sizes, kept, ever),
                s.getSteps(),
                s.getSamples(),
                s.getAnchor(),
                s.getLastMaskSparsity(),
                s.getOptimizerUpdates(),
                new InputStats(s.getInputCount(), s.getInputMean(), s.getInputM2()),
                driftState(s.getDrift()));
    }

    /** Returns the record of a model's detections; null for none, as the field's default reads. */
    private static DriftWatch driftWatch(DriftState d) {
        if (d.equals(DriftState.NONE)) {
            return null;
        }
        return DriftWatch.newBuilder()
                .setDetections(d.detections())
                .setLastRestartTick(d.lastRestartTick())
                .setLastDetectionEventTime(d.lastDetectionEventTime())
                .setCount(d.detector().count())
                .setSum(d.detector().sum())
                .setCutCount(d.detector().cutCount())
                .setCutSum(d.detector().cutSum())
                .setReference(d.reference())
                .setMaskDue(d.maskDue())
                .build();
    }

    private static DriftState driftState(DriftWatch w) {
        if (w == null) {
            return DriftState.NONE;
        }
        return new DriftState(
                w.getDetections(),
                w.getLastRestartTick(),
                w.getLastDetectionEventTime(),
                new DriftDetectorState(w.getCount(), w.getSum(), w.getCutCount(), w.getCutSum()),
                w.getReference(),
                w.getMaskDue());
    }

    /** Returns the job's counters of a model's keyed state. */
    public static ModelCounters counters(ModelState s) {
        return new ModelCounters(
                s.getVersion(),
                s.getNextSnapshotAt(),
                s.getMaxEventTime(),
                s.getStepsSinceSnapshot(),
                s.getLossSum(),
                s.getCorrect(),
                s.getSeen(),
                s.getCycle(),
                Phase.valueOf(s.getPhase().toUpperCase(Locale.ROOT)),
                s.getTargetSparsity(),
                s.getChurn(),
                s.getRejected(),
                s.getLineage());
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
