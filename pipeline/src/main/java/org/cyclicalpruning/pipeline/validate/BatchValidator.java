package org.cyclicalpruning.pipeline.validate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.pipeline.config.ModelDefinition;
import org.cyclicalpruning.pipeline.config.ModelRegistry;
import org.cyclicalpruning.pipeline.config.ValidationLimits;
import org.cyclicalpruning.pipeline.source.Received;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterReason;
import org.cyclicalpruning.schemas.TrainingBatch;

/**
 * Checks every batch against its model before training: known model, sizes within the configured
 * bounds (checked before anything is allocated), shape, labels and finite values (float32
 * features are scanned; uint8 ones are finite by construction once their divisor is). Good batches go
 * on unpacked; bad ones go to {@link DeadLetters#TAG} with a named reason, and the job goes on.
 */
public final class BatchValidator extends ProcessFunction<Received, ValidBatch> {
    private static final VarHandle LITTLE_ENDIAN_INTS =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long serialVersionUID = 1L;

    private final ValidationLimits limits;
    private final ModelRegistry models;

    /**
     * Creates the validator.
     *
     * @param limits the bounds records are checked against
     * @param models the models batches may train
     */
    public BatchValidator(ValidationLimits limits, ModelRegistry models) {
        this.limits = limits;
        this.models = models;
    }

    @Override
    public void processElement(Received r, Context ctx, Collector<ValidBatch> out) {
        if (r.batch == null) {
            ctx.output(DeadLetters.TAG, deadLetter(r, null, r.failure, r.message));
            return;
        }
        try {
            out.collect(validate(r));
        } catch (Rejected e) {
            // the record's own bytes, as read: re-encoding it would size a buffer from its claims
            ctx.output(DeadLetters.TAG, deadLetter(r, r.batch.getModelId(), e.reason, e.getMessage()));
        }
    }

    /**
     * Checks a decoded batch and unpacks it for training.
     *
     * @param r the record, decoded
     * @return the batch, ready to train on
     * @throws Rejected with the reason a dead letter names
     */
    public ValidBatch validate(Received r) throws Rejected {
        TrainingBatch b = r.batch;
        ModelSpec spec = specOf(b.getModelId());
        long rows = b.getRows();
        long dim = b.getDim();
        if (rows <= 0) {
            throw new Rejected(DeadLetterReason.EMPTY_BATCH, "batch has " + rows + " rows");
        }
        if (rows > limits.maxBatchRows()) {
            throw new Rejected(
                    DeadLetterReason.BATCH_TOO_LARGE,
                    "batch has " + rows + " rows, max-batch-rows is " + limits.maxBatchRows());
        }
        if (rows * dim > limits.maxBatchValues()) {
            throw new Rejected(
                    DeadLetterReason.BATCH_TOO_LARGE,
                    "batch has " + rows + " x " + dim + " feature values, max-batch-values is "
                            + limits.maxBatchValues());
        }
        if (dim != spec.inputs()) {
            throw new Rejected(
                    DeadLetterReason.SHAPE_MISMATCH,
                    "batch has " + dim + " features per row, model " + b.getModelId() + " (" + spec.toText()
                            + ") takes " + spec.inputs());
        }
        int n = (int) (rows * dim);
        Float divisor = b.getUint8Divisor();
        byte[] features;
        if (divisor == null) {
            features = packedFeatures(b.getFeatures(), n);
            int nonFinite = firstNonFinite(features, n);
            if (nonFinite >= 0) {
                float f = Float.intBitsToFloat((int) LITTLE_ENDIAN_INTS.get(features, 4 * nonFinite));
                throw new Rejected(DeadLetterReason.NON_FINITE_VALUE, "feature " + nonFinite + " is " + f);
            }
        } else {
            // every byte / divisor is finite when the divisor is finite and not zero
            if (!Float.isFinite(divisor) || divisor == 0) {
                throw new Rejected(
                        DeadLetterReason.NON_FINITE_VALUE,
                        "uint8Divisor is " + divisor + ": features = byte / uint8Divisor would not be finite numbers");
            }
            features = quantizedFeatures(b.getFeatures(), n);
        }
        ValidBatch v = new ValidBatch();
        v.uint8Divisor = divisor == null ? 0f : divisor;
        if (spec.isClassifier()) {
            List<Integer> labels = b.getLabels();
            checkOnePerRow(labels, rows, "classifier " + b.getModelId(), "labels");
            v.labels = new int[(int) rows];
            int classes = spec.classes();
            for (int i = 0; i < rows; i++) {
                int label = labels.get(i);
                if (label < 0 || label >= classes) {
                    throw new Rejected(
                            DeadLetterReason.LABEL_OUT_OF_RANGE,
                            "label " + label + " of row " + i + " is outside [0, " + classes + ")");
                }
                v.labels[i] = label;
            }
        } else {
            List<Float> targets = b.getTargets();
            checkOnePerRow(targets, rows, "regression " + b.getModelId(), "targets");
            v.targets = new float[(int) rows];
            for (int i = 0; i < rows; i++) {
                float t = targets.get(i);
                if (!Float.isFinite(t)) {
                    throw new Rejected(DeadLetterReason.NON_FINITE_VALUE, "target of row " + i + " is " + t);
                }
                v.targets[i] = t;
            }
        }
        v.modelId = b.getModelId();
        v.sequence = b.getSequence();
        v.eventTime = b.getEventTime();
        v.rows = (int) rows;
        v.dim = (int) dim;
        v.features = features;
        v.topic = r.topic;
        v.partition = r.partition;
        v.offset = r.offset;
        return v;
    }

