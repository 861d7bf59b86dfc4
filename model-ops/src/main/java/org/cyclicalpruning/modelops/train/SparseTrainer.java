package org.cyclicalpruning.modelops.train;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.modelops.mask.MagnitudePruner;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.mask.MaskUpdate;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.schedule.SchedulePoint;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.schemas.ModelKind;

/**
 * One model being trained and pruned: its DJL block, weights, masks and optimizer state, kept hot
 * in native memory between steps.
 *
 * <p>The step follows projected gradient descent as in Srinivas et al., "Cyclical Pruning for
 * Sparse Neural Networks" (2022), https://arxiv.org/abs/2202.01290: forward, loss, backward and
 * an optimizer update of <em>all</em> weights; then, when the mask is due (every {@code
 * maskUpdateInterval} steps while the schedule prunes, and once when a frozen phase starts), the
 * mask is recomputed by magnitude at the schedule's current sparsity, the optimizer state of
 * pruned weights is reset, and the weights are projected, {@code w <- w * mask}. Pruned weights
 * thus still receive gradients while sparsity ramps and can regrow when a new cycle lowers the
 * sparsity; in hold phases their gradients are masked too, so they stay exactly zero. With
 * {@link TrainingConfig#regrowth()} off, pruned weights never receive gradients, which is how
 * gradual magnitude pruning keeps its masks monotone.
 *
 * <p>Memory: parameters, masks and optimizer state belong to this trainer's {@link NDManager};
 * every temporary of a step lives in a sub-manager closed at the end of the step, so a training
 * loop holds a constant number of native arrays. Not thread-safe.
 */
public final class SparseTrainer implements AutoCloseable {
    private static final int EVAL_CHUNK = 2048;

    private final TrainingConfig config;
    private final ModelSpec spec;
    private final SparsitySchedule schedule;
    private final Device device;
    private final NDManager manager;
    private final Block block;
    private final ParameterStore parameterStore;
    private final NDArray[] params;
    private final int[] prunableParams;
    private final NDArray[] masks;
    private final NDArray[][] optimizerState;
    private MaskState maskState;
    private final MagnitudePruner pruner;
    private final Loss classificationLoss;

    private ByteBuffer[] weightViews;
    private FloatBuffer[] maskViews;
    // direct views for the in-place mask update (CPU only): masks as bytes, optimizer state per tensor
    private ByteBuffer[] maskBytes;
    private ByteBuffer[][] stateViews;
    // in-place mask updates keep only the bits current; the float masks follow when a step needs them
    private boolean floatMasksStale;
    private ByteBuffer staging;
    // uint8 batches: byte value -> feature, for the last divisor seen
    private float[] byteTable;
    private float byteTableDivisor = Float.NaN;
    private long steps;
    private long samples;
    private long anchor = Long.MIN_VALUE;
    private double lastMaskSparsity = -1;
    private boolean anyPruned;
    private long optimizerUpdates;

