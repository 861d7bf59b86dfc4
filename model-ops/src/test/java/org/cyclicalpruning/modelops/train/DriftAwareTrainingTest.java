package org.cyclicalpruning.modelops.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.drift.DriftState;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.Phase;
import org.cyclicalpruning.modelops.schedule.SparsitySchedules;
import org.junit.jupiter.api.Test;

/**
 * A drift-aware schedule in the trainer: the mask is held once the declared cycles are over, the
 * model's own error decides when a new cycle starts, and state restored anywhere detects at the
 * same batch.
 */
class DriftAwareTrainingTest {
    private static final int DRIFT_AT = 400;
    private static final int BATCHES = 560;
    private static final String SCHEDULE = "cyclical(final=0.6, period=100, cycles=2, ramp=0.5, clock=batches,"
            + " on-drift=restart, drift-ramp=40, cooldown=20)";

    private static TrainingConfig config() {
        return TrainingConfig.builder()
                .setModel(ModelSpec.mlp(12, new int[] {16}, 3))
                .setSchedule(SparsitySchedules.parse(SCHEDULE))
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(0.05))
                .optMaskUpdateInterval(5)
                .optDevice(DeviceChoice.CPU)
                .optSeed(5)
                .build();
    }

    @Test
    void theMaskHoldsUntilTheErrorRisesThenANewCycleStartsAtTheTriggeringBatch() {
        List<Batch> batches = stream();
        List<Integer> detections = new ArrayList<>();
        try (SparseTrainer trainer = SparseTrainer.create(config())) {
            for (int i = 0; i < BATCHES; i++) {
                StepResult r = trainer.step(batches.get(i), 1000L * i);
                if (r.driftDetected()) {
                    detections.add(i);
                }
                if (i >= 150 && i < DRIFT_AT) {
                    // after the declared ramps: the mask is held at the target, as GMP's would be
                    assertThat(r.point().phase()).isIn(Phase.HOLD, Phase.FINAL);
                    assertThat(r.point().sparsity()).isEqualTo(0.6);
                }
                if (i == DRIFT_AT - 1) {
                    assertThat(trainer.driftStatistic()).isLessThan(1);
                    assertThat(r.correct()).isGreaterThan(48); // the model had learnt the old labels
                }
            }
            // the labels flip at batch 400: the error jumps from a few percent to most of the batch
            assertThat(detections).hasSize(1);
            int detected = detections.get(0);
            assertThat(detected).isBetween(DRIFT_AT, DRIFT_AT + 2);
            DriftState drift = trainer.drift();
            assertThat(drift.detections()).isEqualTo(1);
            assertThat(drift.lastRestartTick()).isEqualTo(detected);
            assertThat(drift.lastDetectionEventTime()).isEqualTo(1000L * detected);
            assertThat(trainer.schedule().at(detected + 1).phase()).isEqualTo(Phase.PRUNE);
            assertThat(trainer.schedule().at(detected + 1).cycle()).isEqualTo(2);
            assertThat(trainer.schedule().at(detected + 1).sparsity()).isLessThan(0.1);
            assertThat(trainer.schedule().nextMilestone(detected + 1)).isEqualTo(detected + 40);
            assertThat(trainer.schedule().at(detected + 40).phase()).isEqualTo(Phase.HOLD);
            assertThat(trainer.masks().sparsity()).isCloseTo(0.6, org.assertj.core.data.Offset.offset(0.01));
            assertThat(trainer.masks().recoveredCount()).isPositive();
        }
    }

    @Test
    void aStateRestoredBeforeOrRightAfterTheDetectionDetectsAtTheSameBatchAndContinuesBitForBit() {
        List<Batch> batches = stream();
        for (int restoreAt : new int[] {300, DRIFT_AT + 1, DRIFT_AT + 2}) {
            try (SparseTrainer straight = SparseTrainer.create(config());
                    SparseTrainer first = SparseTrainer.create(config())) {
                for (int i = 0; i < restoreAt; i++) {
                    straight.step(batches.get(i), 1000L * i);
                    first.step(batches.get(i), 1000L * i);
                }
                TrainerState state = first.exportState();
                try (SparseTrainer restored = SparseTrainer.restore(config(), state, null)) {
                    assertThat(restored.drift()).isEqualTo(straight.drift());
                    for (int i = restoreAt; i < BATCHES; i++) {
                        StepResult a = straight.step(batches.get(i), 1000L * i);
                        StepResult b = restored.step(batches.get(i), 1000L * i);
                        assertThat(b.driftDetected()).as("batch %s", i).isEqualTo(a.driftDetected());
                        assertThat(b.point()).isEqualTo(a.point());
                        assertThat(b.loss()).isEqualTo(a.loss());
                    }
                    assertThat(restored.weights()).isDeepEqualTo(straight.weights());
                    assertThat(restored.drift()).isEqualTo(straight.drift());
                    assertThat(restored.drift().detections()).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void aRegressionModelDetectsTheRiseOfItsLoss() {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(ModelSpec.linear(8))
                .setSchedule(SparsitySchedules.parse("gradual(final=0.5, duration=100, clock=batches,"
                        + " on-drift=restart, drift-ramp=30, cooldown=30)"))
                .optOptimizer(OptimizerConfig.adam())
                .optLearningRate(LearningRate.constant(0.02))
                .optDevice(DeviceChoice.CPU)
                .build();
        SplittableRandom random = new SplittableRandom(9);
        List<Integer> detections = new ArrayList<>();
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            for (int i = 0; i < 600; i++) {
                // the target's weights move from the first four features to the last four at batch 400
                Batch b = regressionBatch(random, i < DRIFT_AT ? 0 : 4);
                if (trainer.step(b, i).driftDetected()) {
                    detections.add(i);
                }
            }
        }
        assertThat(detections).hasSize(1);
        assertThat(detections.get(0)).isBetween(DRIFT_AT, DRIFT_AT + 30);
    }

    /** A teacher's labels, which flip to the next class at {@link #DRIFT_AT}. */
    private static List<Batch> stream() {
        SplittableRandom random = new SplittableRandom(11);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < BATCHES; i++) {
            Batch b = SparseTrainerTest.randomBatch(random, 64, 12, 3);
            if (i >= DRIFT_AT) {
                int[] labels = b.labels().clone();
                for (int r = 0; r < labels.length; r++) {
                    labels[r] = (labels[r] + 1) % 3;
                }
                b = new Batch(b.features(), b.rows(), b.dim(), labels, null);
            }
            batches.add(b);
        }
        return batches;
    }

    private static Batch regressionBatch(SplittableRandom random, int firstWeighted) {
        int rows = 32;
        float[] x = new float[rows * 8];
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < 8; j++) {
                x[r * 8 + j] = (float) random.nextGaussian();
            }
            for (int j = firstWeighted; j < firstWeighted + 4; j++) {
                y[r] += x[r * 8 + j];
            }
            y[r] += (float) (0.05 * random.nextGaussian());
        }
        return new Batch(x, rows, 8, null, y);
    }
}
