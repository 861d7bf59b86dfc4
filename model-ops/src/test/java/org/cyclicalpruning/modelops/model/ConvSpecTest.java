package org.cyclicalpruning.modelops.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class ConvSpecTest {

    @Test
    void theFashionCnnPresetIsTheNetworkOfThePyTorchReference() {
        ModelSpec cnn = ModelSpec.parse("fashion-cnn");
        assertThat(cnn).isEqualTo(ModelSpec.FASHION_CNN);
        assertThat(cnn.toText()).isEqualTo("cnn:1x28x28-c16k3-p2-c32k3-p2-f128-10");
        assertThat(ModelSpec.parse(cnn.toText())).isEqualTo(cnn);
        assertThat(cnn.inputs()).isEqualTo(784);
        assertThat(cnn.isConvolutional()).isTrue();
        assertThat(cnn.layerWidths()).containsExactly(32 * 7 * 7, 128, 10);
        // 16*1*9 + 16 + 32*16*9 + 32 + 1568*128 + 128 + 128*10 + 10
        assertThat(cnn.parameterCount()).isEqualTo(160 + 4640 + 200_832 + 1290);
        assertThat(cnn.prunableCount()).isEqualTo(144 + 4608 + 200_704 + 1280);
        assertThat(cnn.layout().names())
                .containsExactly(
                        "conv0.weight",
                        "conv0.bias",
                        "conv1.weight",
                        "conv1.bias",
                        "layer0.weight",
                        "layer0.bias",
                        "layer1.weight",
                        "layer1.bias");
        assertThat(cnn.layout().tensor(2).shape()).containsExactly(32, 16, 3, 3);
        assertThat(cnn.layout().prunableFanIns()).containsExactly(9, 144, 1568, 128);
        assertThat(cnn.layout().prunableGroupStrides()).containsExactly(9, 9, 1, 1);
        assertThat(cnn.layout().weightOf(0)).isEqualTo(4);
        assertThat(ModelSpec.parse("cnn:3x32x32-c8k5p0-p2-10").toText()).isEqualTo("cnn:3x32x32-c8k5p0-p2-10");
    }

    @Test
    void batchNormalisationAddsFourDenseTensorsPerConvolutionOfWhichTwoTrain() {
        ModelSpec cnn = ModelSpec.parse("fashion-cnn-bn");
        assertThat(cnn).isEqualTo(ModelSpec.FASHION_CNN_BN);
        assertThat(cnn.toText()).isEqualTo("cnn:1x28x28-c16k3bn-p2-c32k3bn-p2-f128-10");
        assertThat(ModelSpec.parse("cnn:3x32x32-c8k5p0bn-p2-10").toText()).isEqualTo("cnn:3x32x32-c8k5p0bn-p2-10");
        assertThat(cnn).isNotEqualTo(ModelSpec.FASHION_CNN);
        ModelLayout layout = cnn.layout();
        assertThat(layout.names())
                .containsExactly(
                        "conv0.weight",
                        "conv0.bias",
                        "bn0.gamma",
                        "bn0.beta",
                        "bn0.running_mean",
                        "bn0.running_var",
                        "conv1.weight",
                        "conv1.bias",
                        "bn1.gamma",
                        "bn1.beta",
                        "bn1.running_mean",
                        "bn1.running_var",
                        "layer0.weight",
                        "layer0.bias",
                        "layer1.weight",
                        "layer1.bias");
        assertThat(layout.convWeightOf(1)).isEqualTo(6);
        assertThat(layout.convBiasOf(1)).isEqualTo(7);
        assertThat(layout.batchNormOf(1)).hasValue(8);
        assertThat(layout.weightOf(0)).isEqualTo(12);
        assertThat(layout.biasOf(1)).isEqualTo(15);
        assertThat(ModelSpec.FASHION_CNN.layout().batchNormOf(0)).isEmpty();
        assertThat(layout.tensors().stream().filter(t -> !t.trainable()).map(ModelLayout.Tensor::name))
                .containsExactly("bn0.running_mean", "bn0.running_var", "bn1.running_mean", "bn1.running_var");
        // the normalisation's tensors are never pruned: the masks are those of the model without it
        assertThat(cnn.prunableCount()).isEqualTo(ModelSpec.FASHION_CNN.prunableCount());
        assertThat(layout.prunableGroupStrides()).containsExactly(9, 9, 1, 1);
        assertThat(cnn.parameterCount()).isEqualTo(ModelSpec.FASHION_CNN.parameterCount() + 4 * (16 + 32));
    }

    @Test
    void theDjlBlockHasTheLayoutsParametersInItsOrder() {
        for (ModelSpec cnn : List.of(ModelSpec.FASHION_CNN, ModelSpec.FASHION_CNN_BN)) {
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
                Block block = DjlBlocks.of(cnn);
                block.initialize(manager, DataType.FLOAT32, new Shape(1, cnn.inputs()));
                List<Parameter> parameters = block.getParameters().values();
                assertThat(parameters).hasSize(cnn.layout().size());
                for (int p = 0; p < parameters.size(); p++) {
                    ModelLayout.Tensor tensor = cnn.layout().tensor(p);
                    assertThat(parameters.get(p).getArray().getShape().getShape())
                            .as("parameter %s", tensor.name())
                            .containsExactly(toLongs(tensor.shape()));
                    assertThat(parameters.get(p).requiresGradient())
                            .as("parameter %s trains", tensor.name())
                            .isEqualTo(tensor.trainable());
                    assertThat(parameters.get(p).getName())
                            .as("parameter %s", tensor.name())
                            .isEqualTo(
                                    switch (tensor.role()) {
                                        case WEIGHT -> "weight";
                                        case BIAS -> "bias";
                                        case NORM_SCALE -> "gamma";
                                        case NORM_SHIFT -> "beta";
                                        case RUNNING_MEAN -> "runningMean";
                                        case RUNNING_VAR -> "runningVar";
                                    });
                }
                Shape[] out = block.getOutputShapes(new Shape[] {new Shape(5, 784)});
                assertThat(out[0]).isEqualTo(new Shape(5, 10));
            }
        }
    }

    @Test
    void aCnnSpecSurvivesAvroAndAFullyConnectedOneStaysAsReleasedReadersSeeIt() throws Exception {
        for (ModelSpec spec : List.of(
                ModelSpec.FASHION_CNN, ModelSpec.FASHION_CNN_BN, ModelSpec.LENET_300_100, ModelSpec.logistic(7))) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new SpecificDatumWriter<>(org.cyclicalpruning.schemas.ModelSpec.class).write(spec.toAvro(), encoder);
            encoder.flush();
            org.cyclicalpruning.schemas.ModelSpec read = new SpecificDatumReader<>(
                            org.cyclicalpruning.schemas.ModelSpec.class)
                    .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
            assertThat(ModelSpec.fromAvro(read)).isEqualTo(spec);
            if (!spec.isConvolutional()) {
                assertThat(read.getImage()).isNull();
                assertThat(read.getFeatures()).isEmpty();
            }
        }
    }

    @Test
    void badCnnSpecsAreRejectedWithTheReason() {
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28x28-f128-10"))
                .hasMessageContaining("at least one convolution");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28-c16k3-10")).hasMessageContaining("CHANNELSxHEIGHTxWIDTH");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x4x4-c8k3p0-p2-p2-10"))
                .hasMessageContaining("shrinks to nothing");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28x28-c16k3-f64-c8k3-10"))
                .hasMessageContaining("come before the fully connected layers");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28x28-q7-10")).hasMessageContaining("'q7'");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28x28-c16k3-bn-10")).hasMessageContaining("'bn'");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28x28-c16k3p3-10")).hasMessageContaining("padding");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x28x28-c16k3-1")).hasMessageContaining("at least 2 classes");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:100000x100000x100000-c1k1-10"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more values than an array holds");
        assertThatThrownBy(() -> ModelSpec.parse("cnn:1x8x8-c2147483647k1073741824p1073741823-10"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("than an array holds");
    }

    private static long[] toLongs(int[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }
}
