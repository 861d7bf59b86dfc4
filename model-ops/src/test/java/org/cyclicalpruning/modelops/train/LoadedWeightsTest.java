package org.cyclicalpruning.modelops.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.junit.jupiter.api.Test;

/**
 * Weights loaded into a trainer (a model that arrives trained) are the ones its masks prune: the
 * engine gives a tensor new memory when it is set from an array, and views of the old memory
 * would prune by magnitudes of freed memory and write their zeros there.
 */
class LoadedWeightsTest {
    @Test
    void loadedWeightsArePrunedByTheirOwnMagnitudesAndStayPrunedWhileTheMaskHolds() {
        ModelSpec spec = ModelSpec.mlp(20, new int[] {16}, 3);
        TrainingConfig config = TrainingConfig.builder()
                .setModel(spec)
                .setSchedule(SparsitySchedule.oneShot(Duration.ZERO, 0.5))
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(1e-6))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(2);
        int[][] shapes = spec.layout().shapes();
        float[][] weights = new float[shapes.length][];
        for (int p = 0; p < shapes.length; p++) {
            int n = 1;
            for (int d : shapes[p]) {
                n *= d;
            }
            weights[p] = new float[n];
            for (int i = 0; i < n; i++) {
                // magnitudes far apart from the initialisation's, so that a mask from either is told apart
                weights[p][i] = (float) ((random.nextBoolean() ? 1 : -1) * (1 + 9 * random.nextDouble()));
            }
        }
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            trainer.loadWeights(weights);
            for (int s = 0; s < 5; s++) {
                trainer.step(SparseTrainerTest.randomBatch(random, 16, 20, 3), s);
            }
            TrainerState state = trainer.exportState();
            int[] prunable = spec.layout().prunable();
            float threshold = medianMagnitude(weights, prunable);
            for (int t = 0; t < prunable.length; t++) {
                float[] loaded = weights[prunable[t]];
                float[] now = state.params()[prunable[t]];
                for (int i = 0; i < loaded.length; i++) {
                    if (state.masks().isKept(t, i)) {
                        assertThat(Math.abs(loaded[i]))
                                .as("kept weight %s of %s", i, t)
                                .isGreaterThanOrEqualTo(threshold);
                        assertThat(now[i]).isCloseTo(loaded[i], org.assertj.core.data.Offset.offset(1e-3f));
                    } else {
                        assertThat(Math.abs(loaded[i]))
                                .as("pruned weight %s of %s", i, t)
                                .isLessThanOrEqualTo(threshold);
                        assertThat(now[i])
                                .as("pruned weight %s of %s in the tensor", i, t)
                                .isZero();
                    }
                }
            }
        }
    }

    private static float medianMagnitude(float[][] weights, int[] prunable) {
        int n = 0;
        for (int p : prunable) {
            n += weights[p].length;
        }
        float[] all = new float[n];
        int k = 0;
        for (int p : prunable) {
            for (float w : weights[p]) {
                all[k++] = Math.abs(w);
            }
        }
        java.util.Arrays.sort(all);
        return all[n / 2];
    }
}
