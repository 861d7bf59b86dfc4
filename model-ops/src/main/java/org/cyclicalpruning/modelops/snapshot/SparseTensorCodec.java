package org.cyclicalpruning.modelops.snapshot;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.cyclicalpruning.schemas.SparseTensor;
import org.cyclicalpruning.schemas.SupportEncoding;

/**
 * Converts dense float32 tensors to {@link SparseTensor} records and back, choosing the support
 * encoding that makes the record smallest.
 *
 * <p>A snapshot costs at least {@link #informationBoundBytes(long, long) 4·nnz + log2 C(n, nnz)/8}
 * bytes: the float32 values plus the cheapest description of which entries are non-zero. Elias-Fano
 * needs at most 2 + ceil(log2(n/nnz)) bits per index, which keeps sparse tensors within a few percent
 * of that bound; bitmaps win near 50% density, deltas on clustered supports, and DENSE when almost
 * nothing is zero. {@link #encode} sizes all four in closed form (one pass for the varints) and
 * materialises only the winner.
 *
 * <h2>Wire layout (for readers in other languages)</h2>
 *
 * <p>{@code n} is the product of {@code shape} (an empty shape is a scalar, n = 1) and entries are
 * numbered row-major. The support is the strictly increasing list of indices i_0 &lt; … &lt;
 * i_{m-1} of non-zero entries, m = {@code nnz}; {@code -0.0f} counts as zero, NaN as non-zero.
 * "Bit p" of a byte string is bit (p mod 8), least significant first, of byte floor(p / 8). No
 * encoding has a header: everything is derived from {@code shape} and {@code nnz}.
 *
 * <ul>
 *   <li>{@code values}: float32 little-endian, the m support values in index order; for DENSE, all
 *       n entries with zeros written as +0.0.
 *   <li>{@code DENSE}: {@code support} is empty; {@code nnz} still counts the non-zero entries.
 *   <li>{@code BITMAP}: exactly ceil(n / 8) bytes; bit i is set iff i is in the support; the unused
 *       high bits of the last byte are zero.
 *   <li>{@code DELTA_VARINT}: for k = 0 … m-1 the gap g_k = i_k − i_{k−1} − 1 (with i_{−1} = −1) as
 *       an unsigned LEB128 varint (7 bits per byte, low group first, high bit set on every byte but
 *       the last), concatenated with no count or terminator.
 *   <li>{@code ELIAS_FANO}: empty if m = 0. Otherwise let l = floor(log2(floor(n / m))) (in integer
 *       arithmetic {@code 31 - Integer.numberOfLeadingZeros(n / m)}) and L = m·l. The support is a
 *       bit string of exactly ceil((m·l + m + ((n − 1) &gt;&gt; l)) / 8) bytes:
 *       <ul>
 *         <li>low bits: bits [k·l, k·l + l) hold i_k mod 2^l, least significant bit first;
 *         <li>high bits: for each k, bit L + (i_k &gt;&gt; l) + k is set (the upper parts in unary:
 *             bucket h is a run of zeros ended by one set bit per element in it);
 *         <li>every other bit, including the padding of the last byte, is zero.
 *       </ul>
 *       To decode, the k-th set bit at or after L, at position p, gives i_k = ((p − L − k) &lt;&lt; l)
 *       | low_k.
 * </ul>
 *
 * <p>{@link #decode} validates a record completely (dimensions, sizes, every index) before it
 * allocates the dense array, so a corrupt or hostile record fails with an {@link
 * IllegalArgumentException} naming the problem rather than with an {@link OutOfMemoryError}.
 */
public final class SparseTensorCodec {
    /**
     * Largest element count {@link #decode} accepts (2^28 floats = 1 GiB). A record is only a few
     * bytes whatever its shape claims, so without a cap one could make a reader allocate any amount.
     */
    public static final int MAX_ELEMENTS = 1 << 28;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** A varint gap is below MAX_ELEMENTS < 2^28, so a canonical one never needs more than 4 bytes. */
    private static final int MAX_VARINT_BYTES = 5;

