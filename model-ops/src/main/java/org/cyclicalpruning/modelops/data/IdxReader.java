package org.cyclicalpruning.modelops.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads gzipped files in the IDX format of (Fashion-)MNIST: a big-endian header of magic number
 * {@code 0x0000TTNN} (TT the element type, NN the number of dimensions), NN big-endian int32
 * dimension sizes, then the elements in row-major order.
 *
 * <p>Only unsigned-byte elements (type 0x08) are supported, the only type the MNIST family uses.
 * Every failure names the file, because a truncated download or a wrong path otherwise surfaces
 * much later as a puzzling shape error in training.
 */
final class IdxReader {
    /** Element type code for unsigned bytes. */
    static final int UNSIGNED_BYTE = 0x08;

    /** Magic number of a 3-dimensional unsigned-byte file (images). */
    static final int IMAGES_MAGIC = 2051;

    /** Magic number of a 1-dimensional unsigned-byte file (labels). */
    static final int LABELS_MAGIC = 2049;

    private IdxReader() {}

    /**
     * The decoded contents of an IDX file.
     *
     * @param file where it was read from, for messages
     * @param dims dimension sizes, outermost first
     * @param data the elements as raw unsigned bytes
     */
    record Idx(Path file, int[] dims, byte[] data) {
        /** Number of items along the outermost dimension (images, labels). */
        int count() {
            return dims[0];
        }

        /** Elements as floats divided by {@code divisor}, as {@link Uint8Features} decodes them; 255 maps pixels to [0, 1]. */
        float[] toFloats(float divisor) {
            return Uint8Features.decode(data, divisor);
        }

        /** Elements as ints in [0, 255]. */
        int[] toInts() {
            int[] out = new int[data.length];
            for (int i = 0; i < data.length; i++) {
                out[i] = data[i] & 0xFF;
            }
            return out;
        }
    }

    /**
     * Reads a gzipped unsigned-byte IDX file and checks its magic number.
     *
     * @param file the .gz file
     * @param expectedMagic e.g. {@link #IMAGES_MAGIC} or {@link #LABELS_MAGIC}
     * @return its contents
     * @throws UncheckedIOException naming the file when it is missing, unreadable or corrupt
     */
    static Idx read(Path file, int expectedMagic) {
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in =
                        new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16))) {
            int magic = in.readInt();
            if (magic != expectedMagic) {
                throw corrupt(
                        file,
                        String.format(
                                "bad magic number %d (0x%08X), expected %d (0x%08X)",
                                magic, magic, expectedMagic, expectedMagic));
            }
            int type = (magic >>> 8) & 0xFF;
            if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE) {
                throw corrupt(file, String.format("unsupported element type 0x%02X, only unsigned bytes (0x08)", type));
            }
            int[] dims = new int[magic & 0xFF];
            long size = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 0) {
                    throw corrupt(file, "negative size " + dims[i] + " for dimension " + i);
                }
                size *= dims[i];
                if (size > Integer.MAX_VALUE - 8) {
                    throw corrupt(
                            file,
                            "dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                                    + " exceed the largest Java array");
                }
            }
            byte[] data = new byte[(int) size];
            try {
                in.readFully(data);
            } catch (EOFException e) {
                throw corrupt(
                        file,
                        String.format(
                                "truncated: header %s promises %d data bytes but the file ends early",
                                Arrays.toString(dims), size));
            }
            if (in.read() != -1) {
                throw corrupt(
                        file,
                        String.format(
                                "trailing bytes after the %d data bytes promised by header %s",
                                size, Arrays.toString(dims)));
            }
            return new Idx(file, dims, data);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("IDX file not found: " + file, e);
        } catch (EOFException e) {
            throw corrupt(file, "truncated: the file ends inside the header or the gzip stream");
        } catch (ZipException e) {
            throw corrupt(file, "not a valid gzip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read IDX file " + file + ": " + e, e);
        }
    }

    private static UncheckedIOException corrupt(Path file, String what) {
        String message = "Corrupt IDX file " + file + ": " + what;
        return new UncheckedIOException(message, new IOException(message));
    }
}
