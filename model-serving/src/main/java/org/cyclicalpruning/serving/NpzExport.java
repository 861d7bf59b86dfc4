package org.cyclicalpruning.serving;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ObjIntConsumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.cyclicalpruning.modelops.model.ConvFront;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * Writes a snapshot as a NumPy {@code .npz} archive, so that Python tools (NumPy, SciPy, PyTorch)
 * can read a pruned model without Avro or this project's codec.
 *
 * <p>The archive is a zip of {@code .npy} files (format 1.0, little-endian), which {@code
 * numpy.load} opens directly:
 *
 * <ul>
 *   <li>{@link Layout#DENSE}: {@code <tensor>.npy}, float32, in the tensor's shape, e.g. {@code
 *       layer0.weight.npy} of shape (out, in): a layer computes {@code x @ W.T + b}.
 *   <li>{@link Layout#SPARSE}: per tensor {@code <tensor>.values.npy} (float32, the non-zero
 *       values), {@code <tensor>.indices.npy} (int64, their flat row-major indices, increasing)
 *       and {@code <tensor>.shape.npy} (int64); {@code W = zeros(prod(shape)); W[indices] =
 *       values; W = W.reshape(shape)}, or a SciPy COO matrix from {@code divmod(indices, in)}.
 *   <li>Both: {@code input_mean.npy} and {@code input_std.npy} (float32, shape (1,)) when the
 *       model standardises its features, {@code x = (x - input_mean) / input_std} before the first
 *       layer; and {@code meta.json}, the snapshot's metadata (model id, version, spec, schedule,
 *       sparsity, step, event time, input scaling, tensor shapes and non-zero counts).
 * </ul>
 *
 * <p>The file is written next to its destination and moved into place when complete, so a reader
 * polling the destination never sees half an archive.
 */
public final class NpzExport {
    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    /** NumPy aligns the data to 64 bytes since 1.14 (memory-mapping friendly); older readers accept it too. */
    private static final int NPY_ALIGNMENT = 64;

    private static final int CHUNK = 1 << 16;

    /** How tensors are laid out in the archive. */
    public enum Layout {
        /** One array per tensor, zeros included. */
        DENSE,
        /** Values, flat indices and shape per tensor; only non-zero entries. */
        SPARSE
    }

    private NpzExport() {}