    private SparseTrainer(TrainingConfig config, NDManager parent) {
        this.config = config;
        this.spec = config.model();
        this.schedule = config.schedule();
        this.device = config.device().resolve();
        this.manager = parent == null ? NDManager.newBaseManager(device) : parent.newSubManager(device);
        try {
            this.block = spec.newBlock();
            block.initialize(manager, DataType.FLOAT32, new Shape(1, spec.inputs()));
            List<Parameter> parameters = block.getParameters().values();
            this.params = new NDArray[parameters.size()];
            for (int p = 0; p < params.length; p++) {
                params[p] = parameters.get(p).getArray();
            }
            this.parameterStore = new ParameterStore(manager, false);
            initialise(new SplittableRandom(config.seed()));

            // weights (even indices) are prunable; biases are not, as is usual
            this.prunableParams = new int[params.length / 2];
            int[] sizes = new int[prunableParams.length];
            int[] rows = new int[prunableParams.length];
            this.masks = new NDArray[prunableParams.length];
            for (int t = 0; t < prunableParams.length; t++) {
                prunableParams[t] = 2 * t;
                Shape shape = params[2 * t].getShape();
                sizes[t] = Math.toIntExact(shape.size());
                rows[t] = Math.toIntExact(shape.get(shape.dimension() - 1));
                masks[t] = manager.ones(shape);
            }
            this.maskState = MaskState.dense(sizes);
            this.pruner = new MagnitudePruner(config.pruningMode(), sizes, rows);
            this.optimizerState = new NDArray[params.length][config.optimizer().stateTensors()];
            for (int p = 0; p < params.length; p++) {
                for (int s = 0; s < optimizerState[p].length; s++) {
                    optimizerState[p][s] = manager.zeros(params[p].getShape());
                }
            }
            this.classificationLoss = spec.kind() == ModelKind.LOGISTIC_REGRESSION
                    ? Loss.sigmoidBinaryCrossEntropyLoss()
                    : Loss.softmaxCrossEntropyLoss();
            refreshViews();
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Creates a trainer with its own native memory scope.
     *
     * @param config what to train and how
     * @return a trainer; close it to free its native memory
     */
    public static SparseTrainer create(TrainingConfig config) {
        return new SparseTrainer(config, null);
    }

    /**
     * Creates a trainer whose native memory is a sub-scope of {@code parent}.
     *
     * @param config what to train and how
     * @param parent the scope that owns this trainer's arrays
     * @return a trainer; close it (or {@code parent}) to free its native memory
     */
    public static SparseTrainer create(TrainingConfig config, NDManager parent) {
        return new SparseTrainer(config, parent);
    }

    /**
     * Rebuilds a hot trainer from a state exported by {@link #exportState()}, so that training
     * continues bit for bit as if it had never stopped.
     *
     * @param config the configuration the state was trained with
     * @param state the exported state
     * @param parent the scope that owns the trainer's arrays, or null for its own
     * @return the trainer
     * @throws IllegalArgumentException if the state's tensors do not fit the configured model
     */
    public static SparseTrainer restore(TrainingConfig config, TrainerState state, NDManager parent) {
        SparseTrainer trainer = new SparseTrainer(config, parent);
        try {
            trainer.load(state);
            return trainer;
        } catch (RuntimeException e) {
            trainer.close();
            throw e;
        }
    }

    /**
     * Copies weights, masks, optimizer state and counters to the heap. Costs one copy of the
     * model and its optimizer state, so call it when state must be durable (a checkpoint), not
     * per step.
     *
     * @return the state, independent of this trainer
     */
    public TrainerState exportState() {
        float[][][] optimizer = new float[params.length][][];
        for (int p = 0; p < params.length; p++) {
            optimizer[p] = new float[optimizerState[p].length][];
            for (int s = 0; s < optimizer[p].length; s++) {
                optimizer[p][s] = optimizerState[p][s].toFloatArray();
            }
        }
        return new TrainerState(
                weights(), optimizer, maskState.copy(), steps, samples, anchor, lastMaskSparsity, optimizerUpdates);
    }

    /**
     * Trains on one batch.
     *
     * @param batch the batch; its width must match the model's inputs
     * @param eventTimeMillis the batch's event time, which clocks event-time schedules
     * @return what the step did; {@code accepted() == false} when the loss was not finite, in
     *     which case nothing changed
     */
    public StepResult step(Batch batch, long eventTimeMillis) {
        checkBatch(batch.rows(), batch.dim(), batch.labels(), batch.targets());
        float[] x = batch.features();
        return train(
                batch.rows(),
                batch.dim(),
                batch.labels(),
                batch.targets(),
                eventTimeMillis,
                staging -> staging.asFloatBuffer().put(x));
    }

    /**
     * Trains on one batch whose features come packed as float32 little-endian bytes, the wire form
     * of a {@code TrainingBatch}: they are copied once, straight into native memory, with no
     * {@code float[]} in between.
     *
     * @param packedFeatures rows x dim float32 values, little-endian, from its position
     * @param rows examples in the batch
     * @param dim features per example; must match the model's inputs
     * @param labels class labels (classifiers), else null
     * @param targets regression targets, else null
     * @param eventTimeMillis the batch's event time, which clocks event-time schedules
     * @return as {@link #step(Batch, long)}
     */
    public StepResult step(
            ByteBuffer packedFeatures, int rows, int dim, int[] labels, float[] targets, long eventTimeMillis) {
        checkBatch(rows, dim, labels, targets);
        checkArgument(
                packedFeatures.remaining() == 4L * rows * dim,
                "packed features hold %s bytes, %s x %s floats need %s",
                packedFeatures.remaining(),
                rows,
                dim,
                4L * rows * dim);
        ByteBuffer src = packedFeatures.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return train(rows, dim, labels, targets, eventTimeMillis, staging -> {
            if (staging.order() == ByteOrder.LITTLE_ENDIAN) {
                staging.put(src); // a memcpy
            } else {
                staging.asFloatBuffer().put(src.asFloatBuffer());
            }
        });
    }

    /**
     * Trains on one batch whose features come as unsigned bytes over a divisor (pixels over 255),
     * the quantized wire form of a {@code TrainingBatch}, decoded as {@link Uint8Features} does,
     * so the step equals {@link #step(Batch, long)} on the decoded floats.
     *
     * @param bytes rows x dim unsigned bytes, from its position
     * @param divisor finite and not zero
     * @return as {@link #step(Batch, long)}
     */
    public StepResult stepUint8(
            ByteBuffer bytes, float divisor, int rows, int dim, int[] labels, float[] targets, long eventTimeMillis) {
        checkBatch(rows, dim, labels, targets);
        checkArgument(
                bytes.remaining() == (long) rows * dim,
                "uint8 features hold %s bytes, %s x %s values need %s",
                bytes.remaining(),
                rows,
                dim,
                (long) rows * dim);
        checkArgument(Float.isFinite(divisor) && divisor != 0, "divisor must be finite and not zero, got %s", divisor);
        if (divisor != byteTableDivisor) {
            byteTable = Uint8Features.table(divisor);
            byteTableDivisor = divisor;
        }
        int n = rows * dim;
        float[] table = byteTable;
        int from = bytes.position();
        // decoded straight into the native staging buffer: no float[] per model on the heap
        return train(rows, dim, labels, targets, eventTimeMillis, staging -> {
            FloatBuffer x = staging.asFloatBuffer();
            for (int i = 0; i < n; i++) {
                x.put(i, table[bytes.get(from + i) & 0xFF]);
            }
        });
    }

    private StepResult train(
            int rows, int dim, int[] labels, float[] targets, long eventTimeMillis, Consumer<ByteBuffer> fillFeatures) {
        long ticks = ticks(eventTimeMillis);
        SchedulePoint point = schedule.at(ticks);
        double lr = config.learningRate().at(ticks);
        boolean frozen = !point.phase().updatesMask();
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(staged(rows * dim, fillFeatures), new Shape(rows, dim), DataType.FLOAT32);
            NDArray y = labelsOf(rows, labels, targets, scope);
            NDArray out;
            float loss;
            try (GradientScope collector = new GradientScope()) {
                out = block.forward(parameterStore, new NDList(x), true).singletonOrThrow();
                NDArray lossArray = lossOf(out, y);
                loss = lossArray.getFloat();
                if (!Float.isFinite(loss)) {
                    // rolled back before backward: no gradient exists and no weight has moved
                    return new StepResult(false, loss, 0, rows, point, lr, null);
                }
                collector.backward(lossArray);
            }
            long correct = countCorrect(out, y);
            optimizerUpdates++;
            boolean gradientsMasked = anyPruned && (frozen || !config.regrowth());
            if (gradientsMasked) {
                syncFloatMasks();
            }
            for (int p = 0; p < params.length; p++) {
                NDArray grad = params[p].getGradient();
                grad.attach(scope);
                if (gradientsMasked && p % 2 == 0) {
                    grad.muli(masks[p / 2]);
                }
                update(p, grad, (float) lr);
            }
            MaskUpdate maskUpdate = null;
            boolean due = (!frozen && steps % config.maskUpdateInterval() == 0)
                    || (frozen && point.sparsity() != lastMaskSparsity);
            // Masked gradients (and optimizer state reset at the last mask update) leave pruned
            // weights at exactly zero, so only steps that let them move need the projection.
            boolean projectionNeeded = anyPruned && !gradientsMasked;
            if (due) {
                boolean inPlace = updatesInPlace();
                maskUpdate = recomputeMask(point.sparsity());
                projectionNeeded = anyPruned && !inPlace;
            }
            if (projectionNeeded) {
                syncFloatMasks();
                for (int t = 0; t < masks.length; t++) {
                    params[prunableParams[t]].muli(masks[t]);
                }
            }
            steps++;
            samples += rows;
            return new StepResult(true, loss, correct, rows, point, lr, maskUpdate);
        }
    }

    /**
     * Evaluates the current model on {@code data} without changing it.
     *
     * @param data a held-out set whose width matches the model
     * @return loss, accuracy (classifiers) and MSE (regression)
     */
    public Evaluation evaluate(Dataset data) {
        GradientScope.off();
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.rows(); from += EVAL_CHUNK) {
            Batch batch = data.slice(from, Math.min(data.rows(), from + EVAL_CHUNK));
            checkBatch(batch.rows(), batch.dim(), batch.labels(), batch.targets());
            try (NDManager scope = manager.newSubManager()) {
                float[] features = batch.features();
                NDArray x = scope.create(
                        staged(
                                features.length,
                                staging -> staging.asFloatBuffer().put(features)),
                        new Shape(batch.rows(), batch.dim()),
                        DataType.FLOAT32);
                NDArray y = labelsOf(batch.rows(), batch.labels(), batch.targets(), scope);
                NDArray out =
                        block.forward(parameterStore, new NDList(x), false).singletonOrThrow();
                lossSum += lossOf(out, y).getFloat() * (double) batch.rows();
                correct += countCorrect(out, y);
            }
        }
        double loss = lossSum / data.rows();
        return spec.isClassifier()
                ? new Evaluation(data.rows(), loss, (double) correct / data.rows(), Double.NaN)
                : new Evaluation(data.rows(), loss, Double.NaN, loss);
    }

