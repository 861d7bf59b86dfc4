package org.cyclicalpruning.modelops.snapshot;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.AvroBinary;
import org.cyclicalpruning.schemas.InputScaling;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/**
 * Reading and writing {@link SparseModelSnapshot}s, for the job that emits them and for serving
 * systems that only depend on {@code model-ops}.
 *
 * <p>On Kafka a snapshot is plain Avro binary of {@link SparseModelSnapshot#getClassSchema()}
 * (no header, no schema id); in files it is an Avro container file, which carries its schema.
 */
public final class ModelSnapshots {
    private ModelSnapshots() {}

    /** The system property that raises or lowers {@link #MAX_PARAMETERS}. */
    public static final String MAX_PARAMETERS_PROPERTY = "cyclicalpruning.max-snapshot-parameters";

    /**
     * The most parameters a snapshot's spec may have for {@link #checkedSpec} to accept it: 2^27
     * (512 MB of float32), unless the system property {@value #MAX_PARAMETERS_PROPERTY} says
     * otherwise.
     */
    public static final long MAX_PARAMETERS = Long.getLong(MAX_PARAMETERS_PROPERTY, 1L << 27);

    /**
     * The order in which a reader serves one model's snapshots: by lineage, then by version. The
     * greatest is the one to serve. A deployment without state starts a newer lineage whose versions
     * count from 1 again; ordering by version alone would keep the previous deployment's model for
     * good.
     */
    public static final Comparator<SparseModelSnapshot> SERVING_ORDER = Comparator.comparingLong(
                    SparseModelSnapshot::getLineage)
            .thenComparingLong(SparseModelSnapshot::getVersion);

    /**
     * Encodes a model's parameters, each tensor in its smallest encoding.
     *
     * @param spec the architecture; names the tensors
     * @param shapes shape of every parameter, in {@link ModelLayout} order
     * @param params the values of every parameter, same order
     * @return the encoded tensors
     */
    public static List<SparseTensor> encodeTensors(ModelSpec spec, int[][] shapes, float[][] params) {
        List<String> names = spec.tensorNames();
        checkArgument(
                shapes.length == names.size() && params.length == names.size(),
                "model %s has %s tensors, got %s shapes and %s value arrays",
                spec,
                names.size(),
                shapes.length,
                params.length);
        List<SparseTensor> tensors = new ArrayList<>(names.size());
        for (int p = 0; p < names.size(); p++) {
            tensors.add(SparseTensorCodec.encode(names.get(p), shapes[p], params[p]));
        }
        return tensors;
    }

    /**
     * Returns a snapshot's architecture after checking every tensor against it: the count, each
     * name, and each shape, so that a tensor of the right size but the wrong shape cannot silently
     * transpose a layer.
     *
     * @param snapshot the snapshot
     * @return its spec
     * @throws IllegalArgumentException naming the first tensor that does not fit, or the spec
     */
    public static ModelSpec checkedSpec(SparseModelSnapshot snapshot) {
        checkArgument(snapshot != null, "snapshot must not be null");
        ModelSpec spec = ModelSpec.fromAvro(snapshot.getSpec());
        // a reader decodes every tensor to dense arrays: a spec of a few bytes must not make it
        // allocate gigabytes
        checkArgument(
                spec.parameterCount() <= MAX_PARAMETERS,
                "snapshot of %s v%s has spec %s of %s parameters, more than the %s a reader takes (system property %s)",
                snapshot.getModelId(),
                snapshot.getVersion(),
                spec,
                spec.parameterCount(),
                MAX_PARAMETERS,
                MAX_PARAMETERS_PROPERTY);
        ModelLayout layout = spec.layout();
        List<SparseTensor> tensors = snapshot.getTensors();
        String model = snapshot.getModelId() + " v" + snapshot.getVersion();
        checkArgument(
                tensors != null && tensors.size() == layout.size(),
                "snapshot of %s has %s tensors, its spec %s needs %s",
                model,
                tensors == null ? 0 : tensors.size(),
                spec,
                layout.size());
        for (int p = 0; p < layout.size(); p++) {
            SparseTensor t = tensors.get(p);
            ModelLayout.Tensor expected = layout.tensor(p);
            checkArgument(
                    expected.name().equals(t.getName()),
                    "tensor %s of %s is '%s', expected '%s'",
                    p,
                    model,
                    t.getName(),
                    expected.name());
            List<Integer> shape = Arrays.stream(expected.shape()).boxed().toList();
            checkArgument(
                    shape.equals(t.getShape()),
                    "tensor '%s' of %s has shape %s, %s needs %s",
                    t.getName(),
                    model,
                    t.getShape(),
                    spec,
                    shape);
        }
        return spec;
    }