    /**
     * Writes {@code snapshot} to {@code file}, replacing it if it exists.
     *
     * @param snapshot the snapshot
     * @param layout dense arrays or values and indices
     * @param file the archive to write; its folder must exist
     * @return the names of the archive's entries, in order
     * @throws IllegalArgumentException if a tensor is malformed or does not fit the spec
     * @throws IOException if the file cannot be written
     */
    public static List<String> write(SparseModelSnapshot snapshot, Layout layout, Path file) throws IOException {
        ModelSpec spec = ModelSnapshots.checkedSpec(snapshot);
        Path target = file.toAbsolutePath();
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            List<String> entries;
            try (ZipOutputStream zip =
                    new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(temp), CHUNK))) {
                entries = writeEntries(snapshot, spec, layout, zip);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return entries;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static List<String> writeEntries(
            SparseModelSnapshot snapshot, ModelSpec spec, Layout layout, ZipOutputStream zip) throws IOException {
        List<String> entries = new ArrayList<>();
        for (SparseTensor t : snapshot.getTensors()) {
            long[] shape = t.getShape().stream().mapToLong(Integer::longValue).toArray();
            if (layout == Layout.DENSE) {
                float[] dense = SparseTensorCodec.decode(t);
                entries.add(putArray(zip, t.getName() + ".npy", "<f4", shape, out -> writeFloats(out, dense)));
            } else {
                int[] support = SparseTensorCodec.support(t);
                float[] values = SparseTensorCodec.values(t);
                long[] nnz = {support.length};
                entries.add(putArray(zip, t.getName() + ".values.npy", "<f4", nnz, out -> writeFloats(out, values)));
                entries.add(putArray(zip, t.getName() + ".indices.npy", "<i8", nnz, out -> writeLongs(out, support)));
                entries.add(putArray(
                        zip,
                        t.getName() + ".shape.npy",
                        "<i8",
                        new long[] {shape.length},
                        out -> writeLongs(out, shape)));
            }
        }
        Optional<InputStandardization> scale = ModelSnapshots.inputStandardization(snapshot);
        if (scale.isPresent()) {
            float[] mean = {scale.get().mean()};
            float[] std = {scale.get().std()};
            entries.add(putArray(zip, "input_mean.npy", "<f4", new long[] {1}, out -> writeFloats(out, mean)));
            entries.add(putArray(zip, "input_std.npy", "<f4", new long[] {1}, out -> writeFloats(out, std)));
        }
        zip.putNextEntry(new ZipEntry("meta.json"));
        zip.write(metaJson(snapshot, spec, layout).getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        entries.add("meta.json");
        return entries;
    }

    private interface Payload {
        void writeTo(OutputStream out) throws IOException;
    }

    private static String putArray(ZipOutputStream zip, String name, String descr, long[] shape, Payload data)
            throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(npyHeader(descr, shape));
        data.writeTo(zip);
        zip.closeEntry();
        return name;
    }

    /**
     * Returns an {@code .npy} 1.0 header: magic, version, little-endian header length, then the
     * dict NumPy's {@code repr} writes, padded with spaces and ended by a newline so the data
     * starts at a multiple of 64 bytes.
     */
    static byte[] npyHeader(String descr, long[] shape) {
        StringBuilder dims = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            dims.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        // a one-element tuple needs its trailing comma in Python
        dims.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
        int unpadded = NPY_MAGIC.length + 2 + dict.length() + 1;
        int padding = (NPY_ALIGNMENT - unpadded % NPY_ALIGNMENT) % NPY_ALIGNMENT;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer out =
                ByteBuffer.allocate(NPY_MAGIC.length + 2 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(NPY_MAGIC).putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        return out.array();
    }

    private static void writeFloats(OutputStream out, float[] values) throws IOException {
        writeChunked(out, values.length, Float.BYTES, (buffer, i) -> buffer.putFloat(values[i]));
    }

    private static void writeLongs(OutputStream out, int[] values) throws IOException {
        writeChunked(out, values.length, Long.BYTES, (buffer, i) -> buffer.putLong(values[i]));
    }

    /** Writes {@code count} values of {@code bytes} bytes each, little-endian, a buffer of CHUNK bytes at a time. */
    private static void writeChunked(OutputStream out, int count, int bytes, ObjIntConsumer<ByteBuffer> put)
            throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            if (buffer.remaining() < bytes) {
                flush(out, buffer);
            }
            put.accept(buffer, i);
        }
        flush(out, buffer);
    }

    private static void writeLongs(OutputStream out, long[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            buffer.putLong(v);
        }
        flush(out, buffer);
    }

    private static void flush(OutputStream out, ByteBuffer buffer) throws IOException {
        out.write(buffer.array(), 0, buffer.position());
        buffer.clear();
    }

    /** [channels, height, width] of a convolutional model's input, null otherwise. */
    private static String imageJson(ModelSpec spec) {
        ConvFront f = spec.front();
        return f.isPresent() ? "[" + f.channels() + ", " + f.height() + ", " + f.width() + "]" : "null";
    }

    /**
     * The convolutional front's layers in order: stride 1 convolutions with ReLU (after batch
     * normalisation, {@code (y - bn<c>.running_mean) / sqrt(bn<c>.running_var + 1e-5) * bn<c>.gamma
     * + bn<c>.beta} per filter, if {@code batch_norm}), pools of stride = size.
     */
    private static String featuresJson(ModelSpec spec) {
        StringBuilder json = new StringBuilder("[");
        for (ConvFront.Layer layer : spec.front().layers()) {
            if (json.length() > 1) {
                json.append(", ");
            }
            if (layer instanceof ConvFront.Conv c) {
                json.append("{\"type\": \"conv\", \"filters\": ")
                        .append(c.filters())
                        .append(", \"kernel\": ")
                        .append(c.kernel())
                        .append(", \"padding\": ")
                        .append(c.padding())
                        .append(", \"batch_norm\": ")
                        .append(c.batchNorm())
                        .append('}');
            } else if (layer instanceof ConvFront.MaxPool p) {
                json.append("{\"type\": \"max_pool\", \"size\": ")
                        .append(p.size())
                        .append('}');
            }
        }
        return json.append(']').toString();
    }

    static String metaJson(SparseModelSnapshot s, ModelSpec spec, Layout layout) {
        StringBuilder json = new StringBuilder("{\n");
        field(json, "model_id", string(s.getModelId()));
        field(json, "version", Long.toString(s.getVersion()));
        field(json, "spec", string(spec.toText()));
        field(json, "kind", string(spec.kind().name()));
        field(json, "layer_widths", Arrays.toString(spec.layerWidths()));
        field(json, "image", imageJson(spec));
        field(json, "features", featuresJson(spec));
        field(json, "schedule", string(s.getSchedule()));
        field(json, "sparsity", number(s.getSparsity()));
        field(json, "target_sparsity", number(s.getTargetSparsity()));
        field(json, "step", Long.toString(s.getStep()));
        field(json, "samples", Long.toString(s.getSamples()));
        field(json, "event_time_ms", Long.toString(s.getEventTime()));
        field(json, "event_time", string(Instant.ofEpochMilli(s.getEventTime()).toString()));
        field(json, "reason", string(s.getReason().name()));
        field(json, "cycle", Long.toString(s.getCycle()));
        field(json, "phase", string(s.getPhase()));
        field(json, "loss", number(s.getLoss()));
        field(json, "accuracy", s.getAccuracy() == null ? "null" : number(s.getAccuracy()));
        field(json, "layout", string(layout.name().toLowerCase(Locale.ROOT)));
        Optional<InputStandardization> scale = ModelSnapshots.inputStandardization(s);
        field(
                json,
                "input_scaling",
                scale.map(c -> "{\"mean\": " + number(c.mean()) + ", \"std\": " + number(c.std()) + "}")
                        .orElse("null"));
        field(
                json,
                "forward",
                string((scale.isPresent() ? "x = (x - input_mean) / input_std; " : "")
                        + "per layer x @ W.T + b, W of shape (out, in); ReLU between layers"));
        json.append("  \"tensors\": [");
        for (int p = 0; p < s.getTensors().size(); p++) {
            SparseTensor t = s.getTensors().get(p);
            json.append(p == 0 ? "\n" : ",\n")
                    .append("    {\"name\": ")
                    .append(string(t.getName()))
                    .append(", \"shape\": ")
                    .append(t.getShape())
                    .append(", \"nnz\": ")
                    .append(t.getNnz())
                    .append('}');
        }
        return json.append("\n  ]\n}\n").toString();
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append("  \"").append(name).append("\": ").append(value).append(",\n");
    }

    /** JSON has no NaN or infinity; a diverged loss is written as null. */
    private static String number(double value) {
        return Double.isFinite(value) ? Double.toString(value) : "null";
    }

    private static String string(CharSequence value) {
        StringBuilder out = new StringBuilder("\"");
        value.chars().forEach(c -> {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.append((char) c);
                    }
                }
            }
        });
        return out.append('"').toString();
    }
}
