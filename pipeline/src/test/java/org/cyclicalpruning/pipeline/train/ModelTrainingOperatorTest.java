package org.cyclicalpruning.pipeline.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.pipeline.JobFixtures;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.pipeline.validate.ValidBatch;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.DeadLetterReason;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;

/** The training operator alone, in Flink's keyed operator test harness: timers, state, side output. */
class ModelTrainingOperatorTest {
    private static final long STEP = 100;
    private static final JobConfig CONFIG = JobConfig.builder()
            .set(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Duration.ofMillis(700)))
            .set(JobOptions.SNAPSHOT_LINEAGE, Optional.of(JobFixtures.LINEAGE))
            .models(List.of(
                    // model a standardises its features with a running estimate, which its state and
                    // snapshots must carry
                    ModelDeclaration.newBuilder(model(
                                    "a",
                                    "logistic:" + JobFixtures.DIM,
                                    "cyclical(final=0.8, period=1s, cycles=inf)",
                                    "global",
                                    true,
                                    0.05))
                            .setInputScaling("standardize(online)")
                            .build(),
                    model("b", "linear:" + JobFixtures.DIM, "constant(0.5)", "global", true, 0.01)))
            .build();
    private static final SparseTeacher CLASSIFIER = JobFixtures.classificationTeacher(1);
    private static final SparseTeacher REGRESSION = new SparseTeacher(
            SparseTeacher.Config.defaults().withDimension(JobFixtures.DIM).withSupportSize(6));

    private static KeyedOneInputStreamOperatorTestHarness<String, ValidBatch, SparseModelSnapshot> harness()
            throws Exception {
        return harness(CONFIG, null);
    }

    /** A harness for the operator of {@code config}, restored from {@code checkpoint} if it is not null. */
    private static KeyedOneInputStreamOperatorTestHarness<String, ValidBatch, SparseModelSnapshot> harness(
            JobConfig config, OperatorSubtaskState checkpoint) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, ValidBatch, SparseModelSnapshot> h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new ModelTrainingOperator(config.training(1), config.models()),
                        (KeySelector<ValidBatch, String>) b -> b.modelId,
                        Types.STRING);
        if (checkpoint != null) {
            h.initializeState(checkpoint);
        }
        h.open();
        return h;
    }

    /** Returns {@link #CONFIG} with model b declared as {@code b}. */
    private static JobConfig withModelB(ModelDeclaration b) {
        return CONFIG.toBuilder()
                .models(List.of(CONFIG.models().declared().iterator().next(), b))
                .build();
    }

    private static ModelDeclaration modelB() {
        return CONFIG.models().declared().stream()
                .filter(d -> d.getModelId().equals("b"))
                .findFirst()
                .orElseThrow();
    }

    private static OperatorSubtaskState checkpointAfter(int batches) throws Exception {
        try (var h = harness()) {
            feed(h, 0, batches);
            h.prepareSnapshotPreBarrier(1);
            return h.snapshot(1, 1);
        }
    }

    private static List<DeadLetter> deadLetters(
            KeyedOneInputStreamOperatorTestHarness<String, ValidBatch, SparseModelSnapshot> h) {
        ConcurrentLinkedQueue<StreamRecord<DeadLetter>> dead = h.getSideOutput(DeadLetters.TAG);
        return dead == null
                ? List.of()
                : dead.stream().map(StreamRecord::getValue).toList();
    }

    /** Feeds batches 0 to 19, with {@code extra} for model b after batch 9, and returns what was published. */
    private static List<SparseModelSnapshot> runWith(ValidBatch extra, List<DeadLetter> dead) throws Exception {
        try (var h = harness()) {
            feed(h, 0, 10);
            if (extra != null) {
                h.processElement(new StreamRecord<>(extra, extra.eventTime));
            }
            feed(h, 10, 20);
            h.processWatermark(Long.MAX_VALUE);
            dead.addAll(deadLetters(h));
            return h.extractOutputValues();
        }
    }

    private static ValidBatch batch(String id, int i) {
        Batch b = (id.equals("a") ? CLASSIFIER : REGRESSION).batch(i, 16);
        ValidBatch v = new ValidBatch();
        v.modelId = id;
        v.sequence = i;
        v.eventTime = JobFixtures.T0 + i * STEP;
        v.rows = b.rows();
        v.dim = b.dim();
        java.nio.ByteBuffer packed =
                java.nio.ByteBuffer.allocate(4 * b.features().length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        packed.asFloatBuffer().put(b.features());
        v.features = packed.array();
        v.labels = b.labels();
        v.targets = b.targets();
        v.topic = "t";
        return v;
    }

    private static void feed(
            KeyedOneInputStreamOperatorTestHarness<String, ValidBatch, SparseModelSnapshot> h, int from, int to)
            throws Exception {
        for (int i = from; i < to; i++) {
            for (String id : List.of("a", "b")) {
                ValidBatch v = batch(id, i);
                h.processElement(new StreamRecord<>(v, v.eventTime));
            }
        }
    }

    @Test
    void aQuietModelIsPublishedWhenTheWatermarkPassesItsBoundary() throws Exception {
        try (var h = harness()) {
            feed(h, 0, 5); // up to 400 ms: no boundary crossed by a batch
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(h.numEventTimeTimers())
                    .as("one pending boundary per model")
                    .isEqualTo(2);
            h.processWatermark(JobFixtures.T0 + 699);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processWatermark(JobFixtures.T0 + 700);
            List<SparseModelSnapshot> out = h.extractOutputValues();
            assertThat(out).extracting(SparseModelSnapshot::getModelId).containsExactlyInAnyOrder("a", "b");
            assertThat(out).allSatisfy(s -> {
                assertThat(s.getReason()).isEqualTo(SnapshotReason.INTERVAL);
                assertThat(s.getVersion()).isEqualTo(1);
                assertThat(s.getStep()).isEqualTo(5);
                assertThat(s.getEventTime()).isEqualTo(JobFixtures.T0 + 700);
            });
            // the watermark jumps far ahead: boundaries without new batches publish nothing
            h.processWatermark(JobFixtures.T0 + 60_000);
            assertThat(h.extractOutputValues()).hasSize(2);
            assertThat(h.numEventTimeTimers()).isEqualTo(2);
        }
    }

    @Test
    void aBatchCrossingTheCycleEndPublishesTheModelBeforeIt() throws Exception {
        try (var h = harness()) {
            feed(h, 0, 11); // batch 10 is at 1000 ms, the end of cycle 0 of model a
            List<SparseModelSnapshot> out = h.extractOutputValues();
            SparseModelSnapshot a = out.stream()
                    .filter(s -> s.getModelId().equals("a") && s.getReason() == SnapshotReason.CYCLE_END)
                    .findFirst()
                    .orElseThrow();
            assertThat(a.getEventTime()).isEqualTo(JobFixtures.T0 + 1000);
            assertThat(a.getStep()).isEqualTo(10);
            assertThat(a.getSparsity()).isEqualTo(0.8, org.assertj.core.api.Assertions.within(1.0 / JobFixtures.DIM));
            // the interval boundary at 700 ms came first
            assertThat(out.stream().filter(s -> s.getModelId().equals("a")).map(SparseModelSnapshot::getVersion))
                    .containsExactly(1L, 2L);
        }
    }

    @Test
    void restoredStateContinuesExactlyAsAnUninterruptedRun() throws Exception {
        List<SparseModelSnapshot> straight;
        try (var h = harness()) {
            feed(h, 0, 30);
            h.processWatermark(JobFixtures.T0 + 3000);
            straight = h.extractOutputValues();
        }
        OperatorSubtaskState checkpoint;
        List<SparseModelSnapshot> before;
        try (var h = harness()) {
            feed(h, 0, 13);
            // as the task does: the operator writes its hot models to state before the barrier
            h.prepareSnapshotPreBarrier(1);
            checkpoint = h.snapshot(1, 1);
            before = h.extractOutputValues();
            feed(h, 13, 17); // trained after the checkpoint, then lost
        }
        List<SparseModelSnapshot> after;
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new ModelTrainingOperator(CONFIG.training(1), CONFIG.models()),
                (KeySelector<ValidBatch, String>) b -> b.modelId,
                Types.STRING)) {
            h.initializeState(checkpoint);
            h.open();
            feed(h, 13, 30);
            h.processWatermark(JobFixtures.T0 + 3000);
            after = h.extractOutputValues();
        }
        List<SparseModelSnapshot> resumed = new java.util.ArrayList<>(before);
        resumed.addAll(after);
        assertThat(resumed).hasSameSizeAs(straight);
        assertThat(resumed).containsExactlyInAnyOrderElementsOf(straight);
        assertThat(straight)
                .filteredOn(x -> x.getModelId().equals("a"))
                .allSatisfy(
                        x -> assertThat(ModelSnapshots.inputStandardization(x)).isPresent());
        assertThat(straight)
                .filteredOn(x -> x.getModelId().equals("b"))
                .allSatisfy(x -> assertThat(x.getInputScaling()).isNull());
    }

    /**
     * A model keeps the lineage it was created with across a restore into a deployment of another
     * lineage; a model first seen by that deployment takes the deployment's.
     */
    @Test
    void aRestoredModelKeepsItsLineageAndANewOneTakesTheDeployments() throws Exception {
        OperatorSubtaskState checkpoint;
        try (var h = harness()) {
            for (int i = 0; i < 10; i++) {
                ValidBatch v = batch("a", i);
                h.processElement(new StreamRecord<>(v, v.eventTime));
            }
            h.prepareSnapshotPreBarrier(1);
            checkpoint = h.snapshot(1, 1);
            assertThat(h.extractOutputValues())
                    .isNotEmpty()
                    .allSatisfy(x -> assertThat(x.getLineage()).isEqualTo(JobFixtures.LINEAGE));
        }
        long redeployed = JobFixtures.LINEAGE + 1;
        JobConfig later = CONFIG.with(JobOptions.SNAPSHOT_LINEAGE, Optional.of(redeployed));
        try (var h = harness(later, checkpoint)) {
            feed(h, 10, 30);
            h.processWatermark(JobFixtures.T0 + 3000);
            List<SparseModelSnapshot> out = h.extractOutputValues();
            assertThat(out)
                    .filteredOn(x -> x.getModelId().equals("a"))
                    .isNotEmpty()
                    .allSatisfy(x -> assertThat(x.getLineage()).isEqualTo(JobFixtures.LINEAGE));
            assertThat(out)
                    .filteredOn(x -> x.getModelId().equals("b"))
                    .isNotEmpty()
                    .allSatisfy(x -> {
                        assertThat(x.getLineage()).isEqualTo(redeployed);
                        assertThat(x.getVersion()).isPositive();
                    });
        }
    }

    /** metrics.max-models bounds how many models register metrics; the others train all the same. */
    @Test
    void onlyTheFirstMetricsMaxModelsModelsGetMetricsOfTheirOwn() throws Exception {
        for (int limit : new int[] {0, 1, 2}) {
            try (var h = harness(CONFIG.with(JobOptions.METRICS_MAX_MODELS, limit), null)) {
                feed(h, 0, 10);
                ModelTrainingOperator operator = (ModelTrainingOperator) h.getOneInputOperator();
                assertThat(operator.modelsWithMetrics()).as("limit %s", limit).isEqualTo(limit);
                assertThat(h.extractOutputValues())
                        .extracting(SparseModelSnapshot::getModelId)
                        .as("both models publish, limit %s", limit)
                        .contains("a", "b");
            }
        }
    }

    @Test
    void aNonFiniteLossIsRolledBackAndDeadLettered() throws Exception {
        try (var h = harness()) {
            feed(h, 0, 3);
            ValidBatch overflow = batch("b", 3);
            java.util.Arrays.fill(overflow.targets, 3e38f);
            h.processElement(new StreamRecord<>(overflow, overflow.eventTime));
            ConcurrentLinkedQueue<StreamRecord<DeadLetter>> dead = h.getSideOutput(DeadLetters.TAG);
            assertThat(dead).hasSize(1);
            assertThat(dead.peek().getValue().getReason()).isEqualTo(DeadLetterReason.NON_FINITE_LOSS);
            h.processWatermark(Long.MAX_VALUE);
            SparseModelSnapshot b = h.extractOutputValues().stream()
                    .filter(s -> s.getModelId().equals("b"))
                    .findFirst()
                    .orElseThrow();
            assertThat(b.getStep()).isEqualTo(3);
            assertThat(Double.isFinite(b.getLoss())).isTrue();
        }
    }

    /** Batch i of model a with byte-valued features, sent as uint8 or as their float32 values. */
    private static ValidBatch pixels(int i, boolean asUint8) {
        ValidBatch v = batch("a", i);
        java.util.SplittableRandom random = new java.util.SplittableRandom(i);
        byte[] bytes = new byte[v.rows * v.dim];
        java.nio.ByteBuffer floats =
                java.nio.ByteBuffer.allocate(4 * bytes.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < bytes.length; k++) {
            bytes[k] = (byte) random.nextInt(256);
            floats.putFloat((bytes[k] & 0xFF) / 255f);
        }
        v.features = asUint8 ? bytes : floats.array();
        v.uint8Divisor = asUint8 ? 255f : 0f;
        return v;
    }

    @Test
    void uint8BatchesPublishTheSameModelsAsTheirFloatValues() throws Exception {
        List<List<SparseModelSnapshot>> outputs = new java.util.ArrayList<>();
        for (boolean asUint8 : new boolean[] {false, true}) {
            try (var h = harness()) {
                for (int i = 0; i < 12; i++) {
                    ValidBatch v = pixels(i, asUint8);
                    h.processElement(new StreamRecord<>(v, v.eventTime));
                }
                h.processWatermark(Long.MAX_VALUE);
                outputs.add(h.extractOutputValues());
            }
        }
        assertThat(outputs.get(0))
                .extracting(SparseModelSnapshot::getReason)
                .contains(SnapshotReason.CYCLE_END, SnapshotReason.INTERVAL);
        assertThat(outputs.get(1)).containsExactlyElementsOf(outputs.get(0));
    }

    @Test
    void aBatchOnWhichTrainingThrowsIsDeadLetteredAndTheModelGoesOnAsWithoutIt() throws Exception {
        List<DeadLetter> none = new java.util.ArrayList<>();
        List<SparseModelSnapshot> clean = runWith(null, none);
        // a batch that skipped the validator and lies about its size: the step throws
        ValidBatch lying = batch("b", 10);
        lying.features = java.util.Arrays.copyOf(lying.features, 8);
        List<DeadLetter> dead = new java.util.ArrayList<>();
        List<SparseModelSnapshot> mixed = runWith(lying, dead);
        assertThat(none).isEmpty();
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.getCause()).isEqualTo(DeadLetterCause.INTERNAL_ERROR);
            assertThat(d.getMessage()).contains("training failed on this batch");
        });
        assertThat(mixed).containsExactlyElementsOf(clean);
    }

    @Test
    void aTaskCancelledBeforeItOpenedClosesCleanly() throws Exception {
        // what a redeploy does to a task still initialising: Flink closes the operator without
        // open(), and an exception there would kill the TaskManager
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new ModelTrainingOperator(CONFIG.training(1), CONFIG.models()),
                (KeySelector<ValidBatch, String>) b -> b.modelId,
                Types.STRING);
        h.setup();
        h.initializeState((OperatorSubtaskState) null);
        h.close();
    }

    @Test
    void aRefusedBatchFarPastTheNextBoundaryPublishesNothingEarly() throws Exception {
        // a refused batch of b stamped long after its next boundary (as one from another partition
        // can arrive): had it published b's snapshot before training, b's later batches below that
        // boundary would miss from it
        List<SparseModelSnapshot> clean = runWith(null, new java.util.ArrayList<>());
        ValidBatch refused = batch("b", 10);
        refused.eventTime = JobFixtures.T0 + 25 * STEP;
        refused.targets[0] = 3e38f; // finite; its square is not
        List<DeadLetter> dead = new java.util.ArrayList<>();
        List<SparseModelSnapshot> mixed = runWith(refused, dead);
        assertThat(dead)
                .singleElement()
                .satisfies(d -> assertThat(d.getCause()).isEqualTo(DeadLetterCause.NON_FINITE_LOSS));
        assertThat(mixed).containsExactlyElementsOf(clean);
    }

    @Test
    void gradientsOutOfRangeAreRolledBackAndLeaveNothingBehind() throws Exception {
        List<SparseModelSnapshot> clean = runWith(null, new java.util.ArrayList<>());
        ValidBatch huge = batch("b", 10);
        java.nio.ByteBuffer packed = java.nio.ByteBuffer.wrap(huge.features).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < huge.rows * huge.dim; k++) {
            packed.putFloat(4 * k, 1e16f); // beyond the validator's limit: a finite loss, an enormous gradient
        }
        List<DeadLetter> dead = new java.util.ArrayList<>();
        List<SparseModelSnapshot> mixed = runWith(huge, dead);
        assertThat(dead)
                .singleElement()
                .satisfies(d -> assertThat(d.getCause()).isEqualTo(DeadLetterCause.NON_FINITE_UPDATE));
        assertThat(mixed)
                .as("no gradient of the refused step reaches a later one")
                .containsExactlyElementsOf(clean);
    }

    @Test
    void aRestoredModelTrainsUnderItsNewLearningRateAndSchedule() throws Exception {
        OperatorSubtaskState checkpoint = checkpointAfter(13);
        ModelDeclaration faster = ModelDeclaration.newBuilder(modelB())
                .setSchedule("cyclical(final=0.5, period=2s, cycles=inf)")
                .setOptimizer(org.cyclicalpruning.schemas.OptimizerDeclaration.newBuilder(modelB().getOptimizer())
                        .setLearningRate(0.05)
                        .build())
                .build();
        List<SparseModelSnapshot> unchanged;
        try (var h = harness(CONFIG, checkpoint)) {
            feed(h, 13, 30);
            h.processWatermark(Long.MAX_VALUE);
            unchanged = h.extractOutputValues();
        }
        List<SparseModelSnapshot> changed;
        try (var h = harness(withModelB(faster), checkpoint)) {
            feed(h, 13, 30);
            h.processWatermark(Long.MAX_VALUE);
            changed = h.extractOutputValues();
        }
        List<SparseModelSnapshot> b =
                changed.stream().filter(x -> x.getModelId().equals("b")).toList();
        assertThat(b).isNotEmpty();
        assertThat(b).allSatisfy(x -> assertThat(x.getSchedule()).contains("final=0.5"));
        assertThat(b.get(b.size() - 1).getStep()).as("it kept its steps").isEqualTo(30);
        assertThat(b.get(b.size() - 1).getTensors())
                .as("a new rate trains differently")
                .isNotEqualTo(unchanged.stream()
                        .filter(x -> x.getModelId().equals("b"))
                        .reduce((x, y) -> y)
                        .orElseThrow()
                        .getTensors());
        assertThat(changed.stream().filter(x -> x.getModelId().equals("a")).toList())
                .as("the other model is as it was")
                .containsExactlyElementsOf(unchanged.stream()
                        .filter(x -> x.getModelId().equals("a"))
                        .toList());
    }

    @Test
    void aModelWhoseArchitectureChangedFailsTheJobAtStartWithoutRestarts() throws Exception {
        OperatorSubtaskState checkpoint = checkpointAfter(5);
        ModelDeclaration other = ModelDeclaration.newBuilder(modelB())
                .setSpec("mlp:" + JobFixtures.DIM + "-4-2")
                .build();
        assertThatThrownBy(() -> harness(withModelB(other), checkpoint).close())
                .isInstanceOf(SuppressRestartsException.class)
                .hasStackTraceContaining(
                        "model 'b': spec was linear:" + JobFixtures.DIM + ", is now mlp:" + JobFixtures.DIM + "-4-2");
    }

    @Test
    void theDefaultModelCreatesNoMoreThanMaxModels() throws Exception {
        JobConfig config = CONFIG.toBuilder()
                .set(JobOptions.DEFAULT_MODEL, Optional.of(modelB()))
                .set(JobOptions.MAX_MODELS, 2)
                .build();
        try (var h = harness(config, null)) {
            for (String id : List.of("b", "n1", "n2", "n3", "n1")) {
                ValidBatch v = batch("b", 0);
                v.modelId = id;
                h.processElement(new StreamRecord<>(v, v.eventTime));
            }
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getCause()).isEqualTo(DeadLetterCause.TOO_MANY_MODELS);
                assertThat(d.getModelId()).isEqualTo("n3");
            });
        }
    }

    @Test
    void aBoundaryNoBatchTrainedBeforePublishesNothingWhicheverReachesItFirst() throws Exception {
        List<List<SparseModelSnapshot>> outputs = new java.util.ArrayList<>();
        for (boolean watermarkFirst : new boolean[] {true, false}) {
            try (var h = harness()) {
                for (int i = 0; i < 5; i++) {
                    ValidBatch v = batch("b", i);
                    h.processElement(new StreamRecord<>(v, v.eventTime));
                }
                if (watermarkFirst) {
                    h.processWatermark(JobFixtures.T0 + 700); // publishes the boundary at 700
                }
                ValidBatch late = batch("b", 15); // at 1500: past the boundaries at 700 and 1400
                h.processElement(new StreamRecord<>(late, late.eventTime));
                outputs.add(h.extractOutputValues());
            }
        }
        assertThat(outputs.get(0)).hasSize(1);
        assertThat(outputs.get(1)).containsExactlyElementsOf(outputs.get(0));
    }
}
