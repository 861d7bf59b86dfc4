package org.cyclicalpruning.modelops.snapshot;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * Reads a trained model's weights from the files this project writes, so that a model can start
 * trained: an Avro file of snapshots (the file sink's; its latest version is taken) or a NumPy
 * {@code .npz} archive as {@code export} writes it (dense or sparse layout). The input
 * standardisation the file carries comes along.
 */
public final class ModelFiles {
    /** Largest file read: the weights of the largest model a job may publish, and then some. */
    private static final long MAX_BYTES = 1L << 30;

    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");

    private ModelFiles() {}

    /** A model's weights and input standardisation, read from a file. Immutable once read. */
    public static final class Weights implements Serializable {
        private static final long serialVersionUID = 1L;
        private final float[][] params;
        private final InputStandardization scale;
        private final String source;

        Weights(float[][] params, Optional<InputStandardization> scale, String source) {
            this.params = params;
            this.scale = scale.orElse(null);
            this.source = source;
        }

        /** Returns a copy of every parameter tensor, in {@link ModelLayout} order. */
        public float[][] params() {
            float[][] copy = new float[params.length][];
            for (int p = 0; p < params.length; p++) {
                copy[p] = params[p].clone();
            }
            return copy;
        }

        /** Returns the input standardisation the file's model applies, if any. */
        public Optional<InputStandardization> scale() {
            return Optional.ofNullable(scale);
        }

        /** Returns where the weights came from. */
        public String source() {
            return source;
        }

        @Override
        public String toString() {
            return "weights from " + source;
        }
    }

    /**
     * Reads the weights of a model of architecture {@code spec}.
     *
     * @param file an Avro snapshot file ({@code .avro}) or a {@code .npz} archive
     * @param spec the architecture the weights must fit
     * @return the weights
     * @throws IllegalArgumentException naming the file and what does not fit
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Weights read(Path file, ModelSpec spec) {
        try {
            checkArgument(Files.size(file) <= MAX_BYTES, "model file %s is larger than %s bytes", file, MAX_BYTES);
            if (file.getFileName().toString().endsWith(".npz")) {
                return fromNpz(Files.readAllBytes(file), spec, file.toString());
            }
            return fromSnapshots(ModelSnapshots.readFile(file), spec, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Weights fromSnapshots(List<SparseModelSnapshot> snapshots, ModelSpec spec, String source) {
        checkArgument(!snapshots.isEmpty(), "%s holds no snapshot", source);
        SparseModelSnapshot latest =
                snapshots.stream().max(ModelSnapshots.SERVING_ORDER).orElseThrow();
        ModelSpec found = ModelSnapshots.checkedSpec(latest);
        checkArgument(
                found.equals(spec),
                "%s holds a model of %s (%s v%s), not of %s",
                source,
                found,
                latest.getModelId(),
                latest.getVersion(),
                spec);
        return new Weights(
                ModelSnapshots.decodeTensors(latest),
                ModelSnapshots.inputStandardization(latest),
                source + " (" + latest.getModelId() + " v" + latest.getVersion() + ")");
    }

    private static Weights fromNpz(byte[] bytes, ModelSpec spec, String source) throws IOException {
        Map<String, Array> arrays = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                if (e.getName().endsWith(".npy")) {
                    arrays.put(e.getName().substring(0, e.getName().length() - 4), readNpy(zip, source, e.getName()));
                }
            }
        }
        ModelLayout layout = spec.layout();
        float[][] params = new float[layout.size()][];
        for (int p = 0; p < layout.size(); p++) {
            ModelLayout.Tensor t = layout.tensor(p);
            Array dense = arrays.get(t.name());
            if (dense != null) {
                checkArgument(
                        Arrays.equals(
                                dense.shape,
                                Arrays.stream(t.shape()).asLongStream().toArray()),
                        "%s: %s has shape %s, %s needs %s",
                        source,
                        t.name(),
                        Arrays.toString(dense.shape),
                        spec,
                        Arrays.toString(t.shape()));
                params[p] = dense.floats();
                continue;
            }
            Array values = arrays.get(t.name() + ".values");
            Array indices = arrays.get(t.name() + ".indices");
            checkArgument(
                    values != null && indices != null,
                    "%s has neither %s.npy nor %s.values.npy",
                    source,
                    t.name(),
                    t.name());
            float[] v = values.floats();
            long[] at = indices.longs();
            checkArgument(
                    v.length == at.length,
                    "%s: %s has %s values and %s indices",
                    source,
                    t.name(),
                    v.length,
                    at.length);
            params[p] = new float[t.size()];
            for (int k = 0; k < at.length; k++) {
                checkArgument(
                        at[k] >= 0 && at[k] < t.size(), "%s: index %s of %s is out of range", source, at[k], t.name());
                params[p][(int) at[k]] = v[k];
            }
        }
        Array mean = arrays.get("input_mean");
        Array std = arrays.get("input_std");
        Optional<InputStandardization> scale = mean != null && std != null
                ? Optional.of(new InputStandardization(mean.floats()[0], std.floats()[0]))
                : Optional.empty();
        return new Weights(params, scale, source);
    }

    /** One {@code .npy} array: its shape, element type and little-endian data. */
    private record Array(String descr, long[] shape, ByteBuffer data) {
        float[] floats() {
            checkArgument(descr.equals("<f4"), "expected float32 (<f4), got %s", descr);
            float[] out = new float[data.remaining() / 4];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        long[] longs() {
            checkArgument(descr.equals("<i8"), "expected int64 (<i8), got %s", descr);
            long[] out = new long[data.remaining() / 8];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
    }

    /** Reads an {@code .npy} array of format 1.0 or 2.0: magic, version, header length, a Python dict, data. */
    private static Array readNpy(InputStream in, String source, String name) throws IOException {
        byte[] all = in.readAllBytes();
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        checkArgument(
                all.length >= 10 && all[0] == (byte) 0x93 && all[1] == 'N',
                "%s: %s is not an .npy array",
                source,
                name);
        int major = all[6];
        int headerLength = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int start = major == 1 ? 10 : 12;
        checkArgument(start + (long) headerLength <= all.length, "%s: %s has a truncated header", source, name);
        String header = new String(all, start, headerLength, StandardCharsets.US_ASCII);
        checkArgument(!header.contains("'fortran_order': True"), "%s: %s is in Fortran order", source, name);
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        checkArgument(d.find() && s.find(), "%s: %s has no descr or shape in its header", source, name);
        long[] shape = Arrays.stream(s.group(1).split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .mapToLong(Long::parseLong)
                .toArray();
        long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        int width = d.group(1).endsWith("8") ? 8 : 4;
        int dataStart = start + headerLength;
        checkArgument(
                all.length - dataStart == elements * width,
                "%s: %s holds %s data bytes, its shape needs %s",
                source,
                name,
                all.length - dataStart,
                elements * width);
        return new Array(
                d.group(1),
                shape,
                ByteBuffer.wrap(all, dataStart, all.length - dataStart).slice());
    }
}
