package org.cyclicalpruning.modelops.snapshot;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a model's snapshot files live below the snapshot folder: a relative path that names the
 * model id reversibly, so that no two ids share a folder and none leaves the snapshot folder.
 *
 * <p>Letters, digits, {@code -}, {@code _} and {@code .} stand for themselves; every other byte of
 * the id's UTF-8 is written {@code %XX}, as is a leading dot (so no folder is {@code .}, {@code ..}
 * or hidden). Folder names are kept under the 255-byte limit of common file systems: an encoding
 * longer than {@value #MAX_SEGMENT} characters is split into nested folders, every one but the
 * last ending in {@code +}, which the encoding never produces otherwise, so a short id's folder is
 * never a long id's parent. File systems that ignore case (macOS, Windows) would merge ids that
 * differ only in case; the job's targets (local Linux disks, HDFS, object stores) do not.
 */
public final class SnapshotFolders {
    /** The longest folder name written, in characters (all ASCII). */
    public static final int MAX_SEGMENT = 200;

    private static final char CONTINUED = '+';
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private SnapshotFolders() {}

    /**
     * Returns the folder of a model's snapshots, relative to the snapshot folder, with {@code /}
     * between nested folders.
     *
     * @param modelId a non-empty model id
     * @return the relative folder path
     * @throws IllegalArgumentException if the id is empty
     */
    public static String folderOf(String modelId) {
        if (modelId.isEmpty()) {
            throw new IllegalArgumentException("a model id cannot be empty");
        }
        StringBuilder encoded = new StringBuilder(modelId.length());
        byte[] utf8 = modelId.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xFF;
            boolean plain = (b >= 'a' && b <= 'z')
                    || (b >= 'A' && b <= 'Z')
                    || (b >= '0' && b <= '9')
                    || b == '-'
                    || b == '_'
                    || (b == '.' && i > 0);
            if (plain) {
                encoded.append((char) b);
            } else {
                encoded.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
        }
        return split(encoded);
    }

    /**
     * Returns the model id whose snapshots live in {@code folder}, the inverse of {@link
     * #folderOf}.
     *
     * @param folder a path relative to the snapshot folder, with {@code /} between folders
     * @return the model id, or empty if no id maps to this folder
     */
    public static Optional<String> modelIdOf(String folder) {
        String[] segments = folder.split("/", -1);
        StringBuilder encoded = new StringBuilder(folder.length());
        for (int s = 0; s < segments.length; s++) {
            String segment = segments[s];
            boolean last = s == segments.length - 1;
            if (last == segment.endsWith(String.valueOf(CONTINUED)) || segment.isEmpty()) {
                return Optional.empty();
            }
            encoded.append(last ? segment : segment.substring(0, segment.length() - 1));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                if (i + 2 >= encoded.length()) {
                    return Optional.empty();
                }
                int hi = Character.digit(encoded.charAt(i + 1), 16);
                int lo = Character.digit(encoded.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return Optional.empty();
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        try {
            String id = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
            // only the canonical spelling of an id names it: anything else is not ours
            return id.isEmpty() || !folderOf(id).equals(folder) ? Optional.empty() : Optional.of(id);
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static String split(StringBuilder encoded) {
        if (encoded.length() <= MAX_SEGMENT) {
            return encoded.toString();
        }
        List<String> segments = new ArrayList<>();
        int from = 0;
        while (encoded.length() - from > MAX_SEGMENT) {
            int to = from + MAX_SEGMENT - 1; // room for the continuation mark
            // never cut an escape in two
            if (encoded.charAt(to - 1) == '%') {
                to -= 1;
            } else if (encoded.charAt(to - 2) == '%') {
                to -= 2;
            }
            segments.add(encoded.substring(from, to) + CONTINUED);
            from = to;
        }
        segments.add(encoded.substring(from));
        return String.join("/", segments);
    }
}