    /** Exact Stirling errors δ(x) for small x, where the asymptotic series is not yet accurate. */
    private static final double[] STIRLING_ERROR = new double[32];

    static {
        double lnFactorial = 0;
        for (int x = 1; x < STIRLING_ERROR.length; x++) {
            lnFactorial += Math.log(x);
            STIRLING_ERROR[x] = lnFactorial - stirling(x);
        }
    }

    private SparseTensorCodec() {}

    /**
     * Encodes a dense row-major tensor with the support encoding that gives the smallest record.
     *
     * @param name parameter name, e.g. {@code layer0.weight}
     * @param shape dimensions; their product must equal {@code values.length} and be at most {@link
     *     #MAX_ELEMENTS}
     * @param values the entries, row-major; not modified
     * @return the record; ties in size go to the simpler encoding (DENSE, BITMAP, DELTA_VARINT,
     *     ELIAS_FANO, in that order)
     * @throws IllegalArgumentException if the shape is invalid or does not match the values
     */
    public static SparseTensor encode(String name, int[] shape, float[] values) {
        return encode(name, shape, values, null);
    }

    /**
     * Encodes with the given support encoding, or the cheapest one if {@code forced} is null. Tests
     * use this to reach every encoding.
     */
    static SparseTensor encode(String name, int[] shape, float[] values, SupportEncoding forced) {
        checkArgument(name != null, "tensor name must not be null");
        checkArgument(shape != null && values != null, "tensor '%s': shape and values must not be null", name);
        List<Integer> shapeList = Arrays.stream(shape).boxed().toList();
        int n = elementCount("tensor '" + name + "': ", shapeList);
        checkArgument(
                values.length == n,
                "tensor '%s': shape %s has %s elements but values has %s",
                name,
                shapeList,
                n,
                values.length);

        // One pass for what the size estimates need: the count and the varint bytes of the gaps.
        int m = 0;
        int previous = -1;
        long varintBytes = 0;
        boolean negativeZero = false;
        for (int i = 0; i < n; i++) {
            float v = values[i];
            if (v != 0f) {
                varintBytes += varintLength(i - previous - 1);
                previous = i;
                m++;
            } else if (Float.floatToRawIntBits(v) != 0) {
                negativeZero = true;
            }
        }
        SupportEncoding encoding = forced != null ? forced : cheapest(n, m, varintBytes);

        byte[] support;
        byte[] valueBytes;
        if (encoding == SupportEncoding.DENSE) {
            support = new byte[0];
            // Written as +0.0 so that every encoding decodes to the same bits.
            valueBytes = floatsLittleEndian(negativeZero ? withoutNegativeZeros(values) : values);
        } else {
            int[] indices = new int[m];
            float[] nonZero = new float[m];
            for (int i = 0, k = 0; k < m; i++) {
                float v = values[i];
                if (v != 0f) {
                    indices[k] = i;
                    nonZero[k++] = v;
                }
            }
            valueBytes = floatsLittleEndian(nonZero);
            support = switch (encoding) {
                case BITMAP -> bitmap(n, indices);
                case DELTA_VARINT -> deltaVarint(indices, (int) varintBytes);
                case ELIAS_FANO -> eliasFano(n, indices);
                case DENSE -> throw new AssertionError();
            };
        }
        return SparseTensor.newBuilder()
                .setName(name)
                .setShape(shapeList)
                .setEncoding(encoding)
                .setNnz(m)
                .setSupport(ByteBuffer.wrap(support))
                .setValues(ByteBuffer.wrap(valueBytes))
                .build();
    }

    /**
     * Decodes a record into a new dense row-major array.
     *
     * <p>The whole record is checked before the array is allocated, so corrupt or hostile input
     * costs no more memory than the record itself.
     *
     * @param t the record
     * @return the {@code prod(shape)} entries, row-major
     * @throws IllegalArgumentException naming the problem if the record is malformed: negative
     *     dimensions, more than {@link #MAX_ELEMENTS} elements, nnz outside [0, n], values or support
     *     of the wrong length, indices out of range or not increasing, truncated varints, a bitmap
     *     whose popcount is not nnz
     */
    public static float[] decode(SparseTensor t) {
        Layout layout = layout(t);
        if (layout.encoding == SupportEncoding.DELTA_VARINT || layout.encoding == SupportEncoding.ELIAS_FANO) {
            // layout() already checked lengths and bit counts; these two also need every index read.
            IndexReader reader = reader(layout);
            for (int k = 0; k < layout.nnz; k++) {
                reader.next();
            }
            reader.finish();
        }
        float[] dest = new float[layout.n];
        fill(layout, dest);
        return dest;
    }

