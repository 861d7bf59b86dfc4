package org.cyclicalpruning.modelops.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.Clock;
import org.cyclicalpruning.modelops.schedule.CyclicalSparsitySchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainerStateTest {

    private static TrainingConfig config(OptimizerConfig optimizer) {
        return config(optimizer, ModelSpec.mlp(12, new int[] {10}, 3));
    }

    private static TrainingConfig config(OptimizerConfig optimizer, ModelSpec model) {
        return TrainingConfig.builder()
                .setModel(model)
                .setSchedule(CyclicalSparsitySchedule.builder()
                        .setClock(Clock.EVENT_TIME)
                        .setCycleLength(400)
                        .optCycles(CyclicalSparsitySchedule.UNBOUNDED)
                        .setFinalSparsity(0.8)
                        .build())
                .optOptimizer(optimizer)
                .optLearningRate(LearningRate.constant(0.05))
                .optMaskUpdateInterval(3)
                .optDevice(DeviceChoice.CPU)
                .optSeed(7)
                .build();
    }

    @ParameterizedTest
    @EnumSource(OptimizerConfig.Kind.class)
    void aRestoredTrainerContinuesBitForBit(OptimizerConfig.Kind kind) {
        continuesBitForBit(
                config(kind == OptimizerConfig.Kind.SGD ? OptimizerConfig.sgd(0.9) : OptimizerConfig.adam()));
    }

    @Test
    void aRestoredCnnContinuesBitForBitWithItsBatchNormalisationsRunningStatistics() {
        // 12 inputs as 3 channels of 2x2
        continuesBitForBit(config(OptimizerConfig.sgd(0.9), ModelSpec.parse("cnn:3x2x2-c4k3bn-c5k1bn-f6-3")));
    }

    private static void continuesBitForBit(TrainingConfig config) {
        SplittableRandom random = new SplittableRandom(3);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            batches.add(SparseTrainerTest.randomBatch(random, 8, 12, 3));
        }
        long t0 = 1_700_000_000_000L;
        try (SparseTrainer straight = SparseTrainer.create(config);
                SparseTrainer first = SparseTrainer.create(config)) {
            for (int i = 0; i < 70; i++) {
                straight.step(batches.get(i), t0 + 10L * i);
                first.step(batches.get(i), t0 + 10L * i);
            }
            TrainerState state = first.exportState();
            assertThat(state.steps()).isEqualTo(70);
            assertThat(state.anchor()).isEqualTo(t0);
            assertThat(state.masks().prunedCount()).isPositive();
            try (SparseTrainer restored = SparseTrainer.restore(config, state, null)) {
                for (int i = 70; i < batches.size(); i++) {
                    StepResult a = straight.step(batches.get(i), t0 + 10L * i);
                    StepResult b = restored.step(batches.get(i), t0 + 10L * i);
                    assertThat(b.loss()).isEqualTo(a.loss());
                    assertThat(b.point()).isEqualTo(a.point());
                }
                assertThat(restored.weights()).isDeepEqualTo(straight.weights());
                assertThat(restored.masks().recoveredCount())
                        .isEqualTo(straight.masks().recoveredCount());
                assertThat(restored.steps()).isEqualTo(straight.steps());
            }
        }
    }

    @Test
    void aStateOfAnotherModelIsRejected() {
        try (SparseTrainer trainer = SparseTrainer.create(config(OptimizerConfig.sgd(0.9)))) {
            TrainerState state = trainer.exportState();
            TrainingConfig other = config(OptimizerConfig.sgd(0.9)).toBuilder()
                    .setModel(ModelSpec.mlp(12, new int[] {11}, 3))
                    .build();
            assertThatThrownBy(() -> SparseTrainer.restore(other, state, null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("values");
        }
    }
}
