package org.cyclicalpruning.modelops.snapshot.codec;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import org.cyclicalpruning.modelops.snapshot.codec.Bits.IndexReader;
import org.cyclicalpruning.modelops.snapshot.codec.Bits.Layout;

/** {@code BITMAP}: bit i of ceil(n / 8) bytes is set iff entry i is non-zero; best near 50% density. */
final class Bitmap {
    private Bitmap() {}

    static int bytes(int n) {
        return (n + 7) >>> 3;
    }

    static byte[] encode(int n, int[] indices) {
        byte[] out = new byte[bytes(n)];
        for (int i : indices) {
            out[i >>> 3] |= (byte) (1 << (i & 7));
        }
        return out;
    }

    static void check(Layout layout) {
        int n = layout.n();
        int length = layout.support().remaining();
        checkArgument(
                length == bytes(n),
                "%sBITMAP support has %s bytes, expected ceil(%s / 8) = %s",
                layout.prefix(),
                length,
                n,
                bytes(n));
        checkArgument(
                (n & 7) == 0 || (layout.support().get(length - 1) & 0xFF) >>> (n & 7) == 0,
                "%sBITMAP has bits set past the last element %s",
                layout.prefix(),
                n - 1);
        long ones = Bits.popcount(layout.support(), 0);
        checkArgument(
                ones == layout.nnz(),
                "%sBITMAP popcount %s does not match nnz %s",
                layout.prefix(),
                ones,
                layout.nnz());
    }

    /** Set bits in 64-bit words; {@link #check} checked the popcount and padding, so no range checks. */
    static final class Reader extends IndexReader {
        private int chunk;
        private long word;

        Reader(Layout layout) {
            super(layout);
            word = Bits.word(layout.support(), 0);
        }

        @Override
        int next() {
            while (word == 0) {
                word = Bits.word(layout.support(), ++chunk << 3);
            }
            int index = (chunk << 6) + Long.numberOfTrailingZeros(word);
            word &= word - 1;
            return index;
        }
    }
}
