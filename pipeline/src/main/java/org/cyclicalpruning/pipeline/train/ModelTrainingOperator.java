package org.cyclicalpruning.pipeline.train;

import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.cyclicalpruning.modelops.drift.DriftState;
import org.cyclicalpruning.modelops.engine.IntraOpThreads;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.schedule.Clock;
import org.cyclicalpruning.modelops.schedule.DriftAwareSchedule;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.StepResult;
import org.cyclicalpruning.pipeline.config.ModelDefinition;
import org.cyclicalpruning.pipeline.config.ModelRegistry;
import org.cyclicalpruning.pipeline.config.TrainingSettings;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.pipeline.validate.DeadLetterRouter.DeadLetterCounters;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.pipeline.validate.ValidBatch;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.DriftStatus;
import org.cyclicalpruning.schemas.ModelState;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains every model of its key group, one batch at a time, and emits a {@link
 * SparseModelSnapshot} at every snapshot boundary of the model's event time: the end of each
 * cycle of its schedule, every {@code snapshot-interval}, and at the end of a bounded input.
 *
 * <p><b>Hot models, complete checkpoints.</b> A model lives in native memory between batches
 * (copying it in and out of the JVM heap per batch would cost more than the step); its keyed
 * {@link ModelState} is written only in {@link #prepareSnapshotPreBarrier}, before the checkpoint
 * barrier leaves this operator, so every checkpoint holds every model as of the barrier. After a
 * restore the cache is empty and models are reloaded from state on their next batch or timer.
 *
 * <p><b>Deterministic snapshots.</b> A boundary's snapshot holds the model after every batch with
 * an event time before the boundary. It is emitted by whichever comes first: the model's first
 * batch at or after the boundary, or the watermark passing it (an event-time timer, for models
 * whose stream went quiet). Both give the same snapshot, so a replay after a failure emits the
 * same versions with the same contents. The schedule's clock never runs backwards: a late batch
 * trains at the latest event time seen.
 *
 * <p><b>No batch fails the task.</b> A batch whose step is refused (a non-finite loss, gradients
 * out of range), that would create a model beyond {@code limits.max-models}, or on which training
 * throws, goes to {@link DeadLetters#TAG} with its cause; the model is as it was before it.
 *
 * <p><b>Declarations may change across a restore.</b> A restored model trains under the declaration
 * in force now (learning rate, schedule, regrowth, ...; the differences are logged), keeping its
 * weights, masks and optimizer state; one whose architecture or optimizer changed, which its state
 * cannot carry over to, fails the job at start, naming the model and both declarations.
 */
public final class ModelTrainingOperator extends AbstractStreamOperator<SparseModelSnapshot>
        implements OneInputStreamOperator<ValidBatch, SparseModelSnapshot>, Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelTrainingOperator.class);
    private static final String STATE_NAME = "model";

    /** Metric (counter): nanoseconds spent inside training steps, per subtask. */
    public static final String TRAINING_TIME_NANOS = "trainingTimeNanos";
    /** Metric (gauge): nanoseconds from the start of the subtask's first step to the end of its latest. */
    public static final String TRAINING_SPAN_NANOS = "trainingSpanNanos";
    /** Metric (counter): nanoseconds spent writing hot models to keyed state before checkpoint barriers. */
    public static final String STATE_FLUSH_TIME_NANOS = "stateFlushTimeNanos";
    /** Metric (counter): models written to keyed state before checkpoint barriers. */
    public static final String STATE_FLUSHES = "stateFlushes";

    private final TrainingSettings settings;
    private final ModelRegistry models;

    /**
     * Creates the operator.
     *
     * @param settings what it needs of the job's configuration besides the models
     * @param models the models it may train
     */
    public ModelTrainingOperator(TrainingSettings settings, ModelRegistry models) {
        this.settings = settings;
        this.models = models;
    }

    private transient ValueState<ModelState> state;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient NDManager root;
    private transient LinkedHashMap<String, HotModel> hot;
    private transient Map<String, ModelMetrics> metrics;
    private transient SnapshotBoundaries boundaries;
    private transient Counter trainingNanos;
    private transient Counter stateFlushNanos;
    private transient Counter stateFlushes;
    private transient long firstStepNanos;
    private transient long lastStepNanos;
    private transient DeadLetterCounters deadLetters;
    /** Models of this subtask that the default declaration created. */
    private transient int defaultModels;

    @Override
    public void open() throws Exception {
        super.open();
        ClassLoader jobLoader = getRuntimeContext().getUserCodeClassLoader();
        getRuntimeContext()
                .registerUserCodeClassLoaderReleaseHookIfAbsent(
                        "cyclical-pruning-unpin-threads", () -> UnpinThreads.run(jobLoader));
        state = getRuntimeContext()
                .getState(new ValueStateDescriptor<>(STATE_NAME, new AvroTypeInfo<>(ModelState.class)));
        timers = getInternalTimerService("snapshot-boundaries", VoidNamespaceSerializer.INSTANCE, this);
        root = NDManager.newBaseManager();
        if (settings.intraOpThreads() > 0) {
            // process-wide: every model in this TaskManager; leaves cores to Kafka, decoding and
            // Flink's network threads, which a parallel region would otherwise wait for
            IntraOpThreads.set(settings.intraOpThreads());
        }
        hot = new LinkedHashMap<>(16, 0.75f, true);
        metrics = new HashMap<>();
        boundaries = new SnapshotBoundaries(settings.snapshotInterval());
        MetricGroup group = getMetricGroup();
        trainingNanos = group.counter(TRAINING_TIME_NANOS);
        group.gauge(TRAINING_SPAN_NANOS, (Gauge<Long>) () -> lastStepNanos - firstStepNanos);
        stateFlushNanos = group.counter(STATE_FLUSH_TIME_NANOS);
        stateFlushes = group.counter(STATE_FLUSHES);
        deadLetters = new DeadLetterCounters(group);
        checkRestoredModels();
    }

    /**
     * Goes over the models restored into this subtask: fails the job, without restarts, if a
     * model's architecture or optimizer changed; logs what else changed; counts the models the
     * default declaration created, for {@code limits.max-models}.
     */
    private void checkRestoredModels() throws Exception {
        List<String> ids;
        try (Stream<String> keys = this.<String>getKeyedStateBackend().getKeys(STATE_NAME, VoidNamespace.INSTANCE)) {
            ids = keys.collect(Collectors.toList());
        }
        List<String> incompatible = new ArrayList<>();
        for (String id : ids) {
            setCurrentKey(id);
            ModelState stored = state.value();
            if (stored == null) {
                continue;
            }
            if (!models.isDeclared(id)) {
                defaultModels++;
            }
            Optional<ModelDefinition> now = models.lookup(id);
            if (now.isEmpty()) {
                LOG.warn(
                        "model '{}' has state but is no longer declared and no default-model is configured: its"
                                + " batches are dead-lettered (UNKNOWN_MODEL) and its state is kept",
                        id);
                continue;
            }
            DeclarationChange change =
                    DeclarationChange.of(stored.getDeclaration(), now.get().declaration());
            change.incompatibility().ifPresent(incompatible::add);
            change.logged()
                    .ifPresent(text -> LOG.info("model '{}' restored under a changed declaration: {}", id, text));
        }
        if (!incompatible.isEmpty()) {
            throw new SuppressRestartsException(new IllegalStateException("the state of " + incompatible.size()
                    + " model(s) cannot train under the new configuration"
                    + " (give such a model a new id, or start without its state): "
                    + String.join("; ", incompatible.subList(0, Math.min(10, incompatible.size())))));
        }
    }

    @Override
    public void processElement(StreamRecord<ValidBatch> element) throws Exception {
        ValidBatch b = element.getValue();
        try {
            train(b);
        } catch (RuntimeException e) {
            // a batch that makes training throw must not fail the task: it is kept as a dead letter,
            // and the model goes on from where it was
            LOG.warn("training model '{}' failed on {}/{}@{}", b.modelId, b.topic, b.partition, b.offset, e);
            deadLetter(b, DeadLetterCause.INTERNAL_ERROR, "training failed on this batch: " + e);
        }
    }

    private void train(ValidBatch b) throws Exception {
        Optional<HotModel> found = hotModel(b.modelId, true);
        if (found.isEmpty()) {
            if (models.lookup(b.modelId).isEmpty()) {
                // declared when validated, gone now (the config changed under a restore): keep the batch
                deadLetter(b, DeadLetterCause.UNKNOWN_MODEL, "model '" + b.modelId + "' is no longer declared");
            } else {
                deadLetter(
                        b,
                        DeadLetterCause.TOO_MANY_MODELS,
                        "the default model would create more than limits.max-models " + settings.maxModels()
                                + " models (" + settings.maxModelsPerSubtask() + " per subtask)");
            }
            return;
        }
        HotModel m = found.get();
        long t = Math.max(b.eventTime, m.maxEventTime);
        SparseTrainer trainer = m.trainer;
        // A batch past the next boundary publishes the model as it was before it, as the timer
        // would; taken now, published only once the batch has trained, so that a batch refused
        // below (its loss or gradient not finite) changes nothing. As the timer does, a boundary no
        // batch trained before publishes nothing: a replay, whichever of the two reaches the
        // boundary first, publishes the same snapshots.
        boolean crossing = trainer.steps() > 0 && t >= m.nextSnapshotAt;
        SparseModelSnapshot due = crossing && m.interval.steps > 0 ? snapshotAt(m, m.nextSnapshotAt) : null;
        long began = System.nanoTime();
        if (firstStepNanos == 0) {
            firstStepNanos = began;
        }
        // the packed bytes go straight into native memory: no float[] copy on the way
        StepResult r = b.uint8Divisor != 0
                ? trainer.stepUint8(ByteBuffer.wrap(b.features), b.uint8Divisor, b.rows, b.dim, b.labels, b.targets, t)
                : trainer.step(ByteBuffer.wrap(b.features), b.rows, b.dim, b.labels, b.targets, t);
        lastStepNanos = System.nanoTime();
        trainingNanos.inc(lastStepNanos - began);
        ModelMetrics mm = metrics(b.modelId);
        if (!r.accepted()) {
            m.rejected++;
            m.dirty = true;
            mm.rejected();
            if (r.outcome() == StepResult.Outcome.NON_FINITE_LOSS) {
                deadLetter(b, DeadLetterCause.NON_FINITE_LOSS, "loss was " + r.loss() + "; the update was rolled back");
            } else {
                deadLetter(
                        b,
                        DeadLetterCause.NON_FINITE_UPDATE,
                        "a gradient's norm was not finite or beyond " + SparseTrainer.MAX_GRADIENT_NORM + " (loss "
                                + r.loss() + "); the update was rolled back");
            }
            return;
        }
        if (crossing) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, m.nextSnapshotAt);
            if (due != null) {
                publish(m, due);
            }
            schedule(m, t);
        }
        if (trainer.steps() == 1) {
            schedule(m, t);
        }
        if (r.driftDetected()) {
            // the detection's cycle ends its ramp at a milestone of its own: the next boundary moves
            schedule(m, t);
            LOG.info(
                    "model '{}': drift detected at event time {} (detection {}); a new cycle starts there, its"
                            + " ramp ends at event time {}",
                    b.modelId,
                    t,
                    trainer.drift().detections(),
                    m.nextSnapshotAt);
        }
        m.interval.add(r.loss(), r.correct(), b.rows);
        m.point = r.point();
        if (r.maskUpdate() != null) {
            m.churn = r.maskUpdate().churn();
        }
        m.maxEventTime = t;
        m.dirty = true;
        mm.stepped(r, m, trainer);
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        Optional<HotModel> found = hotModel(timer.getKey(), false);
        if (found.isEmpty() || timer.getTimestamp() != found.get().nextSnapshotAt) {
            return; // superseded: a batch crossed this boundary first
        }
        HotModel m = found.get();
        long watermark = timers.currentWatermark();
        if (m.interval.steps > 0 && m.nextSnapshotAt != Long.MAX_VALUE) {
            emit(m, m.nextSnapshotAt);
        }
        if (watermark == Long.MAX_VALUE) {
            // end of a bounded input: publish what was trained since the last boundary, and stop
            if (m.interval.steps > 0) {
                emit(m, Long.MAX_VALUE);
            }
            m.nextSnapshotAt = Long.MIN_VALUE;
            m.dirty = true;
            return;
        }
        // boundaries the watermark has already passed saw no batch: skip them in one go
        schedule(m, Math.max(timer.getTimestamp(), watermark));
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // no processing-time timers: schedules and snapshots follow event time only
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        Object current = getCurrentKey();
        for (Map.Entry<String, HotModel> e : hot.entrySet()) {
            flush(e.getKey(), e.getValue());
        }
        if (current != null) {
            setCurrentKey(current);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            // a task cancelled while it initialises is closed without open() having run to the
            // end: an exception here would be one in Flink's cancellation, which kills the TaskManager
            if (hot != null) {
                for (HotModel m : hot.values()) {
                    m.close();
                }
                hot.clear();
            }
            if (root != null) {
                root.close();
            }
        } finally {
            super.close();
        }
    }

    /** Returns how many of this subtask's models have metrics of their own (for tests). */
    int modelsWithMetrics() {
        return (int) metrics.values().stream().filter(m -> m.registered).count();
    }

    /** Returns how many models this subtask keeps hot (for tests and metrics). */
    int hotModelCount() {
        return hot.size();
    }

    private void flush(String modelId, HotModel m) throws Exception {
        if (m.dirty) {
            long began = System.nanoTime();
            setCurrentKey(modelId);
            state.update(m.toState());
            m.dirty = false;
            stateFlushNanos.inc(System.nanoTime() - began);
            stateFlushes.inc();
        }
    }

    /**
     * Returns the model of the current key, loading it from state or, if {@code mayCreate},
     * creating it; empty if it is unknown, or if creating it would exceed {@code limits.max-models}.
     */
    private Optional<HotModel> hotModel(String modelId, boolean mayCreate) throws Exception {
        HotModel m = hot.get(modelId);
        if (m != null) {
            return Optional.of(m);
        }
        ModelState stored = state.value();
        if (stored != null) {
            // the declaration in force now, checked at start against the stored one; the stored one
            // for a model no longer declared (its timers still publish what it trained)
            ModelDefinition definition =
                    models.lookup(modelId).orElseGet(() -> ModelDefinition.of(stored.getDeclaration()));
            m = HotModel.restore(stored, definition, settings.device(), root);
            if (!definition.declaration().equals(stored.getDeclaration()) && m.trainer.steps() > 0) {
                // the schedule may have changed: its next boundary is the new schedule's
                schedule(m, m.maxEventTime);
            }
        } else {
            Optional<ModelDefinition> d = models.lookup(modelId);
            if (d.isEmpty() || !mayCreate) {
                return Optional.empty();
            }
            boolean fromDefault = !models.isDeclared(modelId);
            if (fromDefault && defaultModels >= settings.maxModelsPerSubtask()) {
                return Optional.empty();
            }
            m = HotModel.create(d.get(), settings.device(), settings.lineage(), root);
            if (fromDefault) {
                defaultModels++;
            }
        }
        evictFor(modelId);
        hot.put(modelId, m);
        return Optional.of(m);
    }

    private void evictFor(String modelId) throws Exception {
        if (hot.size() < settings.hotModels()) {
            return;
        }
        Iterator<Map.Entry<String, HotModel>> it = hot.entrySet().iterator();
        Map.Entry<String, HotModel> eldest = it.next();
        flush(eldest.getKey(), eldest.getValue());
        setCurrentKey(modelId);
        eldest.getValue().close();
        it.remove();
    }

    /** Sets the model's next boundary to the first one after {@code after} and arms its timer. */
    private void schedule(HotModel m, long after) {
        m.nextSnapshotAt = boundaries.next(m.trainer.schedule(), m.trainer.anchor(), after);
        m.dirty = true;
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, m.nextSnapshotAt);
    }

    private void emit(HotModel m, long boundary) {
        publish(m, snapshotAt(m, boundary));
    }

    /** Returns the model as it stands, as the snapshot of {@code boundary}, without publishing it. */
    private SparseModelSnapshot snapshotAt(HotModel m, long boundary) {
        SparseTrainer trainer = m.trainer;
        ModelSpec spec = trainer.config().model();
        long eventTime = boundary == Long.MAX_VALUE ? m.maxEventTime : boundary;
        return SparseModelSnapshot.newBuilder()
                .setModelId(m.id())
                .setVersion(m.version + 1)
                .setEventTime(eventTime)
                .setReason(boundaries.reasonAt(trainer.schedule(), trainer.anchor(), boundary))
                .setCycle(m.point.cycle())
                .setPhase(m.point.phase().name())
                .setStep(trainer.steps())
                .setSamples(trainer.samples())
                .setSparsity(trainer.masks().sparsity())
                .setTargetSparsity(m.point.sparsity())
                .setSpec(spec.toAvro())
                .setSchedule(m.config.schedule().toSpec())
                .setLoss(m.interval.seen == 0 ? Double.NaN : m.interval.lossSum / m.interval.seen)
                .setAccuracy(
                        spec.isClassifier() && m.interval.seen > 0
                                ? (double) m.interval.correct / m.interval.seen
                                : null)
                .setChurn(m.churn)
                .setRecovered(trainer.masks().recoveredCount())
                .setTensors(ModelSnapshots.encodeTensors(spec, trainer.shapes(), trainer.weights()))
                .setInputScaling(ModelSnapshots.inputScaling(trainer.inputStandardization()))
                .setDrift(driftStatus(m, boundary))
                .setLineage(m.lineage)
                .build();
    }

    /** Returns what a drift-aware model has detected, as its snapshot at {@code boundary} says it; null for others. */
    private static DriftStatus driftStatus(HotModel m, long boundary) {
        if (!(m.config.schedule() instanceof DriftAwareSchedule declared)) {
            return null;
        }
        SparseTrainer trainer = m.trainer;
        DriftState drift = trainer.drift();
        boolean restartEnd = drift.detections() > 0
                && declared.clock() == Clock.EVENT_TIME
                && boundary - trainer.anchor() == drift.lastRestartTick() + declared.restartRamp();
        return DriftStatus.newBuilder()
                .setDetections(drift.detections())
                .setLastDetectionEventTime(drift.detections() == 0 ? null : drift.lastDetectionEventTime())
                .setStatistic(trainer.driftStatistic())
                .setRestart(restartEnd)
                .build();
    }

    private void publish(HotModel m, SparseModelSnapshot snapshot) {
        m.version = snapshot.getVersion();
        m.interval = new HotModel.Interval(0, 0, 0, 0);
        m.dirty = true;
        metrics(m.id()).snapshot(snapshot);
        output.collect(new StreamRecord<>(snapshot, snapshot.getEventTime()));
    }

    private void deadLetter(ValidBatch b, DeadLetterCause cause, String message) {
        // a checked batch: its sizes are within the limits, so re-encoding it is bounded
        byte[] raw = TrainingBatches.toBytes(b.toRecord());
        deadLetters.count(cause);
        output.collect(
                DeadLetters.TAG,
                new StreamRecord<>(DeadLetters.of(b.topic, b.partition, b.offset, b.modelId, cause, message, raw)));
    }

    private ModelMetrics metrics(String modelId) {
        return metrics.computeIfAbsent(
                modelId,
                id -> metrics.size() < settings.metricsMaxModels()
                        ? ModelMetrics.register(getMetricGroup().addGroup("model", id))
                        : ModelMetrics.unregistered());
    }
}
