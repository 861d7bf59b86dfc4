package org.cyclicalpruning.modelops.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * While the mask holds, the step on kept weights only must leave the model exactly where the
 * dense masked step does, up to the order of float additions: the same weights, biases and
 * optimizer state to 1e-5 relative, the same losses and counts of right predictions.
 */
class SparseHoldStepTest {
    private static final int STEPS = 40;

    static Stream<Arguments> models() {
        PruningMode global = PruningMode.global();
        PruningMode perLayer = PruningMode.perLayer();
        return Stream.of(
                Arguments.of(ModelSpec.mlp(64, new int[] {48, 32}, 5), OptimizerConfig.sgd(0.9), 0.9, perLayer),
                Arguments.of(ModelSpec.mlp(64, new int[] {48, 32}, 5), OptimizerConfig.adam(), 0.98, perLayer),
                Arguments.of(ModelSpec.mlp(64, new int[] {48, 32}, 5), OptimizerConfig.sgd(0.9), 0.9, global),
                Arguments.of(ModelSpec.mlp(40, new int[] {30}, 3), OptimizerConfig.sgd(0.0), 0.8, perLayer),
                Arguments.of(ModelSpec.softmax(40, 4), OptimizerConfig.adam(), 0.9, global),
                Arguments.of(ModelSpec.logistic(40), OptimizerConfig.sgd(0.9), 0.9, global),
                Arguments.of(ModelSpec.linear(40), OptimizerConfig.adam(), 0.9, global));
    }

    @ParameterizedTest
    @MethodSource("models")
    void holdStepsOnKeptWeightsEqualTheDenseMaskedSteps(
            ModelSpec spec, OptimizerConfig optimizer, double sparsity, PruningMode pruning) {
        Assumptions.assumeTrue(NativeMaskKernels.available(), "the native kernels are built with the module");
        TrainingConfig config = TrainingConfig.builder()
                .setModel(spec)
                .setSchedule(SparsitySchedule.oneShot(Duration.ZERO, sparsity))
                .optPruningMode(pruning)
                .optOptimizer(optimizer)
                .optLearningRate(LearningRate.constant(0.05))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom data = new SplittableRandom(3);
        try (SparseTrainer dense = SparseTrainer.create(config);
                SparseTrainer sparse = SparseTrainer.create(config)) {
            dense.setSparseHoldMaxDensity(0);
            for (int s = 0; s < STEPS; s++) {
                // rows that are not a whole number of tiles, so padded examples are exercised too
                Batch batch = batch(data, spec, s % 3 == 0 ? 50 : 32);
                StepResult a = dense.step(batch, s * 10L);
                StepResult b = sparse.step(batch, s * 10L);
                assertThat(b.outcome()).isEqualTo(a.outcome());
                assertThat(b.loss()).as("loss of step %s", s).isCloseTo(a.loss(), within(a.loss()));
                assertThat(b.correct()).as("right predictions of step %s", s).isEqualTo(a.correct());
            }
            assertThat(dense.sparseHoldStepsTaken()).isZero();
            assertThat(sparse.sparseHoldStepsTaken())
                    .as("every step after the first, which prunes")
                    .isEqualTo(STEPS - 1);
            TrainerState expected = dense.exportState();
            TrainerState actual = sparse.exportState();
            assertThat(actual.masks().sparsity()).isEqualTo(expected.masks().sparsity());
            for (int p = 0; p < expected.params().length; p++) {
                assertClose(actual.params()[p], expected.params()[p], "parameter " + p);
                for (int k = 0; k < expected.optimizerState()[p].length; k++) {
                    assertClose(
                            actual.optimizerState()[p][k], expected.optimizerState()[p][k], "state " + k + " of " + p);
                }
            }
            for (int t = 0; t < actual.masks().tensorCount(); t++) {
                float[] w = actual.params()[config.model().layout().prunable()[t]];
                for (int i = 0; i < w.length; i++) {
                    if (!actual.masks().isKept(t, i)) {
                        assertThat(w[i]).as("pruned weight %s of mask %s", i, t).isZero();
                    }
                }
            }
        }
    }

