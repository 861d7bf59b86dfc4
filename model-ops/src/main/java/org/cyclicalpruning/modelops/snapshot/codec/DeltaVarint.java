package org.cyclicalpruning.modelops.snapshot.codec;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.nio.ByteBuffer;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.IndexReader;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.Layout;

/**
 * {@code DELTA_VARINT}: the gaps between successive indices as unsigned LEB128 varints; best on
 * clustered supports.
 */
final class DeltaVarint {
    /** A gap is below MAX_ELEMENTS < 2^28, so a canonical varint never needs more than 4 bytes. */
    static final int MAX_BYTES = 5;

    private DeltaVarint() {}

    /** Returns the bytes of one varint. */
    static int length(int value) {
        return (31 - Integer.numberOfLeadingZeros(value | 1)) / 7 + 1;
    }

    static byte[] encode(int[] indices, int size) {
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

    static void check(Layout layout) {
        int length = layout.support().remaining();
        int m = layout.nnz();
        checkArgument(
                length >= m && length <= (long) MAX_BYTES * m,
                "%sDELTA_VARINT support has %s bytes, but %s varints take %s to %s",
                layout.prefix(),
                length,
                m,
                m,
                (long) MAX_BYTES * m);
    }

    static final class Reader extends IndexReader {
        private final ByteBuffer bytes;
        private int position;

        Reader(Layout layout) {
            super(layout);
            bytes = layout.support();
        }

        @Override
        int next() {
            int start = position;
            long gap = 0;
            for (int shift = 0; ; shift += 7) {
                if (position == bytes.limit()) {
                    throw layout.corrupt(
                            "DELTA_VARINT support truncated: varint %s of %s starting at byte %s runs "
                                    + "past the end (%s bytes)",
                            k, layout.nnz(), start, bytes.limit());
                }
                if (shift == 7 * MAX_BYTES) {
                    throw layout.corrupt(
                            "DELTA_VARINT varint %s at byte %s is longer than %s bytes", k, start, MAX_BYTES);
                }
                byte b = bytes.get(position++);
                gap |= (long) (b & 0x7F) << shift;
                if (b >= 0) { // continuation bit clear
                    break;
                }
            }
            return inRange(previous + 1 + gap);
        }

        @Override
        void finish() {
            if (position != bytes.limit()) {
                throw layout.corrupt(
                        "DELTA_VARINT support has %s trailing bytes after %s varints",
                        bytes.limit() - position, layout.nnz());
            }
        }
    }
}
