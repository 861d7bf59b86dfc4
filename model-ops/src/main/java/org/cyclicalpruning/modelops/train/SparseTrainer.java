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
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.modelops.drift.DriftState;
import org.cyclicalpruning.modelops.drift.HoeffdingDriftDetector;
import org.cyclicalpruning.modelops.engine.GradientScope;
import org.cyclicalpruning.modelops.engine.OneDnn;
import org.cyclicalpruning.modelops.mask.MagnitudePruner;
import org.cyclicalpruning.modelops.mask.MaskState;
import org.cyclicalpruning.modelops.mask.MaskUpdate;
import org.cyclicalpruning.modelops.model.DjlBlocks;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.Optimizer;
import org.cyclicalpruning.modelops.schedule.DriftAwareSchedule;
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
    private final TrainingConfig config;
    private final ModelSpec spec;
    private final ModelLayout layout;
    private final SparsitySchedule schedule;
    private final Device device;
    private final NDManager manager;
    private final Block block;
    private final ParameterStore parameterStore;
    private final NDArray[] params;
    /** The parameters the optimizer updates: all but batch normalisation's running statistics. */
    private final NDArray[] trained;
    /** Batch normalisation's running statistics, which the training forward pass moves in place. */
    private final NDArray[] running;
    /** Where each step keeps the running statistics as they were, to put back if it is rolled back. */
    private final NDArray[] runningBefore;

    private final NDArray[][] optimizerState;
    private final Optimizer optimizer;
    private final TensorMasks masks;
    private final BatchStaging staging = new BatchStaging();
    private final Objective objective;
    private final Evaluator evaluator;
    private long steps;
    private long samples;
    private long anchor = Long.MIN_VALUE;
    /** The declared schedule when it restarts on drift, else null. */
    private final DriftAwareSchedule driftAware;
    /** Its detector, else null. */
    private final HoeffdingDriftDetector detector;

    private DriftState drift = DriftState.NONE;
    /** Where the schedule stands after the detections so far: the declared one until the first. */
    private SparsitySchedule current;

    /**
     * Steps whose gradient norm (of any one tensor) is larger, or not a number, are rolled back: no
     * sane step comes near it, and one that passed would leave weights that only produce
     * non-finite losses from then on.
     */
    public static final float MAX_GRADIENT_NORM = 1e18f;

    private long optimizerUpdates;
    /** The step on kept weights only, while the mask holds; empty where the model cannot take it. */
    private final Optional<SparseHoldStep> holdStep;

    private double sparseHoldMaxDensity = defaultSparseHoldMaxDensity();
    private long sparseStepsTaken;
    private final InputScaling scaling;
    private final InputStandardization givenScale;
    private InputStats inputStats = InputStats.EMPTY;

    private SparseTrainer(TrainingConfig config, NDManager parent) {
        this.config = config;
        this.spec = config.model();
        this.layout = spec.layout();
        this.schedule = config.schedule();
        this.current = schedule;
        this.driftAware = schedule instanceof DriftAwareSchedule d ? d : null;
        this.detector = driftAware == null ? null : new HoeffdingDriftDetector(driftAware.alpha());
        this.scaling = config.inputScaling();
        this.givenScale = scaling.mode() == InputScaling.Mode.GIVEN
                ? new InputStandardization(scaling.mean(), scaling.std())
                : null;
        this.device = config.device().resolve();
        if (spec.isConvolutional() && !device.isGpu()) {
            OneDnn.warnIfUncapped();
        }
        this.manager = parent == null ? NDManager.newBaseManager(device) : parent.newSubManager(device);
        try {
            this.block = DjlBlocks.of(spec);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, spec.inputs()));
            List<Parameter> parameters = block.getParameters().values();
            this.params = new NDArray[parameters.size()];
            for (int p = 0; p < params.length; p++) {
                params[p] = parameters.get(p).getArray();
            }
            this.trained = tensorsWhere(true);
            this.running = tensorsWhere(false);
            this.runningBefore = Arrays.stream(running).map(NDArray::duplicate).toArray(NDArray[]::new);
            this.parameterStore = new ParameterStore(manager, false);
            initialise(new SplittableRandom(config.seed()));
            this.optimizer = config.optimizer().create();
            this.optimizerState = new NDArray[params.length][optimizer.stateTensors()];
            for (int p = 0; p < params.length; p++) {
                for (int s = 0; s < optimizerState[p].length; s++) {
                    optimizerState[p][s] = manager.zeros(params[p].getShape());
                }
            }
            MagnitudePruner pruner = new MagnitudePruner(
                    config.pruningMode(),
                    layout.prunableSizes(),
                    layout.prunableFanIns(),
                    layout.prunableGroupStrides());
            this.masks = new TensorMasks(!device.isGpu(), layout, params, optimizerState, optimizer, pruner, manager);
            this.holdStep = device.isGpu()
                    ? Optional.empty()
                    : SparseHoldStep.of(spec, layout, params, optimizerState, optimizer);
            this.objective = new Objective(spec);
            this.evaluator = new Evaluator(spec, block, parameterStore, manager, staging, objective);
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

    /** Returns the configuration. */
    public TrainingConfig config() {
        return config;
    }

    /** Returns the device the model lives on. */
    public Device device() {
        return device;
    }

    /**
     * Starts the model from trained weights instead of its random initialisation: a model that
     * arrives trained, which pruning then thins out. Only before the first step; the masks start
     * dense and the optimizer state at zero.
     *
     * @param weights every parameter tensor, in {@link ModelLayout} order
     * @throws IllegalStateException after the first step
     * @throws IllegalArgumentException if a tensor does not fit the model
     */
    public void loadWeights(float[][] weights) {
        org.cyclicalpruning.modelops.util.Checks.checkState(
                steps == 0, "weights can be loaded before the first step only; %s steps were taken", steps);
        checkArgument(
                weights.length == params.length,
                "got %s tensors, model %s has %s",
                weights.length,
                spec,
                params.length);
        for (int p = 0; p < params.length; p++) {
            checkArgument(
                    weights[p].length == params[p].size(),
                    "tensor %s has %s values, %s needs %s",
                    layout.tensor(p).name(),
                    weights[p].length,
                    spec,
                    params[p].size());
            for (float v : weights[p]) {
                checkArgument(
                        Float.isFinite(v),
                        "tensor %s holds %s",
                        layout.tensor(p).name(),
                        v);
            }
        }
        for (int p = 0; p < params.length; p++) {
            params[p].set(weights[p]);
        }
        // set() gives the tensors new memory: views of the old would write into freed memory
        masks.refreshViews();
        holdStep.ifPresent(SparseHoldStep::refreshViews);
    }

    /**
     * Copies weights, masks, optimizer state and counters to the heap. Costs one copy of the
     * model and its optimizer state, so call it when state must be durable (a checkpoint), not
     * per step.
     *
     * @return the state, independent of this trainer
     */
    public TrainerState exportState() {
        float[][][] optimizerCopy = new float[params.length][][];
        for (int p = 0; p < params.length; p++) {
            optimizerCopy[p] = new float[optimizerState[p].length][];
            for (int s = 0; s < optimizerCopy[p].length; s++) {
                optimizerCopy[p][s] = optimizerState[p][s].toFloatArray();
            }
        }
        return new TrainerState(
                weights(),
                optimizerCopy,
                masks.state().copy(),
                steps,
                samples,
                anchor,
                masks.lastSparsity(),
                optimizerUpdates,
                inputStats,
                drift);
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
        objective.checkBatch(batch.rows(), batch.dim(), batch.labels(), batch.targets());
        ByteBuffer x = staging.floats(batch.features());
        InputStats seen = standardize(x, batch.features().length);
        return train(batch.rows(), batch.dim(), batch.labels(), batch.targets(), eventTimeMillis, x, seen);
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
        objective.checkBatch(rows, dim, labels, targets);
        ByteBuffer x = staging.packed(packedFeatures, rows * dim);
        InputStats seen = standardize(x, rows * dim);
        return train(rows, dim, labels, targets, eventTimeMillis, x, seen);
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
        objective.checkBatch(rows, dim, labels, targets);
        InputStats seen = inputStats;
        if (scaling.mode() == InputScaling.Mode.ONLINE) {
            double[] sums = BatchStaging.byteSums(bytes, divisor, rows * dim);
            seen = inputStats.plus((long) rows * dim, sums[0], sums[1]);
        }
        // the standardisation goes into the byte table: no extra pass over the features
        ByteBuffer x = staging.uint8(bytes, divisor, scaleOf(seen), rows * dim);
        return train(rows, dim, labels, targets, eventTimeMillis, x, seen);
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

    /**
     * Returns the schedule as it stands: the declared one, or for a drift-aware schedule the one its
     * detections have restarted. Its milestones are where the model is worth publishing.
     */
    public SparsitySchedule schedule() {
        return current;
    }

    /** Returns what the model remembers of its drift detections ({@link DriftState#NONE} unless drift-aware). */
    public DriftState drift() {
        return drift;
    }

    /**
     * Returns the drift detector's statistic: how far the error has risen above its best, in units
     * of the detection bound (1 or more fires); 0 when the schedule is not drift-aware or the
     * detector is not armed.
     */
    public double driftStatistic() {
        return detector == null ? 0 : detector.statistic(drift.detector());
    }

    /** Returns the number of samples in accepted steps so far. */
    public long samples() {
        return samples;
    }

    private StepResult train(
            int rows,
            int dim,
            int[] labels,
            float[] targets,
            long eventTimeMillis,
            ByteBuffer features,
            InputStats seen) {
        long stepAnchor = anchor == Long.MIN_VALUE ? eventTimeMillis : anchor;
        long ticks = ticks(eventTimeMillis, stepAnchor);
        SchedulePoint point = current.at(ticks);
        double lr = config.learningRate().at(ticks);
        boolean frozen = !point.phase().updatesMask();
        if (frozen && masks.anyPruned() && point.sparsity() == masks.lastSparsity()) {
            Optional<StepResult> held = holdStep(rows, labels, targets, eventTimeMillis, features, seen, point, lr);
            if (held.isPresent()) {
                return held.get();
            }
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(features, new Shape(rows, dim), DataType.FLOAT32);
            NDArray y = objective.labels(rows, labels, targets, scope);
            for (int r = 0; r < running.length; r++) {
                running[r].copyTo(runningBefore[r]);
            }
            NDArray out;
            float loss;
            try (GradientScope gradients = new GradientScope()) {
                out = block.forward(parameterStore, new NDList(x), true).singletonOrThrow();
                NDArray lossArray = objective.loss(out, y);
                loss = lossArray.getFloat();
                if (!Float.isFinite(loss)) {
                    // rolled back before backward: no gradient exists and no weight has moved
                    restoreRunning();
                    return new StepResult(StepResult.Outcome.NON_FINITE_LOSS, loss, 0, rows, point, lr, null, false);
                }
                gradients.backward(lossArray);
            }
            NDArray[] grads = new NDArray[trained.length];
            for (int t = 0; t < trained.length; t++) {
                grads[t] = trained[t].getGradient();
                grads[t].attach(scope);
            }
            if (!finite(grads)) {
                // a finite loss can still come with an overflowing gradient (extreme but finite inputs);
                // applied, it would wreck the weights for good and publish them
                GradientScope.zeroGradients(trained);
                restoreRunning();
                return new StepResult(StepResult.Outcome.NON_FINITE_GRADIENT, loss, 0, rows, point, lr, null, false);
            }
            long correct = objective.correct(out, y);
            optimizerUpdates++;
            boolean gradientsMasked = masks.anyPruned() && (frozen || !config.regrowth());
            if (gradientsMasked) {
                masks.syncFloatMasks();
            }
            for (int p = 0, t = 0; p < params.length; p++) {
                if (!layout.tensor(p).trainable()) {
                    continue;
                }
                NDArray grad = grads[t++];
                int mask = layout.maskIndex(p);
                if (gradientsMasked && mask >= 0) {
                    masks.maskGradient(mask, grad);
                }
                optimizer.update(params[p], grad, optimizerState[p], (float) lr, optimizerUpdates);
            }
            MaskUpdate maskUpdate = null;
            boolean due = (!frozen && (steps % config.maskUpdateInterval() == 0 || drift.maskDue()))
                    || (frozen && point.sparsity() != masks.lastSparsity());
            // Masked gradients (and optimizer state reset at the last mask update) leave pruned
            // weights at exactly zero, so only steps that let them move need the projection.
            boolean projectionNeeded = masks.anyPruned() && !gradientsMasked;
            if (due) {
                boolean inPlace = masks.updatesInPlace();
                maskUpdate = masks.recompute(point.sparsity());
                projectionNeeded = masks.anyPruned() && !inPlace;
            }
            if (projectionNeeded) {
                masks.project();
            }
            if (due && !frozen) {
                drift = drift.maskUpdated();
            }
            boolean detected = driftAware != null && watchDrift(ticks, frozen, loss, correct, rows, eventTimeMillis);
            steps++;
            samples += rows;
            inputStats = seen;
            anchor = stepAnchor;
            return new StepResult(StepResult.Outcome.TRAINED, loss, correct, rows, point, lr, maskUpdate, detected);
        }
    }

    /**
     * Takes the step on kept weights only, where the model can and it pays: while the mask holds,
     * its result is the dense step's (pruned weights get no gradient and stay zero either way).
     * Empty when the dense step must run instead.
     */
    private Optional<StepResult> holdStep(
            int rows,
            int[] labels,
            float[] targets,
            long eventTimeMillis,
            ByteBuffer features,
            InputStats seen,
            SchedulePoint point,
            double lr) {
        if (holdStep.isEmpty() || !holdStep.get().pays(masks.state(), masks.version(), sparseHoldMaxDensity)) {
            return Optional.empty();
        }
        SparseHoldStep step = holdStep.get();
        SparseHoldStep.Outcome outcome = step.step(
                features,
                rows,
                labels,
                targets,
                masks.state(),
                masks.version(),
                (float) lr,
                optimizerUpdates + 1,
                MAX_GRADIENT_NORM);
        switch (outcome) {
            case NON_FINITE_LOSS:
                return Optional.of(new StepResult(
                        StepResult.Outcome.NON_FINITE_LOSS, step.loss(), 0, rows, point, lr, null, false));
            case DECLINED:
                return Optional.empty();
            default:
                optimizerUpdates++;
                sparseStepsTaken++;
                long ticks = ticks(eventTimeMillis, anchor == Long.MIN_VALUE ? eventTimeMillis : anchor);
                boolean detected = driftAware != null
                        && watchDrift(ticks, true, step.loss(), step.correct(), rows, eventTimeMillis);
                steps++;
                samples += rows;
                inputStats = seen;
                anchor = anchor == Long.MIN_VALUE ? eventTimeMillis : anchor;
                return Optional.of(new StepResult(
                        StepResult.Outcome.TRAINED, step.loss(), step.correct(), rows, point, lr, null, detected));
        }
    }

    /**
     * Sets the kept fraction of a layer above which steps while the mask holds take the dense masked
     * step rather than the step on kept weights only: by default the measured crossover, 0 for the
     * dense step always, 1 for the sparse one whenever the model allows it; for benchmarks and tests
     * that compare the two. Either gives the same weights, up to the order of float additions.
     *
     * @param maxDensity from 0 to 1
     */
    public void setSparseHoldMaxDensity(double maxDensity) {
        checkArgument(maxDensity >= 0 && maxDensity <= 1, "a density is from 0 to 1, got %s", maxDensity);
        this.sparseHoldMaxDensity = maxDensity;
    }

    /**
     * The system property that sets the kept fraction above which steps while the mask holds stay
     * dense (see {@link #setSparseHoldMaxDensity}): 0 turns the sparse hold step off in a whole
     * TaskManager, for a comparison or if it is ever in doubt.
     */
    public static final String SPARSE_HOLD_MAX_DENSITY_PROPERTY = "cyclicalpruning.sparse-hold-max-density";

    private static double defaultSparseHoldMaxDensity() {
        String value = System.getProperty(SPARSE_HOLD_MAX_DENSITY_PROPERTY);
        if (value == null) {
            return SparseHoldStep.MAX_DENSITY;
        }
        try {
            double d = Double.parseDouble(value.trim());
            checkArgument(d >= 0 && d <= 1, "not from 0 to 1");
            return d;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(String.format(
                    "system property %s must be a density from 0 to 1, got '%s'",
                    SPARSE_HOLD_MAX_DENSITY_PROPERTY, value));
        }
    }

    /** Returns how many steps ran on kept weights only, for tests and benchmarks. */
    public long sparseHoldStepsTaken() {
        return sparseStepsTaken;
    }

    /**
     * Evaluates the current model on {@code data} without changing it.
     *
     * @param data a held-out set whose width matches the model
     * @return loss, accuracy (classifiers) and MSE (regression)
     */
    public Evaluation evaluate(Dataset data) {
        return evaluator.evaluate(data, scaleOf(inputStats));
    }

    /**
     * Returns the standardisation the model applies to its features now, which a snapshot must
     * carry; empty if it takes them as they are.
     */
    public Optional<InputStandardization> inputStandardization() {
        return Optional.ofNullable(scaleOf(inputStats));
    }

    /** Returns a heap copy of every parameter tensor, in {@link ModelLayout} order. */
    public float[][] weights() {
        float[][] out = new float[params.length][];
        for (int p = 0; p < params.length; p++) {
            out[p] = params[p].toFloatArray();
        }
        return out;
    }

    /** Returns the shape of every parameter tensor, in {@link ModelLayout} order. */
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
        return masks.state();
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

    /**
     * Standardises staged features in place, and returns the input statistics with them included
     * (kept only if the step is accepted).
     */
    private InputStats standardize(ByteBuffer x, int values) {
        InputStats seen = inputStats;
        if (scaling.mode() == InputScaling.Mode.ONLINE) {
            double[] sums = staging.sums(x, values);
            seen = inputStats.plus(values, sums[0], sums[1]);
        }
        InputStandardization scale = scaleOf(seen);
        if (scale != null) {
            staging.standardize(x, values, scale);
        }
        return seen;
    }

    /** Returns the standardisation given these statistics, or null for none. */
    private InputStandardization scaleOf(InputStats stats) {
        switch (scaling.mode()) {
            case GIVEN:
                return givenScale;
            case ONLINE:
                return new InputStandardization((float) stats.mean(), (float) stats.std());
            default:
                return null;
        }
    }

    /**
     * Returns the schedule's clock for a step at {@code eventTimeMillis}. The anchor (the first
     * accepted step's event time) is kept for every clock: streams time their snapshots from it.
     */
    private long ticks(long eventTimeMillis, long stepAnchor) {
        switch (schedule.clock()) {
            case BATCHES:
                return steps;
            case SAMPLES:
                return samples;
            default:
                // late data from before the anchor counts as the anchor: schedules start at 0;
                // saturating, so that no pair of timestamps can overflow into the past
                long elapsed = eventTimeMillis - stepAnchor;
                boolean overflowed = ((eventTimeMillis ^ stepAnchor) & (eventTimeMillis ^ elapsed)) < 0;
                return overflowed ? (eventTimeMillis < 0 ? 0 : Long.MAX_VALUE) : Math.max(0, elapsed);
        }
    }

    /**
     * Feeds the detector the step's prequential error while the mask is held, and on a detection
     * starts a cycle at {@code ticks}. A classifier's examples count one by one (0 or 1 each, as
     * the detector's bounds assume); a regression's batch counts once, its loss scaled into [0, 1]
     * by the loss of the first batch the armed detector saw, a fixed monotone map for as long as it
     * stays armed.
     *
     * @return whether the model's error rose: the next step starts a new cycle
     */
    private boolean watchDrift(long ticks, boolean frozen, float loss, long correct, int rows, long eventTimeMillis) {
        if (!frozen || ticks < driftAware.armedFrom(drift)) {
            drift = drift.disarmed();
            return false;
        }
        HoeffdingDriftDetector.Result r;
        double reference = drift.reference();
        if (spec.isClassifier()) {
            r = detector.add(drift.detector(), rows - correct, rows);
        } else {
            reference = reference == 0 ? Math.max(loss, Float.MIN_NORMAL) : reference;
            r = detector.add(drift.detector(), loss / (loss + reference), 1);
        }
        if (!r.drift()) {
            drift = drift.with(r.state(), reference);
            return false;
        }
        drift = drift.detected(ticks, eventTimeMillis);
        current = driftAware.restarted(drift);
        return true;
    }

    /** Returns the parameters that are trained ({@code true}) or that are not. */
    private NDArray[] tensorsWhere(boolean trainable) {
        return IntStream.range(0, params.length)
                .filter(p -> layout.tensor(p).trainable() == trainable)
                .mapToObj(p -> params[p])
                .toArray(NDArray[]::new);
    }

    /** Puts back the running statistics a rolled-back step's forward pass moved. */
    private void restoreRunning() {
        for (int r = 0; r < running.length; r++) {
            runningBefore[r].copyTo(running[r]);
        }
    }

    /** Returns true if every gradient's norm is at most {@link #MAX_GRADIENT_NORM} (so none is NaN). */
    private static boolean finite(NDArray[] grads) {
        for (NDArray grad : grads) {
            // one reduction per tensor, no temporary: cheap beside the step
            if (!(grad.norm().getFloat() <= MAX_GRADIENT_NORM)) {
                return false;
            }
        }
        return true;
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
                masksIn.tensorCount() == masks.count(),
                "state has %s masks, model needs %s",
                masksIn.tensorCount(),
                masks.count());
        for (int t = 0; t < masks.count(); t++) {
            checkArgument(
                    masksIn.size(t) == masks.size(t),
                    "mask %s has %s entries, tensor has %s",
                    t,
                    masksIn.size(t),
                    masks.size(t));
        }
        masks.load(masksIn, state.lastMaskSparsity());
        // set() gave the tensors new memory: views of the old would write into freed memory
        holdStep.ifPresent(SparseHoldStep::refreshViews);
        steps = state.steps();
        samples = state.samples();
        anchor = state.anchor();
        optimizerUpdates = state.optimizerUpdates();
        inputStats = state.inputStats();
        // a schedule declared without on-drift=restart since the state was written forgets its detections
        drift = driftAware == null ? DriftState.NONE : state.drift();
        current = driftAware == null ? schedule : driftAware.restarted(drift);
    }

    /**
     * PyTorch's defaults: weight and bias of {@code Linear} and {@code Conv2d} from
     * U(-1/sqrt(fan_in), 1/sqrt(fan_in)); batch normalisation's scale and running variance 1, its
     * shift and running mean 0.
     */
    private void initialise(SplittableRandom random) {
        boolean convex = spec.kind() == ModelKind.LINEAR_REGRESSION || spec.kind() == ModelKind.LOGISTIC_REGRESSION;
        for (int p = 0; p < params.length; p++) {
            float[] values = new float[Math.toIntExact(params[p].getShape().size())];
            switch (layout.tensor(p).role()) {
                case NORM_SCALE, RUNNING_VAR -> Arrays.fill(values, 1f);
                case NORM_SHIFT, RUNNING_MEAN -> Arrays.fill(values, 0f);
                case WEIGHT, BIAS -> {
                    if (!convex) {
                        double bound = 1.0 / Math.sqrt(layout.tensor(p).fanIn());
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                        }
                    }
                }
            }
            params[p].set(values);
        }
    }
}