    /**
     * Decodes a record into an existing array, so that repeated loads need no allocation.
     *
     * @param t the record
     * @param dest receives the {@code prod(shape)} entries, row-major; its length must be exactly
     *     {@code prod(shape)}. If an exception is thrown its contents are unspecified.
     * @throws IllegalArgumentException if the record is malformed (see {@link #decode}) or {@code
     *     dest} has the wrong length
     */
    public static void decodeInto(SparseTensor t, float[] dest) {
        Layout layout = layout(t);
        checkArgument(
                dest != null && dest.length == layout.n,
                "%sdest has length %s but the tensor has %s elements",
                layout.prefix,
                dest == null ? null : dest.length,
                layout.n);
        fill(layout, dest);
    }

    /**
     * Returns the support: the sorted indices of the non-zero entries.
     *
     * @param t the record
     * @return nnz strictly increasing indices in [0, prod(shape))
     * @throws IllegalArgumentException if the record is malformed (see {@link #decode})
     */
    public static int[] support(SparseTensor t) {
        Layout layout = layout(t);
        int[] indices = new int[layout.nnz];
        if (layout.encoding == SupportEncoding.DENSE) {
            float[] dense = denseValues(layout);
            for (int i = 0, k = 0; k < indices.length; i++) {
                if (dense[i] != 0f) {
                    indices[k++] = i;
                }
            }
            return indices;
        }
        IndexReader reader = reader(layout);
        for (int k = 0; k < indices.length; k++) {
            indices[k] = reader.next();
        }
        reader.finish();
        return indices;
    }

    /**
     * Returns the non-zero values in index order, matching {@link #support}.
     *
     * <p>Only the record's sizes are checked here, not the support; call {@link #support} (or
     * {@link #decode}) to validate the indices.
     *
     * @param t the record
     * @return the nnz values
     * @throws IllegalArgumentException if the record's sizes are inconsistent
     */
    public static float[] values(SparseTensor t) {
        Layout layout = layout(t);
        float[] out = new float[layout.nnz];
        if (layout.encoding == SupportEncoding.DENSE) {
            float[] dense = denseValues(layout);
            for (int i = 0, k = 0; k < out.length; i++) {
                if (dense[i] != 0f) {
                    out[k++] = dense[i];
                }
            }
        } else {
            layout.values.get(0, out, 0, out.length);
        }
        return out;
    }

    /**
     * Returns the payload size of a record: support bytes plus values bytes (the name, shape and
     * Avro framing add a few bytes on top).
     *
     * @param t the record
     * @return {@code support.remaining() + values.remaining()}
     */
    public static long encodedBytes(SparseTensor t) {
        checkArgument(t != null && t.getSupport() != null && t.getValues() != null, "record has no support or values");
        return (long) t.getSupport().remaining() + t.getValues().remaining();
    }

    /**
     * Returns the least number of bytes any encoding can need for a tensor of n entries of which nnz
     * are non-zero float32s: {@code 4·nnz + log2(C(n, nnz)) / 8}.
     *
     * <p>log C(n, k) is computed as n·H(k/n) plus Stirling terms rather than as a difference of three
     * log-gammas: for n = 1e9 those are ~2e10 each, so subtracting them would leave only about seven
     * correct digits of a result that may be as small as log(n). This way the result is accurate to
     * well within 1e-12 relative for every n (the tests compare with exact binomials).
     *
     * @param n number of entries, at least 0
     * @param nnz number of non-zero entries, in [0, n]
     * @return the bound in bytes
     */
    public static double informationBoundBytes(long n, long nnz) {
        checkArgument(n >= 0 && nnz >= 0 && nnz <= n, "need 0 <= nnz <= n, got n = %s, nnz = %s", n, nnz);
        return 4.0 * nnz + lnChoose(n, nnz) / Math.log(2) / 8;
    }

