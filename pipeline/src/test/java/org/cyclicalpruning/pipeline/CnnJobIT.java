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
 * The job end to end with a convolutional network: {@code fashion-cnn} on a slice of
 * Fashion-MNIST (uint8 pixels, standardised online), pruned cyclically to 90% with masks over its
 * convolution kernels, snapshots with 4-D tensors on the compacted topic.
 */
class CnnJobIT extends KafkaJobTestBase {
    static final int BATCHES = 300;
    static final int ROWS = 32;
    static final long STEP = 50;

    @Test
    void aCnnTrainsPrunesAndSnapshotsThroughTheJob() throws Exception {
        KAFKA.broker().createTopics("in", 1, "out", "dead");
        Iterator<Batch> images = FashionMnist.train(FashionMnist.defaultDir()).batches(ROWS, 1, true);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                Topics.send(
                        producer,
                        "in",
                        "cnn",
                        TrainingBatches.toBytes(TrainingBatches.quantized(
                                "cnn", i, JobFixtures.T0 + i * STEP, images.next(), FashionMnist.PIXEL_DIVISOR)));
            }
        }
        ModelDeclaration cnn = ModelDeclaration.newBuilder()
                .setModelId("cnn")
                .setSpec("fashion-cnn")
                .setSchedule("cyclical(final=0.9, period=5s, cycles=inf, ramp=0.5)")
                .setRegrowth(true)
                .setInputScaling("standardize(online)")
                .setOptimizer(
                        OptimizerDeclaration.newBuilder().setLearningRate(0.02).build())
                .build();
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 1, true, List.of(cnn)), "in", "out", "dead")
                .with(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Duration.ofSeconds(5)));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("cnn");

        List<SparseModelSnapshot> snapshots = JobFixtures.byModel(
                        Topics.readAll(KAFKA.bootstrapServers(), "out", Map.of(), Duration.ofSeconds(60)))
                .get("cnn");
        System.out.println(JobFixtures.describe(Map.of("cnn", snapshots)));
        assertThat(snapshots).hasSizeGreaterThanOrEqualTo(2);
        SparseModelSnapshot last = snapshots.get(snapshots.size() - 1);
        assertThat(ModelSpec.fromAvro(last.getSpec())).isEqualTo(ModelSpec.FASHION_CNN);
        assertThat(last.getSparsity()).isEqualTo(0.9, within(1e-4));
        SparseTensor conv1 = last.getTensors().get(2);
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
