package org.cyclicalpruning.modelops.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.junit.jupiter.api.Test;

/** Input standardisation as part of a model: given or estimated online, the same on every wire form. */
class InputScalingTest {
    private static final ModelSpec SPEC = ModelSpec.mlp(16, new int[] {8}, 3);

    @Test
    void theTextFormReadsBackAndNamesWhatIsAccepted() {
        for (String text : new String[] {"none", "standardize(online)", "standardize(mean=0.286, std=0.353)"}) {
            assertThat(InputScaling.parse(InputScaling.parse(text).toText())).isEqualTo(InputScaling.parse(text));
        }
        assertThat(InputScaling.parse("standardise(mean=1, std=2)")).isEqualTo(InputScaling.standardize(1, 2));
        assertThatThrownBy(() -> InputScaling.parse("standardize(mean=1)"))
                .hasMessageContaining("expected none, standardize(mean=M, std=S) or standardize(online)");
        assertThatThrownBy(() -> InputScaling.parse("standardize(mean=1, std=0)"))
                .hasMessageContaining("std must be positive");
    }

    @Test
    void aGivenStandardisationTrainsExactlyAsFeaturesStandardisedBeforehand() {
        InputStandardization scale = new InputStandardization(0.25f, 0.5f);
        try (SparseTrainer scaled = trainer(InputScaling.standardize(0.25f, 0.5f));
                SparseTrainer plain = trainer(InputScaling.none())) {
            SplittableRandom random = new SplittableRandom(3);
            for (int step = 0; step < 20; step++) {
                Batch b = pixels(random, 8);
                Batch standardized = new Batch(scale.apply(b.features()), b.rows(), b.dim(), b.labels(), null);
                assertThat(scaled.step(b, step).loss())
                        .isEqualTo(plain.step(standardized, step).loss());
            }
            assertThat(scaled.weights()).isDeepEqualTo(plain.weights());
            assertThat(scaled.inputStandardization()).contains(scale);
            assertThat(plain.inputStandardization()).isEmpty();
        }
    }

    @Test
    void uint8PackedAndFloatBatchesTrainAlikeUnderStandardisation() {
        for (InputScaling scaling : new InputScaling[] {InputScaling.standardize(0.3f, 0.35f), InputScaling.online()}) {
            try (SparseTrainer floats = trainer(scaling);
                    SparseTrainer packed = trainer(scaling);
                    SparseTrainer bytes = trainer(scaling)) {
                SplittableRandom random = new SplittableRandom(4);
                for (int step = 0; step < 15; step++) {
                    byte[] raw = new byte[8 * SPEC.inputs()];
                    for (int i = 0; i < raw.length; i++) {
                        raw[i] = (byte) random.nextInt(256);
                    }
                    float[] x = Uint8Features.decode(raw, 255f);
                    int[] labels = labels(random, 8);
                    ByteBuffer le = ByteBuffer.allocate(4 * x.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    le.asFloatBuffer().put(x);
                    double a = floats.step(new Batch(x, 8, SPEC.inputs(), labels, null), step)
                            .loss();
                    double b = packed.step(le, 8, SPEC.inputs(), labels, null, step)
                            .loss();
                    double c = bytes.stepUint8(ByteBuffer.wrap(raw), 255f, 8, SPEC.inputs(), labels, null, step)
                            .loss();
                    assertThat(b).as("%s packed", scaling).isEqualTo(a);
                    assertThat(c).as("%s uint8", scaling).isEqualTo(a);
                }
                assertThat(bytes.weights()).isDeepEqualTo(floats.weights());
            }
        }
    }

    @Test
    void anOnlineEstimateIsTheMeanAndDeviationOfEveryValueTrainedOn() {
        try (SparseTrainer t = trainer(InputScaling.online())) {
            SplittableRandom random = new SplittableRandom(5);
            double sum = 0;
            double squares = 0;
            long n = 0;
            for (int step = 0; step < 10; step++) {
                Batch b = pixels(random, 4 + step);
                for (float v : b.features()) {
                    sum += v;
                    squares += (double) v * v;
                    n++;
                }
                t.step(b, step);
            }
            double mean = sum / n;
            InputStandardization s = t.inputStandardization().orElseThrow();
            assertThat((double) s.mean()).isCloseTo(mean, within(1e-6));
            assertThat((double) s.std()).isCloseTo(Math.sqrt(squares / n - mean * mean), within(1e-6));
            assertThat(t.exportState().inputStats().count()).isEqualTo(n);
        }
    }

    @Test
    void aRejectedStepLeavesTheOnlineEstimateAsItWas() {
        try (SparseTrainer t = trainer(InputScaling.online())) {
            SplittableRandom random = new SplittableRandom(6);
            t.step(pixels(random, 8), 0);
            InputStats before = t.exportState().inputStats();
            float[] x = pixels(random, 8).features();
            x[3] = Float.POSITIVE_INFINITY;
            assertThat(t.step(new Batch(x, 8, SPEC.inputs(), labels(random, 8), null), 1)
                            .accepted())
                    .isFalse();
            assertThat(t.exportState().inputStats()).isEqualTo(before);
        }
    }

    @Test
    void aRestoredTrainerKeepsItsEstimateAndContinuesBitForBit() {
        SplittableRandom random = new SplittableRandom(7);
        Batch[] batches = new Batch[12];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = pixels(random, 8);
        }
        try (SparseTrainer straight = trainer(InputScaling.online())) {
            TrainerState half;
            try (SparseTrainer first = trainer(InputScaling.online())) {
                for (int i = 0; i < 6; i++) {
                    first.step(batches[i], i);
                }
                half = first.exportState();
            }
            try (SparseTrainer resumed = SparseTrainer.restore(config(InputScaling.online()), half, null)) {
                for (int i = 0; i < batches.length; i++) {
                    straight.step(batches[i], i);
                    if (i >= 6) {
                        resumed.step(batches[i], i);
                    }
                }
                assertThat(resumed.weights()).isDeepEqualTo(straight.weights());
                assertThat(resumed.inputStandardization()).isEqualTo(straight.inputStandardization());
            }
        }
    }

    @Test
    void trainedWeightsCanBeLoadedBeforeTheFirstStepOnly() {
        try (SparseTrainer source = trainer(InputScaling.none());
                SparseTrainer target = trainer(InputScaling.none())) {
            SplittableRandom random = new SplittableRandom(8);
            for (int i = 0; i < 5; i++) {
                source.step(pixels(random, 8), i);
            }
            target.loadWeights(source.weights());
            assertThat(target.weights()).isDeepEqualTo(source.weights());
            target.step(pixels(random, 8), 0);
            assertThatThrownBy(() -> target.loadWeights(source.weights()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("before the first step");
        }
    }

    private static SparseTrainer trainer(InputScaling scaling) {
        return SparseTrainer.create(config(scaling));
    }

    private static TrainingConfig config(InputScaling scaling) {
        return TrainingConfig.builder()
                .setModel(SPEC)
                .setSchedule(SparsitySchedule.constant(0.5))
                .optLearningRate(LearningRate.constant(0.05))
                .optDevice(DeviceChoice.CPU)
                .optInputScaling(scaling)
                .build();
    }

    private static Batch pixels(SplittableRandom random, int rows) {
        float[] x = new float[rows * SPEC.inputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextInt(256) / 255f;
        }
        return new Batch(x, rows, SPEC.inputs(), labels(random, rows), null);
    }

    private static int[] labels(SplittableRandom random, int rows) {
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = random.nextInt(SPEC.outputs());
        }
        return y;
    }
}
