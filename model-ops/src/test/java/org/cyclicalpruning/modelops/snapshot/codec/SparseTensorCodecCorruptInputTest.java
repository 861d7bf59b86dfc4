package org.cyclicalpruning.modelops.snapshot.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.cyclicalpruning.schemas.SparseTensor;
import org.cyclicalpruning.schemas.SupportEncoding;
import org.junit.jupiter.api.Test;

class SparseTensorCodecCorruptInputTest {

    private static final float[] VALUES = SparseTensorCodecTest.random(1000, 0.1, 3);

    @Test
    void rejectsNegativeDimensions() {
        assertRejected(valid(SupportEncoding.BITMAP).setShape(List.of(-1, 4)), "negative dimension -1 at axis 0");
        assertThatThrownBy(() -> SparseTensorCodec.elementCount(List.of(2, -3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative dimension -3 at axis 1");
    }

    @Test
    void rejectsHugeShapeWithoutAllocating() {
        SparseTensor hostile = valid(SupportEncoding.DELTA_VARINT)
                .setShape(List.of(1 << 30, 1 << 30))
                .build();
        long before = allocatedBytes();
        Throwable thrown = thrownBy(() -> SparseTensorCodec.decode(hostile));
        assertThat(allocatedBytes() - before).isLessThan(1 << 20);
        assertThat(thrown)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SparseTensor 'w': shape [1073741824, 1073741824] has more than MAX_ELEMENTS = 268435456 "
                        + "elements");
        // The running product is checked at every axis, so it never gets near overflowing a long.
        assertThatThrownBy(() -> SparseTensorCodec.elementCount(List.of(1 << 20, 1 << 20, 1 << 20, 1 << 20)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than MAX_ELEMENTS");
    }

    @Test
    void rejectsCorruptSupportOfALargeTensorBeforeAllocatingIt() {
        // A legal 2^28-element shape with one truncated varint: 6 bytes that must not cost 1 GiB.
        SparseTensor hostile = SparseTensor.newBuilder()
                .setName("w")
                .setShape(List.of(SparseTensorCodec.MAX_ELEMENTS))
                .setEncoding(SupportEncoding.DELTA_VARINT)
                .setNnz(1)
                .setSupport(ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 0x80}))
                .setValues(ByteBuffer.wrap(new byte[4]))
                .build();
        long before = allocatedBytes();
        Throwable thrown = thrownBy(() -> SparseTensorCodec.decode(hostile));
        assertThat(allocatedBytes() - before).isLessThan(1 << 20);
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    }

    @Test
    void rejectsNnzOutsideRange() {
        assertRejected(valid(SupportEncoding.ELIAS_FANO).setNnz(1001), "nnz 1001 is outside [0, n = 1000]");
        assertRejected(valid(SupportEncoding.ELIAS_FANO).setNnz(-1), "nnz -1 is outside [0, n = 1000]");
    }

    @Test
    void rejectsValuesOfTheWrongLength() {
        SparseTensor.Builder sparse = valid(SupportEncoding.BITMAP);
        int nnz = (int) sparse.getNnz();
        sparse.setValues(ByteBuffer.wrap(new byte[4 * nnz - 1]));
        assertRejected(sparse, "values has " + (4 * nnz - 1) + " bytes, expected " + 4 * nnz + " (4 per non-zero)");
        assertRejected(
                valid(SupportEncoding.DENSE).setValues(ByteBuffer.wrap(new byte[3996])),
                "values has 3996 bytes, expected 4000 (4 per element)");
    }

    @Test
    void rejectsSupportOfTheWrongLength() {
        assertRejected(
                valid(SupportEncoding.DENSE).setSupport(ByteBuffer.wrap(new byte[1])), "DENSE support must be empty");
        assertRejected(
                valid(SupportEncoding.BITMAP).setSupport(ByteBuffer.wrap(new byte[124])),
                "BITMAP support has 124 bytes, expected ceil(1000 / 8) = 125");
        SparseTensor.Builder ef = valid(SupportEncoding.ELIAS_FANO);
        byte[] support = SparseTensorCodecTest.bytes(ef.build());
        assertRejected(
                ef.setSupport(ByteBuffer.wrap(Arrays.copyOf(support, support.length + 1))),
                "ELIAS_FANO support has " + (support.length + 1) + " bytes, expected " + support.length);
        SparseTensor.Builder varint = valid(SupportEncoding.DELTA_VARINT);
        assertRejected(
                varint.setSupport(ByteBuffer.wrap(new byte[(int) varint.getNnz() - 1])), "DELTA_VARINT support has");
    }

    @Test
    void rejectsBitmapWhosePopcountIsNotNnz() {
        SparseTensor.Builder t = valid(SupportEncoding.BITMAP);
        assertRejected(
                t.setNnz(t.getNnz() - 1).setValues(ByteBuffer.wrap(new byte[4 * (int) (t.getNnz())])),
                "BITMAP popcount " + (t.getNnz() + 1) + " does not match nnz " + t.getNnz());
    }

    @Test
    void rejectsBitmapPaddingBits() {
        float[] v = new float[13];
        v[0] = 1f;
        SparseTensor.Builder t =
                SparseTensor.newBuilder(SparseTensorCodec.encode("w", new int[] {13}, v, SupportEncoding.BITMAP));
        // Move the one set bit from index 0 to index 14, past the end: popcount still matches.
        assertRejected(
                t.setSupport(ByteBuffer.wrap(new byte[] {0, 0x40})), "BITMAP has bits set past the last element 12");
    }

    @Test
    void rejectsTruncatedAndOverlongVarints() {
        assertRejected(varint(100, 2, 5, 0x80), "DELTA_VARINT support truncated: varint 1 of 2 starting at byte 1");
        assertRejected(varint(100, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), "longer than 5 bytes");
        assertRejected(varint(100, 1, 3, 4), "DELTA_VARINT support has 1 trailing bytes after 1 varints");
    }

    @Test
    void rejectsIndicesOutOfRange() {
        assertRejected(varint(100, 2, 50, 49), "support index 100 (element 1) out of range [0, 100)");
        // n = 60, m = 2: l = 4, last bucket is 59 >> 4 = 3, and 3 << 4 | 15 = 63 is past the end.
        assertRejected(eliasFano(60, 2, 10, 63), "support index 63 (element 1) out of range [0, 60)");
        // A set padding bit stands for a bucket past the end.
        assertRejected(eliasFano(60, 2, 10, 64), "out of range [0, 60)");
    }

    @Test
    void rejectsIndicesThatAreNotStrictlyIncreasing() {
        // Varint gaps cannot go backwards, but Elias-Fano low bits can.
        assertRejected(eliasFano(60, 2, 10, 9), "support index 9 (element 1) is not greater than the previous 10");
        assertRejected(eliasFano(60, 2, 10, 10), "support index 10 (element 1) is not greater than the previous 10");
    }

    @Test
    void rejectsEliasFanoWithTheWrongNumberOfHighBits() {
        SparseTensor.Builder t = valid(SupportEncoding.ELIAS_FANO);
        byte[] support = SparseTensorCodecTest.bytes(t.build());
        int last = support.length - 1;
        while (support[last] == 0) {
            last--;
        }
        support[last] &= (byte) ~Integer.highestOneBit(support[last] & 0xFF); // drop the last high bit
        assertRejected(
                t.setSupport(ByteBuffer.wrap(support)),
                "ELIAS_FANO has " + (t.getNnz() - 1) + " high bits set, expected nnz = " + t.getNnz());
    }

    @Test
    void rejectsDenseRecordWithWrongNnz() {
        SparseTensor.Builder t = valid(SupportEncoding.DENSE);
        assertRejected(t.setNnz(t.getNnz() + 1), "DENSE record claims nnz " + t.getNnz() + " but has");
    }

    @Test
    void rejectsDestinationOfTheWrongLength() {
        SparseTensor t = valid(SupportEncoding.BITMAP).build();
        assertThatThrownBy(() -> SparseTensorCodec.decodeInto(t, new float[999]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dest has length 999 but the tensor has 1000 elements");
    }

    @Test
    void rejectsBadEncoderInput() {
        assertThatThrownBy(() -> SparseTensorCodec.encode("w", new int[] {3, 3}, new float[8]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shape [3, 3] has 9 elements but values has 8");
    }

    // ---------------------------------------------------------------- helpers

    private static SparseTensor.Builder valid(SupportEncoding encoding) {
        return SparseTensor.newBuilder(SparseTensorCodec.encode("w", new int[] {10, 100}, VALUES, encoding));
    }

    private static SparseTensor.Builder varint(int n, int nnz, int... support) {
        byte[] bytes = new byte[support.length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) support[i];
        }
        return record(n, nnz, SupportEncoding.DELTA_VARINT, bytes);
    }

    private static SparseTensor.Builder eliasFano(int n, int... indices) {
        int nnz = indices[0];
        return record(
                n,
                nnz,
                SupportEncoding.ELIAS_FANO,
                SparseTensorCodecTest.referenceEliasFano(n, Arrays.copyOfRange(indices, 1, indices.length)));
    }

    private static SparseTensor.Builder record(int n, int nnz, SupportEncoding encoding, byte[] support) {
        return SparseTensor.newBuilder()
                .setName("w")
                .setShape(List.of(n))
                .setEncoding(encoding)
                .setNnz(nnz)
                .setSupport(ByteBuffer.wrap(support))
                .setValues(ByteBuffer.wrap(new byte[4 * nnz]));
    }

    /** Asserts that decode, decodeInto and support all reject the record with the message. */
    private static void assertRejected(SparseTensor.Builder builder, String message) {
        SparseTensor t = builder.build();
        assertRejectedBy(() -> SparseTensorCodec.decode(t), message);
        assertRejectedBy(() -> SparseTensorCodec.support(t), message);
        if (t.getShape().stream().allMatch(d -> d >= 0 && d <= 1000)) {
            int n = t.getShape().stream().mapToInt(Integer::intValue).reduce(1, (a, b) -> a * b);
            assertRejectedBy(() -> SparseTensorCodec.decodeInto(t, new float[n]), message);
        }
    }

    private static AbstractThrowableAssert<?, ?> assertRejectedBy(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
        return assertThatThrownBy(call)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("SparseTensor 'w': ")
                .hasMessageContaining(message);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static Throwable thrownBy(Runnable action) {
        try {
            action.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }
}
