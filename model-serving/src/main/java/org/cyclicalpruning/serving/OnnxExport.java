package org.cyclicalpruning.serving;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.tribuo.util.onnx.ONNXAttribute;
import org.tribuo.util.onnx.ONNXContext;
import org.tribuo.util.onnx.ONNXOperator;
import org.tribuo.util.onnx.ONNXOperators;
import org.tribuo.util.onnx.ONNXPlaceholder;
import org.tribuo.util.onnx.ONNXRef;

/**
 * Writes a snapshot as an ONNX model, which ONNX Runtime, Triton, OpenVINO and DeepSparse serve:
 * input {@code features} (rows x inputs, float32), the model's standardisation as {@code Sub} and
 * {@code Div} if it has one, one {@code Gemm} per layer ({@code y = x·Wᵀ + b}) with {@code Relu}
 * between, output {@code outputs} (raw, as the Java predictors return). Weights are dense
 * initializers (the pruned ones zero), or with {@link Initializers#SPARSE} ONNX's {@code
 * sparse_initializer}s (the non-zero values and their flat indices); model id, version, schedule,
 * sparsity and step are in {@code metadata_props}. The protobuf classes and graph builder are
 * Tribuo's.
 */
public final class OnnxExport {
    private OnnxExport() {}

    /** The ONNX input's name. */
    public static final String INPUT = "features";

    /** The ONNX output's name. */
    public static final String OUTPUT = "outputs";

    /** How the weight matrices are stored; biases are always dense. */
    public enum Initializers {
        /** Every entry, zeros included: what every ONNX runtime reads. */
        DENSE,
        /** {@code sparse_initializer}: values and int64 flat indices of the non-zero entries. */
        SPARSE
    }

    /** ONNX's Relu, which Tribuo's operator set leaves out; opset 13 as Tribuo's own operators. */
    private enum Relu implements ONNXOperator {
        RELU;

        @Override
        public String getOpName() {
            return "Relu";
        }

        @Override
        public int getNumInputs() {
            return 1;
        }

        @Override
        public int getNumOptionalInputs() {
            return 0;
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public Map<String, ONNXAttribute> getAttributes() {
            return Map.of();
        }

        @Override
        public Set<String> getMandatoryAttributeNames() {
            return Set.of();
        }

        @Override
        public int getOpVersion() {
            return ONNXOperators.getOpsetVersion();
        }

        @Override
        public String getOpDomain() {
            return "ai.onnx";
        }
    }

    /**
     * Returns the snapshot as a serialised ONNX {@code ModelProto}.
     *
     * @param snapshot a snapshot whose spec passes {@link ModelSnapshots#checkedSpec}
     * @return the model's bytes
     */
    public static byte[] toBytes(SparseModelSnapshot snapshot) {
        return toBytes(snapshot, Initializers.DENSE);
    }

    /**
     * Returns the snapshot as a serialised ONNX {@code ModelProto}, its weights stored as asked.
     *
     * @param snapshot a snapshot whose spec passes {@link ModelSnapshots#checkedSpec}
     * @param initializers dense or sparse weight matrices
     * @return the model's bytes
     */
    public static byte[] toBytes(SparseModelSnapshot snapshot, Initializers initializers) {
        OnnxMl.ModelProto model = model(snapshot);
        return (initializers == Initializers.SPARSE ? sparse(model) : model).toByteArray();
    }

    /**
     * Writes the snapshot as an ONNX model file.
     *
     * @param snapshot the snapshot
     * @param file where to write it
     * @throws IOException if the file cannot be written
     */
    public static void write(SparseModelSnapshot snapshot, Path file) throws IOException {
        write(snapshot, Initializers.DENSE, file);
    }

    /**
     * Writes the snapshot as an ONNX model file, its weights stored as asked.
     *
     * @param snapshot the snapshot
     * @param initializers dense or sparse weight matrices
     * @param file where to write it
     * @throws IOException if the file cannot be written
     */
    public static void write(SparseModelSnapshot snapshot, Initializers initializers, Path file) throws IOException {
        Files.write(file, toBytes(snapshot, initializers));
    }