    /**
     * Returns the number of entries of a tensor with the given shape.
     *
     * @param shape dimensions, row-major; empty means a scalar
     * @return their product
     * @throws IllegalArgumentException if a dimension is null or negative or the product exceeds
     *     {@link #MAX_ELEMENTS}
     */
    public static int elementCount(List<Integer> shape) {
        return elementCount("", shape);
    }

    // ---------------------------------------------------------------- sizes and choice

    private static int elementCount(String prefix, List<Integer> shape) {
        checkArgument(shape != null, "%sshape is missing", prefix);
        long product = 1;
        for (int axis = 0; axis < shape.size(); axis++) {
            Integer dim = shape.get(axis);
            checkArgument(dim != null, "%sshape %s has a null dimension at axis %s", prefix, shape, axis);
            checkArgument(dim >= 0, "%sshape %s has negative dimension %s at axis %s", prefix, shape, dim, axis);
            // product <= 2^28 and dim < 2^31 before each step, so the long product cannot overflow.
            product *= dim;
            checkArgument(
                    product <= MAX_ELEMENTS,
                    "%sshape %s has more than MAX_ELEMENTS = %s elements",
                    prefix,
                    shape,
                    MAX_ELEMENTS);
        }
        return (int) product;
    }

    private static SupportEncoding cheapest(int n, int m, long varintBytes) {
        SupportEncoding best = null;
        long bestBytes = Long.MAX_VALUE;
        for (SupportEncoding e : SupportEncoding.values()) { // declaration order = simplest first
            long bytes = (e == SupportEncoding.DENSE ? 4L * n : 4L * m) + supportBytes(e, n, m, varintBytes);
            if (bytes < bestBytes) {
                best = e;
                bestBytes = bytes;
            }
        }
        return best;
    }

    private static long supportBytes(SupportEncoding e, int n, int m, long varintBytes) {
        return switch (e) {
            case DENSE -> 0;
            case BITMAP -> bitmapBytes(n);
            case DELTA_VARINT -> varintBytes;
            case ELIAS_FANO -> eliasFanoBytes(n, m);
        };
    }

    private static int bitmapBytes(int n) {
        return (n + 7) >>> 3;
    }

    private static int varintLength(int value) {
        return (31 - Integer.numberOfLeadingZeros(value | 1)) / 7 + 1;
    }

    private static int eliasFanoLowBits(int n, int m) {
        return 31 - Integer.numberOfLeadingZeros(n / m);
    }

    private static int eliasFanoBytes(int n, int m) {
        if (m == 0) {
            return 0;
        }
        int l = eliasFanoLowBits(n, m);
        return (int) (((long) m * l + m + ((n - 1) >>> l) + 7) >>> 3);
    }

    // ---------------------------------------------------------------- encoders

    private static byte[] floatsLittleEndian(float[] values) {
        byte[] out = new byte[4 * values.length];
        ByteBuffer.wrap(out).order(LE).asFloatBuffer().put(values);
        return out;
    }

