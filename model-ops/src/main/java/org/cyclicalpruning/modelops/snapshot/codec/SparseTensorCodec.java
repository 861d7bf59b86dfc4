package org.cyclicalpruning.modelops.snapshot.codec;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.IndexReader;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.Layout;
import org.cyclicalpruning.schemas.SparseTensor;
import org.cyclicalpruning.schemas.SupportEncoding;

/**
 * Converts dense float32 tensors to {@link SparseTensor} records and back, choosing the support
 * encoding that makes the record smallest.
 *
 * <p>A snapshot costs at least {@link InformationBound#bytes(long, long) 4·nnz + log2 C(n, nnz)/8}
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
                varintBytes += DeltaVarint.length(i - previous - 1);
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
                case BITMAP -> Bitmap.encode(n, indices);
                case DELTA_VARINT -> DeltaVarint.encode(indices, (int) varintBytes);
                case ELIAS_FANO -> EliasFano.encode(n, indices);
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
        if (layout.encoding() == SupportEncoding.DELTA_VARINT || layout.encoding() == SupportEncoding.ELIAS_FANO) {
            // layout() already checked lengths and bit counts; these two also need every index read.
            IndexReader reader = reader(layout);
            for (int k = 0; k < layout.nnz(); k++) {
                reader.next();
            }
            reader.finish();
        }
        float[] dest = new float[layout.n()];
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
                dest != null && dest.length == layout.n(),
                "%sdest has length %s but the tensor has %s elements",
                layout.prefix(),
                dest == null ? null : dest.length,
                layout.n());
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
        if (layout.encoding() == SupportEncoding.DENSE) {
            return nonZeroIndices(denseValues(layout), layout.nnz());
        }
        int[] indices = new int[layout.nnz()];
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
        float[] out = new float[layout.nnz()];
        if (layout.encoding() == SupportEncoding.DENSE) {
            float[] dense = denseValues(layout);
            int[] indices = nonZeroIndices(dense, out.length);
            for (int k = 0; k < out.length; k++) {
                out[k] = dense[indices[k]];
            }
        } else {
            layout.values().get(0, out, 0, out.length);
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
            case BITMAP -> Bitmap.bytes(n);
            case DELTA_VARINT -> varintBytes;
            case ELIAS_FANO -> EliasFano.bytes(n, m);
        };
    }

    // ---------------------------------------------------------------- encoding

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

    // ---------------------------------------------------------------- decoding

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

        Layout layout = new Layout(prefix, n, m, encoding, support, values.asFloatBuffer());
        switch (encoding) {
            case DENSE ->
                checkArgument(
                        support.remaining() == 0,
                        "%sDENSE support must be empty, has %s bytes",
                        prefix,
                        support.remaining());
            case BITMAP -> Bitmap.check(layout);
            case DELTA_VARINT -> DeltaVarint.check(layout);
            case ELIAS_FANO -> EliasFano.check(layout);
        }
        return layout;
    }

    private static void fill(Layout layout, float[] dest) {
        if (layout.encoding() == SupportEncoding.DENSE) {
            layout.values().get(0, dest, 0, layout.n());
            int nonZero = 0;
            for (float v : dest) {
                if (v != 0f) {
                    nonZero++;
                }
            }
            checkArgument(
                    nonZero == layout.nnz(),
                    "%sDENSE record claims nnz %s but has %s non-zero values",
                    layout.prefix(),
                    layout.nnz(),
                    nonZero);
            return;
        }
        Arrays.fill(dest, 0f);
        IndexReader reader = reader(layout);
        FloatBuffer values = layout.values();
        for (int k = 0; k < layout.nnz(); k++) {
            dest[reader.next()] = values.get(k);
        }
        reader.finish();
    }

    /** Returns the indices of the {@code nnz} non-zero entries of {@code dense}, which has exactly that many. */
    private static int[] nonZeroIndices(float[] dense, int nnz) {
        int[] indices = new int[nnz];
        for (int i = 0, k = 0; k < nnz; i++) {
            if (dense[i] != 0f) {
                indices[k++] = i;
            }
        }
        return indices;
    }

    private static float[] denseValues(Layout layout) {
        float[] dense = new float[layout.n()]; // DENSE values hold 4n bytes, so this is bounded by the input
        fill(layout, dense);
        return dense;
    }

    private static IndexReader reader(Layout layout) {
        return switch (layout.encoding()) {
            case BITMAP -> new Bitmap.Reader(layout);
            case DELTA_VARINT -> new DeltaVarint.Reader(layout);
            case ELIAS_FANO -> new EliasFano.Reader(layout);
            case DENSE -> throw new AssertionError("DENSE has no support to read");
        };
    }
}
