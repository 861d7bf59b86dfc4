package org.cyclicalpruning.modelops.snapshot.codec;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.cyclicalpruning.schemas.SupportEncoding;

/** What the support decoders share: a record whose sizes have been checked, and bit access to its bytes. */
final class Bits {
    private Bits() {}

    /** A record whose sizes have been checked, with little-endian views of its buffers. */
    record Layout(String prefix, int n, int nnz, SupportEncoding encoding, ByteBuffer support, FloatBuffer values) {
        IllegalArgumentException corrupt(String format, Object... args) {
            return new IllegalArgumentException(prefix + String.format(format, args));
        }
    }

    /**
     * Yields the support indices one at a time, checking range and order, so decoding needs no
     * index array. Callers call {@link #next} exactly nnz times, then {@link #finish}.
     */
    abstract static class IndexReader {
        final Layout layout;
        /** The elements read so far. */
        int k;
        /** The last index read; -1 before the first. */
        long previous = -1;

        IndexReader(Layout layout) {
            this.layout = layout;
        }

        abstract int next();

        void finish() {}

        /**
         * Checks that an index decoded from a support whose encoding does not bound it lies in the
         * tensor, and counts it as the next element's.
         */
        int inRange(long index) {
            if (index >= layout.n()) {
                throw layout.corrupt("support index %s (element %s) out of range [0, %s)", index, k, layout.n());
            }
            previous = index;
            k++;
            return (int) index;
        }
    }

    /** The 8 bytes at {@code offset}, little-endian, zero-padded past the end of the buffer. */
    static long word(ByteBuffer b, int offset) {
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

    static long popcount(ByteBuffer b, long fromBit) {
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
}
