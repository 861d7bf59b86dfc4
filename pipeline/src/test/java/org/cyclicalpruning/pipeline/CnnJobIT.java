package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;
import org.junit.jupiter.api.Test;

/**
 * The job end to end with convolutional networks: {@code fashion-cnn} and {@code fashion-cnn-bn}
 * side by side, each on its own slice of Fashion-MNIST (uint8 pixels, standardised online),
 * pruned cyclically to 90% with masks over their convolution kernels, snapshots with 4-D tensors
 * (and the batch normalisations' running statistics) on the compacted topic.
 */
class CnnJobIT extends KafkaJobTestBase {
    static final int BATCHES = 300;
    static final int ROWS = 32;
    static final long STEP = 50;

    @Test
    void aCnnTrainsPrunesAndSnapshotsThroughTheJob() throws Exception {
        KAFKA.broker().createTopics("in", 1, "out", "dead");
        Map<String, ModelSpec> models = Map.of("cnn", ModelSpec.FASHION_CNN, "cnn-bn", ModelSpec.FASHION_CNN_BN);
        Iterator<Batch> images = FashionMnist.train(FashionMnist.defaultDir()).batches(ROWS, 1, true);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                for (String model : models.keySet()) {
                    Topics.send(
                            producer,
                            "in",
                            model,
                            TrainingBatches.toBytes(TrainingBatches.quantized(
                                    model, i, JobFixtures.T0 + i * STEP, images.next(), FashionMnist.PIXEL_DIVISOR)));
                }
            }
        }
        List<ModelDeclaration> declarations = models.entrySet().stream()
                .map(model -> ModelDeclaration.newBuilder()
                        .setModelId(model.getKey())
                        .setSpec(model.getValue().toText())
                        .setSchedule("cyclical(final=0.9, period=5s, cycles=inf, ramp=0.5)")
                        .setRegrowth(true)
                        .setInputScaling("standardize(online)")
                        .setOptimizer(OptimizerDeclaration.newBuilder()
                                .setLearningRate(0.02)
                                .build())
                        .build())
                .toList();
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 1, true, declarations), "in", "out", "dead")
                .with(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Duration.ofSeconds(5)));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("cnn");

        Map<String, List<SparseModelSnapshot>> byModel =
                JobFixtures.byModel(Topics.readAll(KAFKA.bootstrapServers(), "out", Map.of(), Duration.ofSeconds(60)));
        System.out.println(JobFixtures.describe(byModel));
        for (Map.Entry<String, ModelSpec> model : models.entrySet()) {
            List<SparseModelSnapshot> snapshots = byModel.get(model.getKey());
            assertThat(snapshots).as(model.getKey()).hasSizeGreaterThanOrEqualTo(2);
            assertTrainedAndPruned(model.getValue(), snapshots.get(snapshots.size() - 1));
        }
        SparseModelSnapshot normalised =
                byModel.get("cnn-bn").get(byModel.get("cnn-bn").size() - 1);
        int norm = ModelSpec.FASHION_CNN_BN.layout().batchNormOf(1).orElseThrow();
        SparseTensor runningVar = normalised.getTensors().get(norm + 3);
        assertThat(runningVar.getName()).isEqualTo("bn1.running_var");
        assertThat(SparseTensorCodec.decode(runningVar))
                .as("the running statistics moved from their start and were snapshotted")
                .hasSize(32)
                .doesNotContain(1f, 0f);
    }

    private static void assertTrainedAndPruned(ModelSpec spec, SparseModelSnapshot last) {
        assertThat(ModelSpec.fromAvro(last.getSpec())).isEqualTo(spec);
        assertThat(last.getSparsity()).isEqualTo(0.9, within(1e-4));
        SparseTensor conv1 = last.getTensors().get(spec.layout().convWeightOf(1));
        assertThat(conv1.getName()).isEqualTo("conv1.weight");
        assertThat(conv1.getShape()).containsExactly(32, 16, 3, 3);
        float[] kernels = SparseTensorCodec.decode(conv1);
        long zeros = 0;
        for (float w : kernels) {
            zeros += w == 0f ? 1 : 0;
        }
        assertThat(zeros).as("the convolution is pruned too").isPositive();
        assertThat(last.getAccuracy())
                .as("prequential accuracy over the last snapshot period, on images it had not seen")
                .isGreaterThan(0.65);
        assertThat(last.getInputScaling()).isNotNull();
    }
}
