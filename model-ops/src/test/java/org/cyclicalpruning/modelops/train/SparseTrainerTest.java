package org.cyclicalpruning.modelops.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.CyclicalSparsitySchedule;
import org.cyclicalpruning.modelops.schedule.Phase;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.junit.jupiter.api.Test;

class SparseTrainerTest {

    @Test
    void nativeArrayCountDoesNotGrowOver2000Steps() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.mlp(32, new int[] {24, 16}, 4))
                .setSchedule(CyclicalSparsitySchedule.builder()
                        .setCycleLength(400)
                        .optCycles(4)
                        .setFinalSparsity(0.8)
                        .build())
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.cosine(0.05, 2000))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(1);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            trainer.step(randomBatch(random, 16, 32, 4), 0);
            int trainerArrays = trainer.liveArrays();
            int systemArrays = systemArrayCount();
            for (int step = 1; step < 2000; step++) {
                trainer.step(randomBatch(random, 16, 32, 4), step);
                if (step % 500 == 0) {
                    Batch probe = randomBatch(random, 100, 32, 4);
                    trainer.evaluate(Dataset.of("probe", probe.features(), 32, probe.labels(), 4));
                }
            }
            assertThat(trainer.steps()).isEqualTo(2000);
            assertThat(trainer.liveArrays()).isEqualTo(trainerArrays);
            assertThat(systemArrayCount()).isEqualTo(systemArrays);
        }
    }

    @Test
    void plainSgdStepMatchesTheGradientOfTheMeanSquaredError() {
        float[] x = {1, 2, 3, -1, 0.5f, 2};
        float[] y = {1, -2};
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.linear(3))
                .setSchedule(SparsitySchedule.constant(0.0))
                .optOptimizer(OptimizerConfig.sgd(0.0))
                .optLearningRate(LearningRate.constant(0.1))
                .optDevice(DeviceChoice.CPU)
                .build();
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            trainer.step(new Batch(x, 2, 3, null, y), 0);
            // from w = 0, b = 0: grad_w = -2/n * sum_i y_i x_i, grad_b = -2/n * sum_i y_i
            float[][] w = trainer.weights();
            for (int j = 0; j < 3; j++) {
                double grad = -(y[0] * x[j] + y[1] * x[3 + j]);
                assertThat(w[0][j]).isCloseTo((float) (-0.1 * grad), within(1e-6f));
            }
            assertThat(w[1][0]).isCloseTo((float) (0.1 * (y[0] + y[1])), within(1e-6f));
        }
    }

    @Test
    void aCnnLearnsAndItsConvolutionsArePrunedToExactCountsGloballyAndPerLayer() {
        ModelSpec cnn = ModelSpec.parse("cnn:1x8x8-c4k3-p2-c8k3-f16-2");
        for (PruningMode mode : List.of(PruningMode.global(), PruningMode.perLayer(), PruningMode.nOfM(2, 4))) {
            int steps = 300;
            TrainingConfig config = TrainingConfig.builder()
                    .setModel(cnn)
                    .setSchedule(CyclicalSparsitySchedule.builder()
                            .setCycleLength(steps)
                            .optCycles(1)
                            .optRampFraction(0.5)
                            .setFinalSparsity(0.5)
                            .build())
                    .optPruningMode(mode)
                    .optOptimizer(OptimizerConfig.sgd(0.9))
                    .optLearningRate(LearningRate.constant(0.05))
                    .optDevice(DeviceChoice.CPU)
                    .build();
            SplittableRandom random = new SplittableRandom(3);
            try (SparseTrainer trainer = SparseTrainer.create(config)) {
                int before = trainer.liveArrays();
                Batch probe = stripeBatch(random, 200);
                Dataset test = Dataset.of("probe", probe.features(), 64, probe.labels(), 2);
                double start = trainer.evaluate(test).loss();
                for (int step = 0; step < steps; step++) {
                    StepResult rr = trainer.step(stripeBatch(random, 16), step);
                    if (rr.outcome() != StepResult.Outcome.TRAINED || rr.mask().isPresent())
                        System.out.println("DIAG " + mode + " step " + step + " " + rr.outcome() + " loss " + rr.loss()
                                + " sp " + rr.point().sparsity() + " mu "
                                + rr.mask()
                                        .map(m -> m.pruned() + "/" + m.total())
                                        .orElse("-"));
                }
                double end = trainer.evaluate(test).loss();
                System.out.printf("%s: probe loss %.4f -> %.4f%n", mode, start, end);
                assertThat(end).as("%s: loss falls", mode).isLessThan(0.2 * start);
                assertThat(trainer.liveArrays())
                        .as("%s: no native arrays left behind", mode)
                        .isEqualTo(before);
                float[][] w = trainer.weights();
                // conv0 4x1x3x3 = 36, conv1 8x4x3x3 = 288 (4x4 positions left), fc 128x16 = 2048, 16x2 = 32
                int[] prunable = {0, 2, 4, 6};
                long zeros = 0;
                for (int p : prunable) {
                    zeros += zeros(w[p]);
                }
                if (mode.kind() == PruningMode.Kind.GLOBAL) {
                    assertThat(zeros).isEqualTo(Math.round(0.5 * (36 + 288 + 2048 + 32)));
                } else if (mode.kind() == PruningMode.Kind.PER_LAYER) {
                    assertThat(zeros(w[2])).isEqualTo(144);
                    assertThat(zeros(w[0])).isEqualTo(18);
                } else {
                    assertThat(zeros(w[0]))
                            .as("the image layer (1 channel) stays dense under N:M")
                            .isZero();
                    assertThat(zeros(w[2])).isEqualTo(144);
                }
                assertThat(w[1]).as("biases stay dense").doesNotContain(0f);
            }
        }
    }

    @Test
    void batchNormalisationTrainsItsScaleAndShiftKeepsRunningStatisticsAsPyTorchDoesAndIsNeverPruned() {
        ModelSpec cnn = ModelSpec.parse("cnn:1x8x8-c4k3bn-p2-c8k3bn-f16-2");
        TrainingConfig config = TrainingConfig.builder()
                .setModel(cnn)
                .setSchedule(CyclicalSparsitySchedule.builder()
                        .setCycleLength(120)
                        .optCycles(1)
                        .optRampFraction(0.5)
                        .setFinalSparsity(0.9)
                        .build())
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(0.05))
                .optDevice(DeviceChoice.CPU)
                .build();
        // conv0.weight, conv0.bias, bn0.gamma, bn0.beta, bn0.running_mean, bn0.running_var, conv1...
        int gamma = 2;
        int beta = 3;
        int mean = 4;
        int variance = 5;
        SplittableRandom random = new SplittableRandom(11);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            float[][] initial = trainer.weights();
            assertThat(initial[gamma]).containsOnly(1f);
            assertThat(initial[beta]).containsOnly(0f);
            assertThat(initial[mean]).containsOnly(0f);
            assertThat(initial[variance]).containsOnly(1f);
            int before = trainer.liveArrays();

            Batch first = stripeBatch(random, 16);
            StepResult firstStep = trainer.step(first, 0);
            System.out.println(
                    "DIAG outcome " + firstStep.outcome() + " rm " + java.util.Arrays.toString(trainer.weights()[mean])
                            + " rm2 " + java.util.Arrays.toString(trainer.weights()[mean]) + " g "
                            + java.util.Arrays.toString(trainer.weights()[gamma]));
            // PyTorch's momentum 0.1: the running mean moves a tenth of the way to the batch's mean
            // of each filter's output, taken before the step changed the weights
            double[] batchMean = convolutionMeans(initial[0], initial[1], first.features(), 16, 8, 4);
            float[] runningMean = trainer.weights()[mean];
            for (int f = 0; f < 4; f++) {
                assertThat((double) runningMean[f]).isCloseTo(0.1 * batchMean[f], within(1e-5));
            }

            Batch probe = stripeBatch(random, 200);
            Dataset test = Dataset.of("probe", probe.features(), 64, probe.labels(), 2);
            double start = trainer.evaluate(test).loss();
            for (int step = 1; step < 120; step++) {
                trainer.step(stripeBatch(random, 16), step);
            }
            assertThat(trainer.evaluate(test).loss()).isLessThan(0.5 * start);
            assertThat(trainer.liveArrays()).isEqualTo(before);
            float[][] trained = trainer.weights();
            assertThat(trained[gamma]).as("the scale trains").isNotEqualTo(initial[gamma]);
            assertThat(trained[variance]).as("the running variance moves").isNotEqualTo(initial[variance]);
            for (int p : new int[] {gamma, beta, mean, variance, 8, 9, 10, 11}) {
                assertThat(trained[p])
                        .as("tensor %s stays dense at 90%% sparsity", p)
                        .doesNotContain(0f);
            }
            assertThat(zeros(trained[6])).as("conv1's kernels are pruned").isPositive();

            Batch poisoned = stripeBatch(random, 16);
            poisoned.features()[3] = Float.POSITIVE_INFINITY;
            assertThat(trainer.step(poisoned, 200).outcome()).isEqualTo(StepResult.Outcome.NON_FINITE_LOSS);
            assertThat(trainer.weights())
                    .as("a rolled-back step leaves the running statistics where they were")
                    .isDeepEqualTo(trained);
        }
    }

    /** Per filter, the mean over examples and positions of a 3x3, padding 1 convolution of one-channel images. */
    private static double[] convolutionMeans(float[] w, float[] b, float[] x, int rows, int side, int filters) {
        double[] sums = new double[filters];
        for (int n = 0; n < rows; n++) {
            for (int f = 0; f < filters; f++) {
                for (int i = 0; i < side; i++) {
                    for (int j = 0; j < side; j++) {
                        double y = b[f];
                        for (int di = -1; di <= 1; di++) {
                            for (int dj = -1; dj <= 1; dj++) {
                                int r = i + di;
                                int c = j + dj;
                                if (r >= 0 && r < side && c >= 0 && c < side) {
                                    y += w[f * 9 + (di + 1) * 3 + dj + 1] * x[n * side * side + r * side + c];
                                }
                            }
                        }
                        sums[f] += y;
                    }
                }
            }
        }
        for (int f = 0; f < filters; f++) {
            sums[f] /= (double) rows * side * side;
        }
        return sums;
    }

    @Test
    void holdPhaseKeepsExactlyTheTargetNumberOfZeros() {
        int steps = 120;
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.mlp(20, new int[] {12}, 3))
                .setSchedule(CyclicalSparsitySchedule.builder()
                        .setCycleLength(steps)
                        .optCycles(1)
                        .optRampFraction(0.5)
                        .setFinalSparsity(0.75)
                        .build())
                .optPruningMode(PruningMode.perLayer())
                .optMaskUpdateInterval(7)
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(2);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            StepResult last = null;
            for (int step = 0; step < steps; step++) {
                last = trainer.step(randomBatch(random, 8, 20, 3), step);
            }
            assertThat(last.point().phase()).isEqualTo(Phase.HOLD);
            float[][] w = trainer.weights();
            assertThat(zeros(w[0])).isEqualTo(Math.round(0.75 * 240));
            assertThat(zeros(w[2])).isEqualTo(Math.round(0.75 * 36));
        }
    }

    @Test
    void uint8BatchesTrainExactlyAsTheirDecodedFloats() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.mlp(36, new int[] {12}, 4))
                .setSchedule(SparsitySchedule.constant(0.6))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(11);
        try (SparseTrainer floats = SparseTrainer.create(config);
                SparseTrainer bytes = SparseTrainer.create(config)) {
            for (int step = 0; step < 30; step++) {
                int rows = 8;
                byte[] pixels = new byte[rows * 36];
                float[] decoded = new float[pixels.length];
                for (int i = 0; i < pixels.length; i++) {
                    pixels[i] = (byte) random.nextInt(256);
                    decoded[i] = (pixels[i] & 0xFF) / 255f; // as IdxReader decodes Fashion-MNIST
                }
                int[] labels = random.ints(rows, 0, 4).toArray();
                // a buffer that starts mid-array, as a decoded Avro field may
                ByteBuffer wire = ByteBuffer.allocate(pixels.length + 5).position(5);
                wire.put(pixels).position(5);

                StepResult a = floats.step(new Batch(decoded, rows, 36, labels, null), step * 10L);
                StepResult b = bytes.stepUint8(wire, 255f, rows, 36, labels, null, step * 10L);

                assertThat(b.loss()).isEqualTo(a.loss());
                assertThat(wire.position())
                        .as("the caller's buffer is left as it was")
                        .isEqualTo(5);
            }
            assertThat(bytes.weights()).isDeepEqualTo(floats.weights());
            assertThatThrownBy(() -> bytes.stepUint8(ByteBuffer.allocate(7), 255f, 8, 36, new int[8], null, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("uint8 features hold 7 bytes");
            assertThatThrownBy(() -> bytes.stepUint8(ByteBuffer.allocate(8 * 36), 0f, 8, 36, new int[8], null, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("divisor");
        }
    }

    @Test
    void nonFiniteLossRollsTheStepBack() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.softmax(4, 3))
                .setSchedule(SparsitySchedule.constant(0.5))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(3);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            trainer.step(randomBatch(random, 8, 4, 3), 0);
            float[][] before = trainer.weights();
            Batch poisoned = randomBatch(random, 8, 4, 3);
            poisoned.features()[5] = Float.POSITIVE_INFINITY;
            poisoned.features()[6] = Float.NEGATIVE_INFINITY;

            StepResult result = trainer.step(poisoned, 1);

            assertThat(result.outcome()).isEqualTo(StepResult.Outcome.NON_FINITE_LOSS);
            assertThat(trainer.weights()).isDeepEqualTo(before);
            assertThat(trainer.steps()).isEqualTo(1);
            assertThat(trainer.step(randomBatch(random, 8, 4, 3), 2).accepted()).isTrue();
        }
    }

    @Test
    void aStepWithAnExtremeGradientIsRolledBackAndSetsNoAnchor() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.mlp(4, new int[] {8}, 3))
                .setSchedule(SparsitySchedule.constant(0.5))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(5);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            float[][] before = trainer.weights();
            Batch extreme = randomBatch(random, 8, 4, 3);
            java.util.Arrays.fill(extreme.features(), 1e20f);

            StepResult result = trainer.step(extreme, 7_000);

            assertThat(result.outcome()).isEqualTo(StepResult.Outcome.NON_FINITE_GRADIENT);
            assertThat(Float.isFinite((float) result.loss()))
                    .as("the loss itself was finite")
                    .isTrue();
            assertThat(trainer.weights()).isDeepEqualTo(before);
            assertThat(trainer.steps()).isZero();
            assertThat(trainer.anchor())
                    .as("only an accepted step anchors the schedule")
                    .isEqualTo(Long.MIN_VALUE);

            StepResult next = trainer.step(randomBatch(random, 8, 4, 3), 9_000);
            assertThat(next.accepted()).isTrue();
            assertThat(trainer.anchor()).isEqualTo(9_000);
            for (float[] tensor : trainer.weights()) {
                for (float v : tensor) {
                    assertThat(Float.isFinite(v)).isTrue();
                }
            }
        }
    }

    @Test
    void restartingCycleRecoversPrunedWeights() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.mlp(16, new int[] {16}, 2))
                .setSchedule(CyclicalSparsitySchedule.builder()
                        .setCycleLength(50)
                        .optCycles(2)
                        .setFinalSparsity(0.9)
                        .build())
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(4);
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            long recoveredAtRestart = -1;
            for (int step = 0; step < 100; step++) {
                StepResult r = trainer.step(randomBatch(random, 8, 16, 2), step);
                if (step == 50) {
                    assertThat(r.point().cycle()).isEqualTo(1);
                    assertThat(r.point().sparsity()).isZero();
                    recoveredAtRestart = r.maskUpdate().recovered();
                }
            }
            assertThat(recoveredAtRestart).isEqualTo(Math.round(0.9 * (16 * 16 + 16 * 2)));
        }
    }

    @Test
    void rejectsBatchesThatDoNotFitTheModel() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.softmax(4, 3))
                .setSchedule(SparsitySchedule.constant(0.0))
                .optDevice(DeviceChoice.CPU)
                .build();
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            assertThatThrownBy(() -> trainer.step(new Batch(new float[10], 2, 5, new int[] {0, 1}, null), 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("5 features")
                    .hasMessageContaining("expects 4");
            assertThatThrownBy(() -> trainer.step(new Batch(new float[8], 2, 4, new int[] {0, 3}, null), 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("label 3 is out of range [0, 3)");
        }
    }

    @Test
    void gpuWithoutOneFailsFast() {
        if (Engine.getInstance().getGpuCount() > 0) {
            return; // the failure under test cannot happen on a machine with a GPU
        }
        assertThatThrownBy(DeviceChoice.GPU::resolve)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("finds no GPU")
                .hasMessageContaining("device=cpu");
        assertThat(DeviceChoice.AUTO.resolve().isGpu()).isFalse();
    }

    // ------------- helpers --------------

    /**
     * 8x8 images of horizontal (label 0) or vertical (label 1) stripes at a random phase, in noise.
     * The phase flips every pixel's sign, so no linear model separates them, while one
     * convolution filter per orientation does. (The sum-of-pixels label this replaced trained the
     * network into dead units on some machines and thread counts.)
     */
    static Batch stripeBatch(SplittableRandom random, int rows) {
        int side = 8;
        float[] x = new float[rows * side * side];
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = random.nextInt(2);
            int phase = random.nextInt(2);
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    int line = labels[r] == 0 ? i : j;
                    double stripe = (line + phase) % 2 == 0 ? 0.5 : -0.5;
                    x[r * side * side + i * side + j] = (float) (stripe + 0.5 * (random.nextDouble() * 2 - 1));
                }
            }
        }
        return new Batch(x, rows, side * side, labels, null);
    }

    static Batch randomBatch(SplittableRandom random, int rows, int dim, int classes) {
        float[] x = new float[rows * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = x[i * dim] > 0 ? 1 % classes : 0; // learnable from the first feature
        }
        return new Batch(x, rows, dim, labels, null);
    }

    private static int systemArrayCount() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    private static long zeros(float[] values) {
        long z = 0;
        for (float v : values) {
            if (v == 0f) {
                z++;
            }
        }
        return z;
    }
}
