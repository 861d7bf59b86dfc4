package org.cyclicalpruning.pipeline.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.pipeline.JobFixtures;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.TrainingBatch;
import org.junit.jupiter.api.Test;

/** Quantized features from producer to validator: exact on byte-valued data, refused elsewhere, checked on arrival. */
class Uint8FeaturesTest {
    private static final JobConfig CONFIG = JobConfig.builder()
            .models(List.of(JobFixtures.model("pix", "softmax:4x3", "constant(0.5)", "global", true, 0.1)))
            .build();
    private static final BatchValidator VALIDATOR = new BatchValidator(CONFIG.limits(), CONFIG.models());

    private static Batch pixels() {
        float[] x = new float[8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 37 % 256) / FashionMnist.PIXEL_DIVISOR;
        }
        return new Batch(x, 2, 4, new int[] {0, 2}, null);
    }

    @Test
    void byteValuedFeaturesTravelAsOneBytePerValueAndComeBackAsTheSameFloats() throws Exception {
        Batch batch = pixels();
        TrainingBatch record = TrainingBatches.quantized("pix", 1, 1000, batch, FashionMnist.PIXEL_DIVISOR);
        assertThat(record.getFeatures())
                .isInstanceOfSatisfying(
                        ByteBuffer.class, b -> assertThat(b.remaining()).isEqualTo(8));
        // three bytes fewer per value, four more for the divisor
        assertThat(TrainingBatches.toBytes(record).length)
                .isEqualTo(TrainingBatches.toBytes(TrainingBatches.packed("pix", 1, 1000, batch)).length - 3 * 8 + 4);

        ValidBatch v = VALIDATOR.validate(record, BatchValidator.Origin.of("in"));

        assertThat(v.uint8Divisor).isEqualTo(255f);
        assertThat(v.toBatch().features()).containsExactly(batch.features());
        assertThat(v.toRecord())
                .as("dead letters keep the record's own encoding")
                .isEqualTo(record);
    }

    @Test
    void realValuedFeaturesAreRefusedByTheProducer() {
        Batch batch = new Batch(new float[] {0.5f, 0.25f, 0.1f, 1f, 0, 0, 0, 0}, 2, 4, new int[] {0, 1}, null);
        assertThatThrownBy(() -> TrainingBatches.quantized("pix", 1, 1000, batch, 255f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("feature 0 = 0.5 is not a byte / 255.0");
    }

    @Test
    void badQuantizedRecordsAreRejectedWithTheirReason() {
        TrainingBatch good = TrainingBatches.quantized("pix", 1, 1000, pixels(), 255f);

        TrainingBatch shortBytes = TrainingBatch.newBuilder(good)
                .setFeatures(ByteBuffer.wrap(new byte[7]))
                .build();
        assertRejected(shortBytes, DeadLetterCause.SHAPE_MISMATCH, "uint8 features hold 7 bytes, rows x dim needs 8");

        TrainingBatch floatsAsBytes = TrainingBatch.newBuilder(TrainingBatches.packed("pix", 1, 1000, pixels()))
                .setUint8Divisor(255f)
                .build();
        assertRejected(floatsAsBytes, DeadLetterCause.SHAPE_MISMATCH, "uint8 features hold 32 bytes");

        TrainingBatch array = TrainingBatch.newBuilder(good)
                .setFeatures(List.of(0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f))
                .build();
        assertRejected(array, DeadLetterCause.SHAPE_MISMATCH, "must be bytes");

        for (float divisor : new float[] {0f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertRejected(
                    TrainingBatch.newBuilder(good).setUint8Divisor(divisor).build(),
                    DeadLetterCause.NON_FINITE_VALUE,
                    "uint8Divisor is " + divisor);
        }
    }

    private static void assertRejected(TrainingBatch b, DeadLetterCause cause, String message) {
        assertThatThrownBy(() -> VALIDATOR.validate(b, BatchValidator.Origin.of("in")))
                .isInstanceOfSatisfying(
                        BatchValidator.Rejected.class,
                        e -> assertThat(e.cause()).isEqualTo(cause))
                .hasMessageContaining(message);
    }
}
