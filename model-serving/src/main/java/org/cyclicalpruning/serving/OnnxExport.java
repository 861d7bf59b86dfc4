package org.cyclicalpruning.serving;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import org.cyclicalpruning.modelops.model.ConvFront;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelLayout;
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
 * {@code Div} if it has one, for a convolutional model {@code Reshape} into images and per layer
 * {@code Conv} (with {@code BatchNormalization}, inference mode, where the model has it) and
 * {@code Relu}, or {@code MaxPool}, then {@code Flatten}; one {@code Gemm} per
 * fully connected layer ({@code y = x·Wᵀ + b}) with {@code Relu} between, output {@code outputs} (raw, as the Java predictors return). Weights are dense
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

    /** ONNX operators Tribuo's set leaves out, at the opset of Tribuo's own operators (13). */
    private enum Op implements ONNXOperator {
        RELU("Relu", 1, 0, Map.of()),
        RESHAPE("Reshape", 2, 0, Map.of()),
        CONV(
                "Conv",
                2,
                1,
                Map.of("kernel_shape", ints("kernel_shape"), "pads", ints("pads"), "strides", ints("strides"))),
        MAX_POOL("MaxPool", 1, 0, Map.of("kernel_shape", ints("kernel_shape"), "strides", ints("strides"))),
        BATCH_NORMALIZATION(
                "BatchNormalization",
                5,
                0,
                Map.of("epsilon", new ONNXAttribute("epsilon", OnnxMl.AttributeProto.AttributeType.FLOAT, false))),
        FLATTEN(
                "Flatten",
                1,
                0,
                Map.of("axis", new ONNXAttribute("axis", OnnxMl.AttributeProto.AttributeType.INT, false)));

        private final String name;
        private final int inputs;
        private final int optionalInputs;
        private final Map<String, ONNXAttribute> attributes;

        Op(String name, int inputs, int optionalInputs, Map<String, ONNXAttribute> attributes) {
            this.name = name;
            this.inputs = inputs;
            this.optionalInputs = optionalInputs;
            this.attributes = attributes;
        }

        private static ONNXAttribute ints(String name) {
            return new ONNXAttribute(name, OnnxMl.AttributeProto.AttributeType.INTS, false);
        }

        @Override
        public String getOpName() {
            return name;
        }

        @Override
        public int getNumInputs() {
            return inputs;
        }

        @Override
        public int getNumOptionalInputs() {
            return optionalInputs;
        }

        @Override
        public int getNumOutputs() {
            return 1;
        }

        @Override
        public Map<String, ONNXAttribute> getAttributes() {
            return attributes;
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
            // the default domain by the name the model's opset import uses: ONNX's checker refuses
            // a node in "ai.onnx" when only "" is imported, although ONNX Runtime takes both
            return "";
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
        return (initializers == Initializers.SPARSE ? sparse(model, ModelSnapshots.checkedSpec(snapshot)) : model)
                .toByteArray();
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

    /** Moves every prunable weight tensor of the graph from its dense initializer to a sparse one. */
    private static OnnxMl.ModelProto sparse(OnnxMl.ModelProto model, ModelSpec spec) {
        Set<String> prunable = spec.layout().tensors().stream()
                .filter(ModelLayout.Tensor::prunable)
                .map(ModelLayout.Tensor::name)
                .collect(Collectors.toSet());
        OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder().clearInitializer();
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            // the graph builder makes names unique with a suffix: conv0.weight_0
            String tensor = t.getName();
            if (prunable.stream().noneMatch(name -> tensor.equals(name) || tensor.startsWith(name + "_"))) {
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
        ONNXPlaceholder input = context.floatInput(INPUT, spec.inputs());
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
        ModelLayout layout = spec.layout();
        if (spec.isConvolutional()) {
            x = convolutions(context, spec, params, x);
        }
        for (int l = 0; l < widths.length - 1; l++) {
            int in = widths[l];
            int out = widths[l + 1];
            float[] weight = params[layout.weightOf(l)];
            float[] bias = params[layout.biasOf(l)];
            var w = context.floatTensor("layer" + l + ".weight", List.of(out, in), buffer -> buffer.put(weight));
            var b = context.floatTensor("layer" + l + ".bias", List.of(out), buffer -> buffer.put(bias));
            x = context.operation(
                    ONNXOperators.GEMM, List.<ONNXRef<?>>of(x, w, b), "layer" + l, Map.<String, Object>of("transB", 1));
            if (l < widths.length - 2) {
                x = x.apply(Op.RELU);
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

    /** The rows as images, then Conv with Relu and MaxPool per the front, flattened for the first Gemm. */
    private static ONNXRef<?> convolutions(ONNXContext context, ModelSpec spec, float[][] params, ONNXRef<?> x) {
        ConvFront front = spec.front();
        ModelLayout layout = spec.layout();
        var shape = context.array("image_shape", new long[] {-1, front.channels(), front.height(), front.width()});
        x = context.operation(Op.RESHAPE, List.<ONNXRef<?>>of(x, shape), "image");
        int channels = front.channels();
        int c = 0;
        for (ConvFront.Layer layer : front.layers()) {
            if (layer instanceof ConvFront.Conv conv) {
                int k = conv.kernel();
                int p = conv.padding();
                float[] weight = params[layout.convWeightOf(c)];
                float[] bias = params[layout.convBiasOf(c)];
                var w = context.floatTensor(
                        "conv" + c + ".weight", List.of(conv.filters(), channels, k, k), buffer -> buffer.put(weight));
                var b = context.floatTensor("conv" + c + ".bias", List.of(conv.filters()), buffer -> buffer.put(bias));
                x = context.operation(
                        Op.CONV,
                        List.<ONNXRef<?>>of(x, w, b),
                        "conv" + c,
                        Map.<String, Object>of(
                                "kernel_shape", new int[] {k, k}, "pads", new int[] {p, p, p, p}, "strides", new int[] {
                                    1, 1
                                }));
                OptionalInt norm = layout.batchNormOf(c);
                if (norm.isPresent()) {
                    x = batchNormalization(context, layout, c, conv.filters(), params, norm.getAsInt(), x);
                }
                x = x.apply(Op.RELU);
                channels = conv.filters();
                c++;
            } else if (layer instanceof ConvFront.MaxPool pool) {
                int size = pool.size();
                x = x.apply(
                        Op.MAX_POOL,
                        Map.<String, Object>of(
                                "kernel_shape", new int[] {size, size}, "strides", new int[] {size, size}));
            }
        }
        return x.apply(Op.FLATTEN, Map.<String, Object>of("axis", 1));
    }

    /** Inference-mode BatchNormalization with the running statistics: gamma, beta, mean, var from {@code first}. */
    private static ONNXRef<?> batchNormalization(
            ONNXContext context, ModelLayout layout, int conv, int filters, float[][] params, int first, ONNXRef<?> x) {
        List<ONNXRef<?>> inputs = new ArrayList<>(List.of(x));
        for (int p = first; p < first + 4; p++) {
            float[] values = params[p];
            inputs.add(context.floatTensor(layout.tensor(p).name(), List.of(filters), buffer -> buffer.put(values)));
        }
        return context.operation(
                Op.BATCH_NORMALIZATION,
                inputs,
                "bn" + conv,
                Map.<String, Object>of("epsilon", ConvFront.BATCH_NORM_EPSILON));
    }

    private static void metadata(OnnxMl.ModelProto.Builder model, String key, String value) {
        model.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder()
                .setKey(key)
                .setValue(value)
                .build());
    }
}
