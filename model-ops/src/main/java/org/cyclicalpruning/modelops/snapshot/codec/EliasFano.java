package org.cyclicalpruning.modelops.snapshot.codec;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.ByteBuffer;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.IndexReader;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.Layout;

/**
 * {@code ELIAS_FANO}: each index split into l low bits, stored plainly, and its high part, stored
 * in unary; at most 2 + ceil(log2(n/nnz)) bits per index, which keeps sparse tensors within a few
 * percent of the information bound.
 */
final class EliasFano {
    private EliasFano() {}

    static int lowBits(int n, int m) {
        return 31 - Integer.numberOfLeadingZeros(n / m);
    }

    static int bytes(int n, int m) {
        if (m == 0) {
            return 0;
        }
        int l = lowBits(n, m);
        return (int) (((long) m * l + m + ((n - 1) >>> l) + 7) >>> 3);
    }

    static byte[] encode(int n, int[] indices) {
        int m = indices.length;
        byte[] out = new byte[bytes(n, m)];
        if (m == 0) {
            return out;
        }
        int l = lowBits(n, m);
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

    static void check(Layout layout) {
        int n = layout.n();
        int m = layout.nnz();
        int length = layout.support().remaining();
        checkArgument(
                length == bytes(n, m),
                "%sELIAS_FANO support has %s bytes, expected %s for n = %s, " + "nnz = %s",
                layout.prefix(),
                length,
                bytes(n, m),
                n,
                m);
        if (m > 0) {
            // One high bit per element: this is what keeps the reader inside the buffer.
            long ones = Bits.popcount(layout.support(), (long) m * lowBits(n, m));
            checkArgument(ones == m, "%sELIAS_FANO has %s high bits set, expected nnz = %s", layout.prefix(), ones, m);
        }
    }

    static final class Reader extends IndexReader {
        private final ByteBuffer bits;
        private final int l;
        private final long lowMask;
        private final long highStart;
        private long lowPosition;
        private int chunk;
        private long word;

        Reader(Layout layout) {
            super(layout);
            bits = layout.support();
            l = layout.nnz() == 0 ? 0 : lowBits(layout.n(), layout.nnz()); // nnz = 0: empty, never read
            lowMask = (1L << l) - 1;
            highStart = (long) layout.nnz() * l;
            chunk = (int) (highStart >>> 6);
            word = Bits.word(bits, chunk << 3) & (-1L << (highStart & 63));
        }

        @Override
        int next() {
            // l <= 28 and bit offset < 8, so one 64-bit read holds the whole low part.
            long low = (Bits.word(bits, (int) (lowPosition >>> 3)) >>> (lowPosition & 7)) & lowMask;
            lowPosition += l;
            while (word == 0) { // layout() counted nnz high bits, so this stays in the buffer
                word = Bits.word(bits, ++chunk << 3);
            }
            long bit = ((long) chunk << 6) + Long.numberOfTrailingZeros(word);
            word &= word - 1;
            long index = ((bit - highStart - k) << l) | low;
            if (index <= previous) {
                throw layout.corrupt(
                        "support index %s (element %s) is not greater than the previous %s; indices "
                                + "must be strictly increasing",
                        index, k, previous);
            }
            return inRange(index);
        }
    }
}