    /** Moves every weight matrix of the graph from its dense initializer to a sparse one. */
    private static OnnxMl.ModelProto sparse(OnnxMl.ModelProto model) {
        OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder().clearInitializer();
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            if (!t.getName().contains(".weight")) {
                graph.addInitializer(t);
                continue;
            }
            float[] dense = floats(t);
            int nnz = 0;
            for (float v : dense) {
                nnz += v != 0f ? 1 : 0;
            }
            OnnxMl.TensorProto.Builder values = OnnxMl.TensorProto.newBuilder()
                    .setName(t.getName())
                    .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                    .addDims(nnz);
            OnnxMl.TensorProto.Builder indices = OnnxMl.TensorProto.newBuilder()
                    .setName(t.getName() + ".indices")
                    .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber())
                    .addDims(nnz);
            for (int i = 0; i < dense.length; i++) {
                if (dense[i] != 0f) {
                    values.addFloatData(dense[i]);
                    indices.addInt64Data(i);
                }
            }
            graph.addSparseInitializer(OnnxMl.SparseTensorProto.newBuilder()
                    .setValues(values)
                    .setIndices(indices)
                    .addAllDims(t.getDimsList()));
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private static float[] floats(OnnxMl.TensorProto t) {
        if (t.getFloatDataCount() > 0) {
            float[] out = new float[t.getFloatDataCount()];
            for (int i = 0; i < out.length; i++) {
                out[i] = t.getFloatData(i);
            }
            return out;
        }
        java.nio.FloatBuffer raw = t.getRawData()
                .asReadOnlyByteBuffer()
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float[] out = new float[raw.remaining()];
        raw.get(out);
        return out;
    }

    static OnnxMl.ModelProto model(SparseModelSnapshot snapshot) {
        ModelSpec spec = ModelSnapshots.checkedSpec(snapshot);
        float[][] params = ModelSnapshots.decodeTensors(snapshot);
        int[] widths = spec.layerWidths();
        ONNXContext context = new ONNXContext();
        context.setName(snapshot.getModelId() + "-v" + snapshot.getVersion());
        ONNXPlaceholder input = context.floatInput(INPUT, widths[0]);
        ONNXRef<?> x = input;
        Optional<InputStandardization> scale = ModelSnapshots.inputStandardization(snapshot);
        if (scale.isPresent()) {
            x = x.apply(
                            ONNXOperators.SUB,
                            context.constant("input_mean", scale.get().mean()))
                    .apply(
                            ONNXOperators.DIV,
                            context.constant("input_std", scale.get().std()));
        }
        for (int l = 0; l < widths.length - 1; l++) {
            int in = widths[l];
            int out = widths[l + 1];
            float[] weight = params[2 * l];
            float[] bias = params[2 * l + 1];
            var w = context.floatTensor("layer" + l + ".weight", List.of(out, in), buffer -> buffer.put(weight));
            var b = context.floatTensor("layer" + l + ".bias", List.of(out), buffer -> buffer.put(bias));
            x = context.operation(
                    ONNXOperators.GEMM, List.<ONNXRef<?>>of(x, w, b), "layer" + l, Map.<String, Object>of("transB", 1));
            if (l < widths.length - 2) {
                x = x.apply(Relu.RELU);
            }
        }
        x.assignTo(context.floatOutput(OUTPUT, widths[widths.length - 1]));
        OnnxMl.ModelProto.Builder model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("cyclical-pruning")
                .setModelVersion(snapshot.getVersion())
                .setDocString("snapshot " + snapshot.getVersion() + " of model " + snapshot.getModelId())
                .setGraph(context.buildGraph())
                .addOpsetImport(ONNXOperators.getOpsetProto());
        metadata(model, "model_id", snapshot.getModelId());
        metadata(model, "version", String.valueOf(snapshot.getVersion()));
        metadata(model, "spec", spec.toString());
        metadata(model, "schedule", snapshot.getSchedule());
        metadata(model, "sparsity", String.valueOf(snapshot.getSparsity()));
        metadata(model, "step", String.valueOf(snapshot.getStep()));
        metadata(model, "event_time", String.valueOf(snapshot.getEventTime()));
        return model.build();
    }

    private static void metadata(OnnxMl.ModelProto.Builder model, String key, String value) {
        model.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder()
                .setKey(key)
                .setValue(value)
                .build());
    }
}