    private static float[] withoutNegativeZeros(float[] values) {
        float[] copy = values.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] == 0f) {
                copy[i] = 0f;
            }
        }
        return copy;
    }

    private static byte[] bitmap(int n, int[] indices) {
        byte[] out = new byte[bitmapBytes(n)];
        for (int i : indices) {
            out[i >>> 3] |= (byte) (1 << (i & 7));
        }
        return out;
    }

    private static byte[] deltaVarint(int[] indices, int size) {
        byte[] out = new byte[size];
        int p = 0;
        int previous = -1;
        for (int i : indices) {
            int gap = i - previous - 1;
            previous = i;
            while (gap >= 0x80) {
                out[p++] = (byte) (gap | 0x80);
                gap >>>= 7;
            }
            out[p++] = (byte) gap;
        }
        return out;
    }

    private static byte[] eliasFano(int n, int[] indices) {
        int m = indices.length;
        byte[] out = new byte[eliasFanoBytes(n, m)];
        if (m == 0) {
            return out;
        }
        int l = eliasFanoLowBits(n, m);
        long lowMask = (1L << l) - 1;
        // Low bits stream through a 64-bit accumulator holding fewer than 8 + 28 bits.
        long acc = 0;
        int accBits = 0;
        int p = 0;
        for (int i : indices) {
            acc |= (i & lowMask) << accBits;
            accBits += l;
            while (accBits >= 8) {
                out[p++] = (byte) acc;
                acc >>>= 8;
                accBits -= 8;
            }
        }
        if (accBits > 0) {
            out[p] = (byte) acc; // shared with the first high bits, which are OR-ed in below
        }
        long highStart = (long) m * l;
        for (int k = 0; k < m; k++) {
            long bit = highStart + (indices[k] >>> l) + k;
            out[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
        }
        return out;
    }

    // ---------------------------------------------------------------- decoding

    /** A record whose sizes have been checked, with little-endian views of its buffers. */
    private record Layout(
            String prefix, int n, int nnz, SupportEncoding encoding, ByteBuffer support, FloatBuffer values) {}

    /**
     * Checks everything that costs no more than a pass over the record: dimensions, nnz, buffer
     * lengths, bitmap and Elias-Fano bit counts. Index order and range are checked by the readers.
     */
    private static Layout layout(SparseTensor t) {
        checkArgument(t != null, "SparseTensor must not be null");
        String prefix = "SparseTensor '" + t.getName() + "': ";
        checkArgument(
                t.getEncoding() != null && t.getSupport() != null && t.getValues() != null,
                "%sencoding, support and values must all be set",
                prefix);
        int n = elementCount(prefix, t.getShape());
        long nnz = t.getNnz();
        checkArgument(nnz >= 0 && nnz <= n, "%snnz %s is outside [0, n = %s]", prefix, nnz, n);
        int m = (int) nnz;
        SupportEncoding encoding = t.getEncoding();
        // slice(): index 0 is the buffer's position, whatever the record's owner did with it.
        ByteBuffer support = t.getSupport().slice().order(LE);
        ByteBuffer values = t.getValues().slice().order(LE);

        long expectedValueBytes = encoding == SupportEncoding.DENSE ? 4L * n : 4L * m;
        checkArgument(
                values.remaining() == expectedValueBytes,
                "%svalues has %s bytes, expected %s (4 per %s)",
                prefix,
                values.remaining(),
                expectedValueBytes,
                encoding == SupportEncoding.DENSE ? "element" : "non-zero");

        int length = support.remaining();
        switch (encoding) {
            case DENSE -> checkArgument(length == 0, "%sDENSE support must be empty, has %s bytes", prefix, length);
            case BITMAP -> {
                checkArgument(
                        length == bitmapBytes(n),
                        "%sBITMAP support has %s bytes, expected ceil(%s / 8) = %s",
                        prefix,
                        length,
                        n,
                        bitmapBytes(n));
                checkArgument(
                        (n & 7) == 0 || (support.get(length - 1) & 0xFF) >>> (n & 7) == 0,
                        "%sBITMAP has bits set past the last element %s",
                        prefix,
                        n - 1);
                long ones = popcount(support, 0);
                checkArgument(ones == m, "%sBITMAP popcount %s does not match nnz %s", prefix, ones, m);
            }
            case DELTA_VARINT ->
                checkArgument(
                        length >= m && length <= (long) MAX_VARINT_BYTES * m,
                        "%sDELTA_VARINT support has %s bytes, but %s varints take %s to %s",
                        prefix,
                        length,
                        m,
                        m,
                        (long) MAX_VARINT_BYTES * m);
            case ELIAS_FANO -> {
                checkArgument(
                        length == eliasFanoBytes(n, m),
                        "%sELIAS_FANO support has %s bytes, expected %s for n = %s, " + "nnz = %s",
                        prefix,
                        length,
                        eliasFanoBytes(n, m),
                        n,
                        m);
                if (m > 0) {
                    // One high bit per element: this is what keeps EliasFanoReader inside the buffer.
                    long ones = popcount(support, (long) m * eliasFanoLowBits(n, m));
                    checkArgument(ones == m, "%sELIAS_FANO has %s high bits set, expected nnz = %s", prefix, ones, m);
                }
            }
        }
        return new Layout(prefix, n, m, encoding, support, values.asFloatBuffer());
    }

    private static void fill(Layout layout, float[] dest) {
        if (layout.encoding == SupportEncoding.DENSE) {
            layout.values.get(0, dest, 0, layout.n);
            int nonZero = 0;
            for (float v : dest) {
                if (v != 0f) {
                    nonZero++;
                }
            }
            checkArgument(
                    nonZero == layout.nnz,
                    "%sDENSE record claims nnz %s but has %s non-zero values",
                    layout.prefix,
                    layout.nnz,
                    nonZero);
            return;
        }
        Arrays.fill(dest, 0f);
        IndexReader reader = reader(layout);
        FloatBuffer values = layout.values;
        for (int k = 0; k < layout.nnz; k++) {
            dest[reader.next()] = values.get(k);
        }
        reader.finish();
    }

    private static float[] denseValues(Layout layout) {
        float[] dense = new float[layout.n]; // DENSE values hold 4n bytes, so this is bounded by the input
        fill(layout, dense);
        return dense;
    }

    private static IndexReader reader(Layout layout) {
        return switch (layout.encoding) {
            case BITMAP -> new BitmapReader(layout);
            case DELTA_VARINT -> new VarintReader(layout);
            case ELIAS_FANO -> new EliasFanoReader(layout);
            case DENSE -> throw new AssertionError("DENSE has no support to read");
        };
    }

    /** The 8 bytes at {@code offset}, little-endian, zero-padded past the end of the buffer. */
    private static long word(ByteBuffer b, int offset) {
        int limit = b.limit();
        if (offset + 8 <= limit) {
            return b.getLong(offset);
        }
        long w = 0;
        for (int i = offset; i < limit; i++) {
            w |= (b.get(i) & 0xFFL) << ((i - offset) << 3);
        }
        return w;
    }

    private static long popcount(ByteBuffer b, long fromBit) {
        int limit = b.limit();
        int i = (int) (fromBit >>> 3);
        if (i >= limit) {
            return 0;
        }
        long count = Integer.bitCount((b.get(i++) & 0xFF) >>> (int) (fromBit & 7));
        for (; i + 8 <= limit; i += 8) {
            count += Long.bitCount(b.getLong(i));
        }
        for (; i < limit; i++) {
            count += Integer.bitCount(b.get(i) & 0xFF);
        }
        return count;
    }

    private static IllegalArgumentException corrupt(Layout layout, String format, Object... args) {
        return new IllegalArgumentException(layout.prefix + String.format(format, args));
    }

    /**
     * Yields the support indices one at a time, checking range and order, so decoding needs no
     * index array. Callers call {@link #next} exactly nnz times, then {@link #finish}.
     */
    private abstract static class IndexReader {
        final Layout layout;

        IndexReader(Layout layout) {
            this.layout = layout;
        }

        abstract int next();

        void finish() {}
    }

    /** Set bits in 64-bit words; layout() checked the popcount and padding, so no range checks. */
    private static final class BitmapReader extends IndexReader {
        private int chunk;
        private long word;

        BitmapReader(Layout layout) {
            super(layout);
            word = word(layout.support, 0);
        }

        @Override
        int next() {
            while (word == 0) {
                word = word(layout.support, ++chunk << 3);
            }
            int index = (chunk << 6) + Long.numberOfTrailingZeros(word);
            word &= word - 1;
            return index;
        }
    }

    private static final class VarintReader extends IndexReader {
        private final ByteBuffer bytes;
        private int position;
        private int k;
        private long previous = -1;

        VarintReader(Layout layout) {
            super(layout);
            bytes = layout.support;
        }

        @Override
        int next() {
            int start = position;
            long gap = 0;
            for (int shift = 0; ; shift += 7) {
                if (position == bytes.limit()) {
                    throw corrupt(
                            layout,
                            "DELTA_VARINT support truncated: varint %s of %s starting at byte %s runs "
                                    + "past the end (%s bytes)",
                            k,
                            layout.nnz,
                            start,
                            bytes.limit());
                }
                if (shift == 7 * MAX_VARINT_BYTES) {
                    throw corrupt(
                            layout,
                            "DELTA_VARINT varint %s at byte %s is longer than %s bytes",
                            k,
                            start,
                            MAX_VARINT_BYTES);
                }
                byte b = bytes.get(position++);
                gap |= (long) (b & 0x7F) << shift;
                if (b >= 0) { // continuation bit clear
                    break;
                }
            }
            long index = previous + 1 + gap;
            if (index >= layout.n) {
                throw corrupt(layout, "support index %s (element %s) out of range [0, %s)", index, k, layout.n);
            }
            previous = index;
            k++;
            return (int) index;
        }

        @Override
        void finish() {
            if (position != bytes.limit()) {
                throw corrupt(
                        layout,
                        "DELTA_VARINT support has %s trailing bytes after %s varints",
                        bytes.limit() - position,
                        layout.nnz);
            }
        }
    }

    private static final class EliasFanoReader extends IndexReader {
        private final ByteBuffer bits;
        private final int l;
        private final long lowMask;
        private final long highStart;
        private long lowPosition;
        private int chunk;
        private long word;
        private int k;
        private long previous = -1;

        EliasFanoReader(Layout layout) {
            super(layout);
            bits = layout.support;
            l = layout.nnz == 0 ? 0 : eliasFanoLowBits(layout.n, layout.nnz); // nnz = 0: empty, never read
            lowMask = (1L << l) - 1;
            highStart = (long) layout.nnz * l;
            chunk = (int) (highStart >>> 6);
            word = word(bits, chunk << 3) & (-1L << (highStart & 63));
        }

        @Override
        int next() {
            // l <= 28 and bit offset < 8, so one 64-bit read holds the whole low part.
            long low = (word(bits, (int) (lowPosition >>> 3)) >>> (lowPosition & 7)) & lowMask;
            lowPosition += l;
            while (word == 0) { // layout() counted nnz high bits, so this stays in the buffer
                word = word(bits, ++chunk << 3);
            }
            long bit = ((long) chunk << 6) + Long.numberOfTrailingZeros(word);
            word &= word - 1;
            long index = ((bit - highStart - k) << l) | low;
            if (index <= previous) {
                throw corrupt(
                        layout,
                        "support index %s (element %s) is not greater than the previous %s; indices "
                                + "must be strictly increasing",
                        index,
                        k,
                        previous);
            }
            if (index >= layout.n) {
                throw corrupt(layout, "support index %s (element %s) out of range [0, %s)", index, k, layout.n);
            }
            previous = index;
            k++;
            return (int) index;
        }
    }

    // ---------------------------------------------------------------- log C(n, k)

    /** ln C(n, k), without cancellation (see informationBoundBytes). */
    static double lnChoose(long n, long k) {
        k = Math.min(k, n - k);
        if (k == 0) {
            return 0;
        }
        double dn = n;
        double dk = k;
        double dr = n - k;
        // n ln n - k ln k - r ln r, as two positive terms.
        double entropy = dk * Math.log(dn / dk) - dr * Math.log1p(-dk / dn);
        return entropy
                + 0.5 * Math.log(dn / (2 * Math.PI * dk * dr))
                + stirlingError(n)
                - stirlingError(k)
                - stirlingError(n - k);
    }

    /** Stirling's approximation of ln x!, without the error term. */
    private static double stirling(double x) {
        return x * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI * x);
    }

    /** δ(x) = ln x! − stirling(x), for x ≥ 1. */
    private static double stirlingError(long x) {
        if (x < STIRLING_ERROR.length) {
            return STIRLING_ERROR[(int) x];
        }
        // Asymptotic series; for x >= 32 the first omitted term, 1/(1188 x^9), is below 3e-17.
        double inv = 1.0 / x;
        double inv2 = inv * inv;
        return inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 / 1680)));
    }
}
