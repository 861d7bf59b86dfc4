package org.cyclicalpruning.modelops.train;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.cyclicalpruning.modelops.data.Uint8Features;
import org.cyclicalpruning.modelops.model.InputStandardization;

/**
 * The reused native buffer a batch's features are written into before they become an {@code
 * NDArray}: handed a heap array, DJL would allocate and zero a new direct buffer for every batch.
 * Features arrive as floats, as packed float32 bytes (one memcpy) or as unsigned bytes over a
 * divisor (decoded through a 256-entry table, with no {@code float[]} in between). Not thread-safe.
 */
final class BatchStaging {
    private ByteBuffer buffer;
    // uint8 batches: byte value -> feature, for the last divisor seen
    private float[] byteTable;
    private float byteTableDivisor = Float.NaN;
    private InputStandardization byteTableScale;
    // the staged floats on the heap while they are standardised or summed
    private float[] scratch;

    /** Returns the staged {@code values} floats (native order, positioned at 0). */
    ByteBuffer floats(float[] values) {
        ByteBuffer b = reserve(values.length);
        b.asFloatBuffer().put(values);
        return b;
    }

    /** Returns the staged rows x dim floats copied from float32 little-endian bytes. */
    ByteBuffer packed(ByteBuffer packedFeatures, int values) {
        checkArgument(
                packedFeatures.remaining() == 4L * values,
                "packed features hold %s bytes, %s floats need %s",
                packedFeatures.remaining(),
                values,
                4L * values);
        ByteBuffer src = packedFeatures.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = reserve(values);
        if (b.order() == ByteOrder.LITTLE_ENDIAN) {
            b.put(src); // a memcpy
            b.rewind();
        } else {
            b.asFloatBuffer().put(src.asFloatBuffer());
        }
        return b;
    }

    /**
     * Returns the staged floats decoded from unsigned bytes over {@code divisor}, as {@link
     * Uint8Features} does, and standardised by {@code scale} if it is not null: the table holds the
     * standardised value of each byte, so scaling costs nothing per feature.
     */
    ByteBuffer uint8(ByteBuffer bytes, float divisor, InputStandardization scale, int values) {
        checkArgument(
                bytes.remaining() == values,
                "uint8 features hold %s bytes, %s values need %s",
                bytes.remaining(),
                values,
                values);
        checkArgument(Float.isFinite(divisor) && divisor != 0, "divisor must be finite and not zero, got %s", divisor);
        if (divisor != byteTableDivisor || !java.util.Objects.equals(scale, byteTableScale)) {
            byteTable = Uint8Features.table(divisor);
            if (scale != null) {
                for (int b = 0; b < byteTable.length; b++) {
                    byteTable[b] = scale.apply(byteTable[b]);
                }
            }
            byteTableDivisor = divisor;
            byteTableScale = scale;
        }
        float[] table = byteTable;
        int from = bytes.position();
        ByteBuffer b = reserve(values);
        FloatBuffer x = b.asFloatBuffer();
        for (int i = 0; i < values; i++) {
            x.put(i, table[bytes.get(from + i) & 0xFF]);
        }
        return b;
    }

    /** Returns the sum and the sum of squares of the byte features' decoded values, from a histogram of the bytes. */
    static double[] byteSums(ByteBuffer bytes, float divisor, int values) {
        long[] histogram = new long[256];
        int from = bytes.position();
        for (int i = 0; i < values; i++) {
            histogram[bytes.get(from + i) & 0xFF]++;
        }
        float[] raw = Uint8Features.table(divisor);
        double sum = 0;
        double squares = 0;
        for (int b = 0; b < 256; b++) {
            double v = raw[b];
            sum += histogram[b] * v;
            squares += histogram[b] * v * v;
        }
        return new double[] {sum, squares};
    }

    /** Standardises the staged floats in place: {@code x <- (x - mean) / std}. */
    void standardize(ByteBuffer staged, int values, InputStandardization scale) {
        // on a heap copy: element access to a direct buffer does not vectorise, the bulk copies
        // and this loop do (the same float arithmetic as InputStandardization.apply)
        float[] x = heapCopy(staged, values);
        float mean = scale.mean();
        float std = scale.std();
        for (int i = 0; i < values; i++) {
            x[i] = (x[i] - mean) / std;
        }
        staged.asFloatBuffer().put(0, x, 0, values);
    }

    /** Returns the sum and the sum of squares of the staged floats, in double. */
    double[] sums(ByteBuffer staged, int values) {
        float[] x = heapCopy(staged, values);
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < values; i++) {
            double v = x[i];
            sum += v;
            squares += v * v;
        }
        return new double[] {sum, squares};
    }

    private float[] heapCopy(ByteBuffer staged, int values) {
        if (scratch == null || scratch.length < values) {
            scratch = new float[values];
        }
        staged.asFloatBuffer().get(0, scratch, 0, values);
        return scratch;
    }

    /** Returns a view of {@code values} floats of the buffer, growing it when needed. */
    private ByteBuffer reserve(int values) {
        int bytes = 4 * values;
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        ByteBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder());
        b.clear().limit(bytes);
        return b.slice().order(ByteOrder.nativeOrder());
    }
}
