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
 * initializers (the pruned ones zero); model id, version, schedule, sparsity and step are in
 * {@code metadata_props}. The protobuf classes and graph builder are Tribuo's.
 */
public final class OnnxExport {
    private OnnxExport() {}

    /** The ONNX input's name. */
    public static final String INPUT = "features";

    /** The ONNX output's name. */
    public static final String OUTPUT = "outputs";

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
        return model(snapshot).toByteArray();
    }

    /**
     * Writes the snapshot as an ONNX model file.
     *
     * @param snapshot the snapshot
     * @param file where to write it
     * @throws IOException if the file cannot be written
     */
    public static void write(SparseModelSnapshot snapshot, Path file) throws IOException {
        Files.write(file, toBytes(snapshot));
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