    /**
     * Returns the index of the first NaN or infinity among the n packed floats, or -1. Reads raw
     * bits (all exponent bits set means not finite), a block of 64 at a time without an early
     * exit, which the JIT compiles without branches: this runs over every value of every batch.
     */
    static int firstNonFinite(byte[] packed, int n) {
        for (int block = 0; block < n; block += 64) {
            int end = Math.min(n, block + 64);
            int any = 0;
            for (int i = block; i < end; i++) {
                int bits = (int) LITTLE_ENDIAN_INTS.get(packed, 4 * i);
                any |= (bits & 0x7f800000) == 0x7f800000 ? 1 : 0;
            }
            if (any != 0) {
                for (int i = block; i < end; i++) {
                    if (!Float.isFinite(Float.intBitsToFloat((int) LITTLE_ENDIAN_INTS.get(packed, 4 * i)))) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    private ModelSpec specOf(String modelId) throws Rejected {
        return models.lookup(modelId)
                .map(ModelDefinition::spec)
                .orElseThrow(() -> new Rejected(
                        DeadLetterReason.UNKNOWN_MODEL,
                        "no model '" + modelId + "' is declared and no default-model is configured"));
    }

    /** Rejects a batch whose labels or targets are missing or not one per row. */
    private static void checkOnePerRow(List<?> values, long rows, String model, String what) throws Rejected {
        if (values == null || values.size() != rows) {
            throw new Rejected(
                    DeadLetterReason.LABEL_MISMATCH,
                    model + " needs " + rows + " " + what + ", got " + (values == null ? "none" : values.size()));
        }
    }

    private static byte[] packedFeatures(Object payload, int n) throws Rejected {
        if (payload instanceof ByteBuffer) {
            ByteBuffer bytes = ((ByteBuffer) payload).duplicate();
            if (bytes.remaining() != 4L * n) {
                throw new Rejected(
                        DeadLetterReason.SHAPE_MISMATCH,
                        "packed features hold " + bytes.remaining() + " bytes, rows x dim needs " + 4L * n);
            }
            return ownBytes(bytes);
        }
        @SuppressWarnings("unchecked")
        List<Float> list = (List<Float>) payload;
        if (list.size() != n) {
            throw new Rejected(
                    DeadLetterReason.SHAPE_MISMATCH, "features hold " + list.size() + " values, rows x dim needs " + n);
        }
        ByteBuffer packed = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            packed.putFloat(list.get(i));
        }
        return packed.array();
    }

    private static byte[] quantizedFeatures(Object payload, int n) throws Rejected {
        if (!(payload instanceof ByteBuffer)) {
            throw new Rejected(
                    DeadLetterReason.SHAPE_MISMATCH,
                    "uint8Divisor is set, so features must be bytes, one per value, not an array of floats");
        }
        ByteBuffer bytes = ((ByteBuffer) payload).duplicate();
        if (bytes.remaining() != n) {
            throw new Rejected(
                    DeadLetterReason.SHAPE_MISMATCH,
                    "uint8 features hold " + bytes.remaining() + " bytes, rows x dim needs " + n);
        }
        return ownBytes(bytes);
    }

    private static byte[] ownBytes(ByteBuffer bytes) {
        if (bytes.hasArray()
                && bytes.arrayOffset() == 0
                && bytes.position() == 0
                && bytes.array().length == bytes.remaining()) {
            return bytes.array(); // Avro decoded the field into an array of its own: no copy needed
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        return copy;
    }

    private static DeadLetter deadLetter(Received r, String modelId, DeadLetterReason reason, String message) {
        return DeadLetters.of(r.topic, r.partition, r.offset, modelId, reason, message, r.raw);
    }

    /** A batch that fails validation, with the reason for the dead-letter record. */
    public static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        private final DeadLetterReason reason;

        Rejected(DeadLetterReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        /** Returns the reason the dead letter names. */
        public DeadLetterReason reason() {
            return reason;
        }
    }
}