    /**
     * A trainer restored mid-hold from a checkpoint of the sparse path (its state exported, a new
     * trainer built from it, as after eviction or a restart) goes on exactly as one that never
     * stopped, and both as the dense masked path.
     */
    @org.junit.jupiter.api.Test
    void aRestoreInTheMiddleOfTheHoldCannotTellWhichPathRan() {
        Assumptions.assumeTrue(NativeMaskKernels.available(), "the native kernels are built with the module");
        ModelSpec spec = ModelSpec.mlp(64, new int[] {48, 32}, 5);
        TrainingConfig config = TrainingConfig.builder()
                .setModel(spec)
                .setSchedule(SparsitySchedule.oneShot(Duration.ZERO, 0.95))
                .optPruningMode(PruningMode.perLayer())
                .optOptimizer(OptimizerConfig.adam())
                .optLearningRate(LearningRate.constant(0.01))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom data = new SplittableRandom(9);
        java.util.List<Batch> batches = new java.util.ArrayList<>();
        for (int s = 0; s < 40; s++) {
            batches.add(batch(data, spec, 40));
        }
        try (SparseTrainer dense = SparseTrainer.create(config);
                SparseTrainer sparse = SparseTrainer.create(config)) {
            dense.setSparseHoldMaxDensity(0);
            for (int s = 0; s < 20; s++) {
                dense.step(batches.get(s), s);
                sparse.step(batches.get(s), s);
            }
            try (SparseTrainer restored = SparseTrainer.restore(config, sparse.exportState(), null)) {
                for (int s = 20; s < 40; s++) {
                    dense.step(batches.get(s), s);
                    sparse.step(batches.get(s), s);
                    restored.step(batches.get(s), s);
                }
                assertThat(restored.sparseHoldStepsTaken()).isEqualTo(20);
                TrainerState a = restored.exportState();
                TrainerState b = sparse.exportState();
                TrainerState c = dense.exportState();
                for (int p = 0; p < c.params().length; p++) {
                    assertThat(a.params()[p])
                            .as("restored against uninterrupted, tensor %s", p)
                            .isEqualTo(b.params()[p]);
                    assertClose(a.params()[p], c.params()[p], "restored against dense, tensor " + p);
                }
                assertThat(a.steps()).isEqualTo(c.steps());
                assertThat(a.optimizerUpdates()).isEqualTo(c.optimizerUpdates());
            }
        }
    }

    /** The operators' switch: the system property turns the sparse step off, and a bad value names it. */
    @org.junit.jupiter.api.Test
    void theSystemPropertyTurnsTheSparseStepOffAndABadValueNamesIt() {
        Assumptions.assumeTrue(NativeMaskKernels.available(), "the native kernels are built with the module");
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.mlp(40, new int[] {30}, 3))
                .setSchedule(SparsitySchedule.oneShot(Duration.ZERO, 0.9))
                .optPruningMode(PruningMode.perLayer())
                .optDevice(DeviceChoice.CPU)
                .build();
        String property = SparseTrainer.SPARSE_HOLD_MAX_DENSITY_PROPERTY;
        try {
            System.setProperty(property, "0");
            try (SparseTrainer off = SparseTrainer.create(config)) {
                SplittableRandom data = new SplittableRandom(5);
                for (int s = 0; s < 5; s++) {
                    off.step(batch(data, config.model(), 32), s);
                }
                assertThat(off.sparseHoldStepsTaken()).isZero();
            }
            System.setProperty(property, "half");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> SparseTrainer.create(config))
                    .hasMessageContaining(property)
                    .hasMessageContaining("'half'");
        } finally {
            System.clearProperty(property);
        }
    }

    private static Offset<Double> within(double of) {
        return Offset.offset(1e-5 * Math.max(1, Math.abs(of)));
    }

    /** Relative to the tensor: |a - b| <= 1e-5 |b| in the Euclidean norm. */
    private static void assertClose(float[] actual, float[] expected, String what) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += Math.pow(actual[i] - expected[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        assertThat(Math.sqrt(diff)).as("%s differs by", what).isLessThanOrEqualTo(1e-5 * Math.sqrt(norm) + 1e-12);
    }

    private static Batch batch(SplittableRandom random, ModelSpec spec, int rows) {
        int dim = spec.inputs();
        float[] x = new float[rows * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        if (!spec.isClassifier()) {
            float[] y = new float[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = x[r * dim] - 0.5f * x[r * dim + 1];
            }
            return new Batch(x, rows, dim, null, y);
        }
        int classes = spec.classes();
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = Math.floorMod((int) (x[r * dim] * 3 + x[r * dim + 1] * 2 + 3), classes);
        }
        return new Batch(x, rows, dim, labels, null);
    }
}