    /**
     * Decodes every tensor of a snapshot to dense arrays, checking them against its spec first
     * ({@link #checkedSpec}).
     *
     * @param snapshot the snapshot
     * @return dense values per parameter, in {@link ModelLayout} order
     * @throws IllegalArgumentException if tensors are missing, misnamed, misshapen or malformed
     */
    public static float[][] decodeTensors(SparseModelSnapshot snapshot) {
        checkedSpec(snapshot);
        List<SparseTensor> tensors = snapshot.getTensors();
        float[][] out = new float[tensors.size()][];
        for (int p = 0; p < out.length; p++) {
            out[p] = SparseTensorCodec.decode(tensors.get(p));
        }
        return out;
    }

    /**
     * Returns the input scaling record of a snapshot.
     *
     * @param scale what the model applies to its features, if anything
     * @return the record, or null for none (the field's Avro default)
     */
    public static InputScaling inputScaling(Optional<InputStandardization> scale) {
        return scale.map(s -> new InputScaling(List.of(s.mean()), List.of(s.std())))
                .orElse(null);
    }

    /**
     * Returns the standardisation a snapshot's model applies to its features, which every reader
     * must apply before the first layer.
     *
     * @param snapshot the snapshot
     * @return the standardisation; empty if the model takes features as they are
     * @throws IllegalArgumentException if the record holds anything but one finite mean and one
     *     positive standard deviation
     */
    public static Optional<InputStandardization> inputStandardization(SparseModelSnapshot snapshot) {
        InputScaling s = snapshot.getInputScaling();
        if (s == null) {
            return Optional.empty();
        }
        checkArgument(
                s.getMean() != null
                        && s.getStd() != null
                        && s.getMean().size() == 1
                        && s.getStd().size() == 1,
                "snapshot of %s v%s: input scaling needs one mean and one std, got %s and %s",
                snapshot.getModelId(),
                snapshot.getVersion(),
                s.getMean(),
                s.getStd());
        return Optional.of(
                new InputStandardization(s.getMean().get(0), s.getStd().get(0)));
    }

    /** Returns the snapshot as plain Avro binary, as written to Kafka. */
    public static byte[] toBytes(SparseModelSnapshot snapshot) {
        return AvroBinary.toBytes(snapshot);
    }

    /**
     * Reads a snapshot from plain Avro binary or a schema registry's wire format, as found on the
     * snapshot topic (see {@code sinks.framing}), written by this
     * version of the job or by an earlier one (whose records lack fields added since, such as
     * {@code lineage}; they read as their defaults).
     *
     * @param bytes the record value
     * @return the snapshot
     * @throws IllegalArgumentException if the bytes are not a snapshot
     */
    public static SparseModelSnapshot fromBytes(byte[] bytes) {
        return AvroBinary.fromTopicValue(bytes, SparseModelSnapshot.class);
    }

    /**
     * Reads every snapshot of an Avro container file, as the job's file sink writes them.
     *
     * @param file the file
     * @return its snapshots, in file order
     */
    public static List<SparseModelSnapshot> readFile(Path file) {
        List<SparseModelSnapshot> out = new ArrayList<>();
        try (DataFileReader<SparseModelSnapshot> reader =
                new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(SparseModelSnapshot.class))) {
            reader.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read snapshots from " + file + ": " + e.getMessage(), e);
        }
        return out;
    }
}
