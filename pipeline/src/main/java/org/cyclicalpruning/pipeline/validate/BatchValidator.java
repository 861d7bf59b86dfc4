package org.cyclicalpruning.pipeline.validate;

import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.pipeline.config.ModelDefinition;
import org.cyclicalpruning.pipeline.config.ModelRegistry;
import org.cyclicalpruning.pipeline.config.ValidationLimits;
import org.cyclicalpruning.schemas.DeadLetterCause;
import org.cyclicalpruning.schemas.RegistryFraming;
import org.cyclicalpruning.schemas.TrainingBatch;

/**
 * Checks every decoded batch before anything is sized from it or trained on it: model id, Kafka
 * key and event time first, then the header (rows, dim and their product, in {@code long}, against
 * the configured bounds), then the model, the payload against the header, and the values (finite,
 * and within {@code limits.max-abs-value}; float32 features are scanned, uint8 ones are bounded
 * by their divisor). A rejection carries the cause its dead letter names.
 *
 * <p>It runs in the source, before timestamps and watermarks are assigned, so that a rejected
 * record never moves a watermark.
 */
public final class BatchValidator implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final VarHandle LITTLE_ENDIAN_INTS =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    /** The largest byte value of a uint8 feature. */
    private static final float MAX_BYTE = 255f;

    private final ValidationLimits limits;
    private final ModelRegistry models;
    /** Bits of the largest magnitude allowed: above it (NaN and infinities included) a value is out. */
    private final int maxAbsBits;

    /**
     * Creates the validator.
     *
     * @param limits the bounds records are checked against
     * @param models the models batches may train
     */
    public BatchValidator(ValidationLimits limits, ModelRegistry models) {
        this.limits = limits;
        this.models = models;
        // at most the largest finite float: infinities must stay out whatever the limit
        this.maxAbsBits = Math.min(Float.floatToIntBits((float) limits.maxAbsValue()), 0x7f7fffff);
    }

    /**
     * Where a record came from: what a check needs besides the record's value.
     *
     * @param topic the source topic
     * @param partition the source partition
     * @param offset the source offset
     * @param key the Kafka key, or null for a record without one
     * @param timestamp the Kafka timestamp (epoch ms), negative if the record has none
     */
    public record Origin(String topic, int partition, long offset, byte[] key, long timestamp) {
        /** Returns the origin of a record without key or timestamp, for tests and tools. */
        public static Origin of(String topic) {
            return new Origin(topic, 0, 0, null, -1);
        }
    }

    /**
     * Checks a decoded batch and unpacks it for training.
     *
     * @param b the record, decoded
     * @param origin where it came from
     * @return the batch, ready to train on
     * @throws Rejected with the cause a dead letter names
     */
    public ValidBatch validate(TrainingBatch b, Origin origin) throws Rejected {
        String modelId = b.getModelId();
        checkModelId(modelId, origin.key());
        checkEventTime(b.getEventTime(), origin.timestamp());
        long rows = b.getRows();
        long dim = b.getDim();
        if (rows < 0 || dim <= 0) {
            throw new Rejected(DeadLetterCause.BAD_HEADER, "batch claims " + rows + " rows of " + dim + " features");
        }
        if (rows == 0) {
            throw new Rejected(DeadLetterCause.EMPTY_BATCH, "batch has 0 rows");
        }
        if (rows > limits.maxBatchRows()) {
            throw new Rejected(
                    DeadLetterCause.BATCH_TOO_LARGE,
                    "batch has " + rows + " rows, limits.max-batch-rows is " + limits.maxBatchRows());
        }
        if (rows * dim > limits.maxBatchValues()) {
            throw new Rejected(
                    DeadLetterCause.BATCH_TOO_LARGE,
                    "batch has " + rows + " x " + dim + " feature values, limits.max-batch-values is "
                            + limits.maxBatchValues());
        }
        ModelSpec spec = specOf(modelId);
        if (dim != spec.inputs()) {
            throw new Rejected(
                    DeadLetterCause.SHAPE_MISMATCH,
                    "batch has " + dim + " features per row, model " + modelId + " (" + spec.toText() + ") takes "
                            + spec.inputs());
        }
        int n = (int) (rows * dim);
        Float divisor = b.getUint8Divisor();
        byte[] features;
        if (divisor == null) {
            features = packedFeatures(b.getFeatures(), n);
            checkFeatures(features, n);
        } else {
            checkDivisor(divisor);
            features = quantizedFeatures(b.getFeatures(), n);
        }
        ValidBatch v = new ValidBatch();
        v.uint8Divisor = divisor == null ? 0f : divisor;
        if (spec.isClassifier()) {
            v.labels = labels(b.getLabels(), (int) rows, spec.classes(), modelId);
        } else {
            v.targets = targets(b.getTargets(), (int) rows, modelId);
        }
        v.modelId = modelId;
        v.sequence = b.getSequence();
        v.eventTime = b.getEventTime();
        v.rows = (int) rows;
        v.dim = (int) dim;
        v.features = features;
        v.topic = origin.topic();
        v.partition = origin.partition();
        v.offset = origin.offset();
        return v;
    }

    private void checkModelId(String modelId, byte[] key) throws Rejected {
        long bytes = utf8Length(modelId);
        if (bytes == 0 || bytes > limits.maxModelIdBytes()) {
            throw new Rejected(
                    DeadLetterCause.BAD_MODEL_ID,
                    "model id of " + bytes + " bytes; ids are 1 to " + limits.maxModelIdBytes()
                            + " bytes of UTF-8 (limits.max-model-id-bytes)");
        }
        // a batch keyed by another id lands in that id's partition, out of order with its own model's
        // other batches; which of the two it was meant for is a guess, so it trains neither
        if (key != null && !keyNames(key, modelId)) {
            throw new Rejected(
                    DeadLetterCause.KEY_MISMATCH,
                    "Kafka key is not the model id '" + modelId + "' (records are keyed by their model id)");
        }
    }

    /**
     * Returns whether a Kafka key is the model id as producers write it: in UTF-8 (a string
     * serializer), or as an Avro string in a schema registry's wire format (Python's AvroProducer
     * and Java's KafkaAvroSerializer with the key schema {@code "string"}). The schema id is not
     * looked up: bytes that spell the id as an Avro string name it, whatever schema they claim.
     */
    static boolean keyNames(byte[] key, String modelId) {
        byte[] utf8 = modelId.getBytes(StandardCharsets.UTF_8);
        if (Arrays.equals(key, utf8)) {
            return true;
        }
        return RegistryFraming.isFramed(key)
                && Arrays.equals(key, RegistryFraming.frameString(RegistryFraming.schemaId(key), modelId));
    }

    private void checkEventTime(long eventTime, long timestamp) throws Rejected {
        if (eventTime < 0) {
            throw new Rejected(DeadLetterCause.EVENT_TIME_OUT_OF_RANGE, "event time " + eventTime + " is negative");
        }
        // both are >= 0 here, so the difference cannot overflow
        if (timestamp >= 0 && eventTime - timestamp > limits.maxEventTimeSkewMillis()) {
            throw new Rejected(
                    DeadLetterCause.EVENT_TIME_OUT_OF_RANGE,
                    "event time " + eventTime + " is " + (eventTime - timestamp)
                            + " ms ahead of the record's Kafka timestamp " + timestamp
                            + "; limits.max-event-time-skew is " + limits.maxEventTimeSkewMillis() + " ms");
        }
    }

    private void checkFeatures(byte[] packed, int n) throws Rejected {
        int at = firstBeyond(packed, n, maxAbsBits);
        if (at >= 0) {
            float f = Float.intBitsToFloat((int) LITTLE_ENDIAN_INTS.get(packed, 4 * at));
            throw Float.isFinite(f)
                    ? new Rejected(
                            DeadLetterCause.VALUE_OUT_OF_RANGE,
                            "feature " + at + " is " + f + ", beyond limits.max-abs-value " + limits.maxAbsValue())
                    : new Rejected(DeadLetterCause.NON_FINITE_VALUE, "feature " + at + " is " + f);
        }
    }

    private void checkDivisor(float divisor) throws Rejected {
        // every byte / divisor is finite when the divisor is finite and not zero
        if (!Float.isFinite(divisor) || divisor == 0) {
            throw new Rejected(
                    DeadLetterCause.NON_FINITE_VALUE,
                    "uint8Divisor is " + divisor + ": features = byte / uint8Divisor would not be finite numbers");
        }
        if (MAX_BYTE / Math.abs(divisor) > limits.maxAbsValue()) {
            throw new Rejected(
                    DeadLetterCause.VALUE_OUT_OF_RANGE,
                    "uint8Divisor is " + divisor + ": features up to 255 / " + divisor
                            + " are beyond limits.max-abs-value " + limits.maxAbsValue());
        }
    }

    /** Rejects a batch whose labels or targets are missing or not one per row. */
    private static void checkOnePerRow(List<?> values, int rows, String model, String what) throws Rejected {
        if (values == null || values.size() != rows) {
            throw new Rejected(
                    DeadLetterCause.LABEL_MISMATCH,
                    model + " needs " + rows + " " + what + ", got " + (values == null ? "none" : values.size()));
        }
    }

    private static int[] labels(List<Integer> labels, int rows, int classes, String modelId) throws Rejected {
        checkOnePerRow(labels, rows, "classifier " + modelId, "labels");
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            int label = labels.get(i);
            if (label < 0 || label >= classes) {
                throw new Rejected(
                        DeadLetterCause.LABEL_OUT_OF_RANGE,
                        "label " + label + " of row " + i + " is outside [0, " + classes + ")");
            }
            out[i] = label;
        }
        return out;
    }

    private float[] targets(List<Float> targets, int rows, String modelId) throws Rejected {
        checkOnePerRow(targets, rows, "regression " + modelId, "targets");
        float[] out = new float[rows];
        for (int i = 0; i < rows; i++) {
            float t = targets.get(i);
            if (!Float.isFinite(t)) {
                throw new Rejected(DeadLetterCause.NON_FINITE_VALUE, "target of row " + i + " is " + t);
            }
            if ((Float.floatToRawIntBits(t) & 0x7fffffff) > maxAbsBits) {
                throw new Rejected(
                        DeadLetterCause.VALUE_OUT_OF_RANGE,
                        "target of row " + i + " is " + t + ", beyond limits.max-abs-value " + limits.maxAbsValue());
            }
            out[i] = t;
        }
        return out;
    }

    /**
     * Returns the index of the first of the n packed floats whose magnitude is above the float
     * with bits {@code maxAbsBits} (NaN and infinities are), or -1. Compares raw bits (magnitudes
     * order like their bit patterns), a block of 64 at a time without an early exit, which the JIT
     * compiles without branches: this runs over every value of every batch.
     */
    static int firstBeyond(byte[] packed, int n, int maxAbsBits) {
        for (int block = 0; block < n; block += 64) {
            int end = Math.min(n, block + 64);
            int any = 0;
            for (int i = block; i < end; i++) {
                int bits = (int) LITTLE_ENDIAN_INTS.get(packed, 4 * i);
                any |= (bits & 0x7fffffff) > maxAbsBits ? 1 : 0;
            }
            if (any != 0) {
                for (int i = block; i < end; i++) {
                    if (((int) LITTLE_ENDIAN_INTS.get(packed, 4 * i) & 0x7fffffff) > maxAbsBits) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    /** Returns the length of the string in UTF-8 bytes, without encoding it. */
    static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private ModelSpec specOf(String modelId) throws Rejected {
        return models.lookup(modelId)
                .map(ModelDefinition::spec)
                .orElseThrow(() -> new Rejected(
                        DeadLetterCause.UNKNOWN_MODEL,
                        "no model '" + modelId + "' is declared and no default-model is configured"));
    }

    private static byte[] packedFeatures(Object payload, int n) throws Rejected {
        if (payload instanceof ByteBuffer) {
            ByteBuffer bytes = ((ByteBuffer) payload).duplicate();
            if (bytes.remaining() != 4L * n) {
                throw new Rejected(
                        DeadLetterCause.SHAPE_MISMATCH,
                        "packed features hold " + bytes.remaining() + " bytes, rows x dim needs " + 4L * n);
            }
            return ownBytes(bytes);
        }
        @SuppressWarnings("unchecked")
        List<Float> list = (List<Float>) payload;
        if (list.size() != n) {
            throw new Rejected(
                    DeadLetterCause.SHAPE_MISMATCH, "features hold " + list.size() + " values, rows x dim needs " + n);
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
                    DeadLetterCause.SHAPE_MISMATCH,
                    "uint8Divisor is set, so features must be bytes, one per value, not an array of floats");
        }
        ByteBuffer bytes = ((ByteBuffer) payload).duplicate();
        if (bytes.remaining() != n) {
            throw new Rejected(
                    DeadLetterCause.SHAPE_MISMATCH,
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

    /** A batch that fails validation, with the cause for the dead-letter record. */
    public static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        private final DeadLetterCause cause;

        Rejected(DeadLetterCause cause, String message) {
            super(message, null, false, false);
            this.cause = cause;
        }

        /** Returns the cause the dead letter names. */
        public DeadLetterCause cause() {
            return cause;
        }
    }
}