    /** Returns a heap copy of every parameter tensor, in {@link ModelSpec#tensorNames()} order. */
    public float[][] weights() {
        float[][] out = new float[params.length][];
        for (int p = 0; p < params.length; p++) {
            out[p] = params[p].toFloatArray();
        }
        return out;
    }

    /** Returns the shape of every parameter tensor, in {@link ModelSpec#tensorNames()} order. */
    public int[][] shapes() {
        int[][] out = new int[params.length][];
        for (int p = 0; p < params.length; p++) {
            long[] s = params[p].getShape().getShape();
            out[p] = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                out[p][i] = Math.toIntExact(s[i]);
            }
        }
        return out;
    }

    /** Returns the masks (live state: read only). */
    public MaskState masks() {
        return maskState;
    }

    /** Returns the number of accepted steps so far. */
    public long steps() {
        return steps;
    }

    /**
     * Returns the event time of the first batch, from which event-time schedules count, or {@link
     * Long#MIN_VALUE} before the first step.
     */
    public long anchor() {
        return anchor;
    }

    /** Returns the number of samples in accepted steps so far. */
    public long samples() {
        return samples;
    }

    /** Returns the configuration. */
    public TrainingConfig config() {
        return config;
    }

    /** Returns the device the model lives on. */
    public Device device() {
        return device;
    }

    /** Returns the bytes of tensor data this trainer holds in native (or GPU) memory, allocator overhead excluded. */
    public long nativeBytes() {
        long bytes = 0;
        for (NDArray a : manager.getManagedArrays()) {
            bytes += a.size() * a.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    /** Returns the number of native arrays this trainer holds (for leak checks). */
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }

    // ------------- private helpers --------------

    private long ticks(long eventTimeMillis) {
        if (anchor == Long.MIN_VALUE) {
            // the anchor is kept for every clock: streams time their snapshots from it
            anchor = eventTimeMillis;
        }
        switch (schedule.clock()) {
            case BATCHES:
                return steps;
            case SAMPLES:
                return samples;
            default:
                // late data from before the anchor counts as the anchor: schedules start at 0
                return Math.max(0, eventTimeMillis - anchor);
        }
    }

    private void load(TrainerState state) {
        checkArgument(
                state.params().length == params.length,
                "state has %s tensors, model %s has %s",
                state.params().length,
                spec,
                params.length);
        for (int p = 0; p < params.length; p++) {
            checkArgument(
                    state.params()[p].length == params[p].size(),
                    "tensor %s of the state has %s values, model %s needs %s",
                    p,
                    state.params()[p].length,
                    spec,
                    params[p].size());
            params[p].set(state.params()[p]);
            checkArgument(
                    state.optimizerState()[p].length == optimizerState[p].length,
                    "state has %s optimizer tensors per parameter, %s needs %s",
                    state.optimizerState()[p].length,
                    config.optimizer().kind(),
                    optimizerState[p].length);
            for (int s = 0; s < optimizerState[p].length; s++) {
                optimizerState[p][s].set(state.optimizerState()[p][s]);
            }
        }
        MaskState masksIn = state.masks();
        checkArgument(
                masksIn.tensorCount() == masks.length,
                "state has %s masks, model needs %s",
                masksIn.tensorCount(),
                masks.length);
        for (int t = 0; t < masks.length; t++) {
            checkArgument(
                    masksIn.size(t) == masks[t].size(),
                    "mask %s has %s entries, tensor has %s",
                    t,
                    masksIn.size(t),
                    masks[t].size());
            float[] mask = new float[masksIn.size(t)];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = masksIn.isKept(t, i) ? 1f : 0f;
            }
            masks[t].set(mask);
        }
        maskState = masksIn.copy();
        steps = state.steps();
        samples = state.samples();
        anchor = state.anchor();
        lastMaskSparsity = state.lastMaskSparsity();
        anyPruned = maskState.prunedCount() > 0;
        optimizerUpdates = state.optimizerUpdates();
        refreshViews();
    }

    private void initialise(SplittableRandom random) {
        boolean convex = spec.kind() == ModelKind.LINEAR_REGRESSION || spec.kind() == ModelKind.LOGISTIC_REGRESSION;
        for (int p = 0; p < params.length; p++) {
            Shape shape = params[p].getShape();
            float[] values = new float[Math.toIntExact(shape.size())];
            if (!convex) {
                // PyTorch's default for Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
                long fanIn = params[p - p % 2].getShape().get(1);
                double bound = 1.0 / Math.sqrt(fanIn);
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
            }
            params[p].set(values);
        }
    }

    private void refreshViews() {
        // On the CPU a direct buffer over a tensor's memory lets the pruner read weights and write
        // masks in place; elsewhere the buffers are host copies that are uploaded after writing.
        weightViews = new ByteBuffer[prunableParams.length];
        maskViews = new FloatBuffer[prunableParams.length];
        maskBytes = new ByteBuffer[prunableParams.length];
        stateViews = new ByteBuffer[prunableParams.length][];
        for (int t = 0; t < prunableParams.length; t++) {
            if (isCpu()) {
                weightViews[t] = params[prunableParams[t]].toByteBuffer(true);
                maskBytes[t] = masks[t].toByteBuffer(true);
                maskViews[t] = maskBytes[t].asFloatBuffer();
                NDArray[] state = optimizerState[prunableParams[t]];
                stateViews[t] = new ByteBuffer[state.length];
                for (int s = 0; s < state.length; s++) {
                    stateViews[t][s] = state[s].toByteBuffer(true);
                }
            } else {
                maskViews[t] = ByteBuffer.allocateDirect(Math.toIntExact(masks[t].size()) * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
            }
        }
    }

    private boolean isCpu() {
        return !device.isGpu();
    }

    private void syncFloatMasks() {
        if (floatMasksStale) {
            MagnitudePruner.writeMasks(maskState, maskBytes);
            floatMasksStale = false;
        }
    }

    private boolean updatesInPlace() {
        return isCpu() && pruner.updatesInPlace() && weightViews[0].isDirect();
    }

    private MaskUpdate recomputeMask(double sparsity) {
        if (updatesInPlace()) {
            // weights projected, optimizer state of pruned weights reset, float masks rewritten: one pass
            MaskUpdate update = pruner.updateInPlace(weightViews, stateViews, sparsity, maskState);
            floatMasksStale = true;
            lastMaskSparsity = sparsity;
            anyPruned = update.pruned() > 0;
            return update;
        }
        if (!isCpu()) {
            for (int t = 0; t < prunableParams.length; t++) {
                weightViews[t] = params[prunableParams[t]].toByteBuffer();
            }
        }
        MaskUpdate update = pruner.update(weightViews, sparsity, maskState, maskViews);
        if (!isCpu()) {
            for (int t = 0; t < masks.length; t++) {
                masks[t].set(maskViews[t]);
            }
        }
        lastMaskSparsity = sparsity;
        anyPruned = update.pruned() > 0;
        for (int t = 0; t < masks.length; t++) {
            // regrowth starts clean: a pruned weight forgets its momentum / moments
            for (NDArray state : optimizerState[prunableParams[t]]) {
                state.muli(masks[t]);
            }
        }
        return update;
    }

    private void update(int p, NDArray grad, float lr) {
        OptimizerConfig opt = config.optimizer();
        NDArray w = params[p];
        float decay = (float) opt.weightDecay();
        if (opt.kind() == OptimizerConfig.Kind.SGD) {
            NDList inputs = opt.momentum() > 0 ? new NDList(w, grad, optimizerState[p][0]) : new NDList(w, grad);
            w.getNDArrayInternal().sgdUpdate(inputs, new NDList(w), lr, decay, 1f, -1f, (float) opt.momentum(), false);
        } else {
            double c1 = 1 - Math.pow(opt.beta1(), optimizerUpdates);
            double c2 = 1 - Math.pow(opt.beta2(), optimizerUpdates);
            float corrected = (float) (lr * Math.sqrt(c2) / c1);
            w.getNDArrayInternal()
                    .adamUpdate(
                            new NDList(w, grad, optimizerState[p][0], optimizerState[p][1]),
                            new NDList(w),
                            lr,
                            corrected,
                            decay,
                            1f,
                            -1f,
                            (float) opt.beta1(),
                            (float) opt.beta2(),
                            (float) opt.epsilon(),
                            false,
                            false);
        }
    }

    private void checkBatch(int rows, int dim, int[] labels, float[] targets) {
        checkArgument(
                dim == spec.inputs(), "batch has %s features per row, model %s expects %s", dim, spec, spec.inputs());
        if (spec.isClassifier()) {
            checkArgument(
                    labels != null && labels.length == rows,
                    "model %s is a classifier and needs a label per row",
                    spec);
            int classes = spec.classes();
            for (int label : labels) {
                checkArgument(label >= 0 && label < classes, "label %s is out of range [0, %s)", label, classes);
            }
        } else {
            checkArgument(
                    targets != null && targets.length == rows,
                    "model %s is a regression and needs a target per row",
                    spec);
        }
    }

    /**
     * Returns the reused input buffer in native memory with {@code values} floats written by
     * {@code fill}: handed a heap array, DJL would allocate and zero a new direct buffer for every
     * batch.
     */
    private ByteBuffer staged(int values, Consumer<ByteBuffer> fill) {
        int bytes = 4 * values;
        if (staging == null || staging.capacity() < bytes) {
            staging = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        ByteBuffer b = staging.duplicate().order(ByteOrder.nativeOrder());
        b.clear().limit(bytes);
        fill.accept(b.slice().order(ByteOrder.nativeOrder()));
        return b;
    }

    private NDArray labelsOf(int rows, int[] labels, float[] targets, NDManager scope) {
        switch (spec.kind()) {
            case LINEAR_REGRESSION:
                return scope.create(targets, new Shape(rows, 1));
            case LOGISTIC_REGRESSION: {
                float[] y = new float[rows];
                for (int i = 0; i < y.length; i++) {
                    y[i] = labels[i];
                }
                return scope.create(y, new Shape(rows, 1));
            }
            default: {
                long[] y = new long[rows];
                for (int i = 0; i < y.length; i++) {
                    y[i] = labels[i];
                }
                return scope.create(y);
            }
        }
    }

    private NDArray lossOf(NDArray out, NDArray y) {
        if (spec.kind() == ModelKind.LINEAR_REGRESSION) {
            return out.sub(y).square().mean();
        }
        return classificationLoss.evaluate(new NDList(y), new NDList(out));
    }

    private long countCorrect(NDArray out, NDArray y) {
        switch (spec.kind()) {
            case LINEAR_REGRESSION:
                return 0;
            case LOGISTIC_REGRESSION:
                return out.gt(0f).eq(y.gt(0.5f)).countNonzero().getLong();
            default:
                return out.argMax(1).eq(y).countNonzero().getLong();
        }
    }
}
