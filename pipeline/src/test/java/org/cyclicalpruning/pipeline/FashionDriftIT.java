package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.cyclicalpruning.modelops.data.ImageDrift;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.source.TrainingBatches;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;

/**
 * Real data that drift: Fashion-MNIST images, as uint8 pixels, shift 6 pixels right and down after
 * GMP's mask has frozen. LeNet-300-100 at 98%, a stream's constant learning rate, inputs
 * standardised online. Cyclical pruning re-decides its mask every cycle and follows the shifted
 * images; GMP keeps the pixels it chose before. The drift-aware model holds GMP's mask until its own
 * error rises at the shift, and then re-prunes once.
 */
class FashionDriftIT extends KafkaJobTestBase {
    static final int BATCHES = 900;
    static final int ROWS = 64;
    static final long STEP = 50;
    static final int DRIFT_BATCH = 500;
    static final long PERIOD = 5_000; // 100 batches
    /**
     * How far ahead of GMP cyclical pruning must be at its second cycle end after the drift, in
     * prequential accuracy over that cycle. Measured here: 0.6898 against 0.6695, 2.0 points (and
     * 6.2 points over the first cycle after the drift, while before the drift GMP led by 5). The
     * run is deterministic; the margin leaves room for another machine's arithmetic.
     */
    static final double MARGIN = 0.01;
    /**
     * Batches after the shift within which the drift-aware model must detect it. Measured here: it
     * detects at the first shifted batch, whose 64 images' error jumps from about 0.15 to 0.6.
     */
    static final int DETECTION_DELAY = 2;
    /**
     * How far ahead of GMP the drift-aware model must be at the second boundary after the shift, in
     * prequential accuracy since the boundary before. Measured here: 0.7375 against 0.6695, 6.8
     * points (cyclical pruning: 0.6898).
     */
    static final double DRIFT_AWARE_MARGIN = 0.03;

    @Test
    void cyclicalPruningFollowsShiftedImagesBetterThanGmp() throws Exception {
        KAFKA.broker().createTopics("in", 2, "out", "dead");
        ImageDrift shift = ImageDrift.shift(FashionMnist.SIDE, 6);
        Iterator<Batch> images = FashionMnist.train(FashionMnist.defaultDir()).batches(ROWS, 1, true);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                Batch b = i >= DRIFT_BATCH ? shift.apply(images.next()) : images.next();
                long t = JobFixtures.T0 + i * STEP;
                for (String id : List.of("cyclical", "gmp", "drift-aware")) {
                    Topics.send(
                            producer,
                            "in",
                            id,
                            TrainingBatches.toBytes(
                                    TrainingBatches.quantized(id, i, t, b, FashionMnist.PIXEL_DIVISOR)));
                }
            }
        }
        List<ModelDeclaration> models = List.of(
                model("cyclical", "cyclical(final=0.98, period=5s, cycles=inf, ramp=0.5)", true),
                model("gmp", "gradual(final=0.98, duration=10s)", false),
                model("drift-aware", "gradual(final=0.98, duration=10s, on-drift=restart, drift-ramp=5s)", true));
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 2, true, models), "in", "out", "dead")
                .with(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Duration.ofMillis(PERIOD)));
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("fashion-drift");

        Map<String, List<SparseModelSnapshot>> snapshots =
                JobFixtures.byModel(Topics.readAll(KAFKA.bootstrapServers(), "out", Map.of(), Duration.ofSeconds(60)));
        System.out.println(JobFixtures.describe(snapshots));
        long driftTime = JobFixtures.T0 + DRIFT_BATCH * STEP;
        long secondCycleEndAfterDrift = driftTime + 2 * PERIOD;
        SparseModelSnapshot cyclical = at(snapshots.get("cyclical"), secondCycleEndAfterDrift);
        SparseModelSnapshot gmp = at(snapshots.get("gmp"), secondCycleEndAfterDrift);
        System.out.printf(
                "prequential accuracy of the second cycle after the drift: cyclical %.4f, gmp %.4f%n",
                cyclical.getAccuracy(), gmp.getAccuracy());
        assertThat(cyclical.getSparsity()).isEqualTo(0.98, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(gmp.getSparsity()).isEqualTo(0.98, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(at(snapshots.get("cyclical"), driftTime).getAccuracy())
                .as("both learnt the images before the drift")
                .isGreaterThan(0.7);
        assertThat(at(snapshots.get("gmp"), driftTime).getAccuracy()).isGreaterThan(0.7);
        assertThat(cyclical.getAccuracy()).isGreaterThan(gmp.getAccuracy() + MARGIN);
        SparseModelSnapshot driftAware = at(snapshots.get("drift-aware"), secondCycleEndAfterDrift);
        SparseModelSnapshot restart = snapshots.get("drift-aware").stream()
                .filter(s -> s.getDrift().getRestart())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no snapshot ends a drift-triggered cycle"));
        long detectedAt = restart.getDrift().getLastDetectionEventTime();
        System.out.printf(
                "drift-aware: detected %d batches after the shift; prequential accuracy of the second cycle after"
                        + " it %.4f against gmp's %.4f%n",
                (detectedAt - driftTime) / STEP, driftAware.getAccuracy(), gmp.getAccuracy());
        assertThat(snapshots.get("drift-aware").stream().filter(s -> s.getEventTime() <= driftTime))
                .as("no detection before the shift")
                .allMatch(s -> s.getDrift().getDetections() == 0);
        assertThat(detectedAt).isBetween(driftTime, driftTime + DETECTION_DELAY * STEP);
        assertThat(restart.getDrift().getDetections()).isEqualTo(1);
        assertThat(restart.getEventTime()).isEqualTo(detectedAt + 5_000);
        assertThat(restart.getSparsity()).isEqualTo(0.98, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(driftAware.getAccuracy()).isGreaterThan(gmp.getAccuracy() + DRIFT_AWARE_MARGIN);
        assertThat(cyclical.getInputScaling())
                .as("the snapshot carries its input standardisation")
                .isNotNull();
    }

    private static ModelDeclaration model(String id, String schedule, boolean regrowth) {
        return ModelDeclaration.newBuilder()
                .setModelId(id)
                .setSpec("lenet-300-100")
                .setSchedule(schedule)
                .setRegrowth(regrowth)
                .setInputScaling("standardize(online)")
                .setOptimizer(
                        OptimizerDeclaration.newBuilder().setLearningRate(0.01).build())
                .build();
    }

    private static SparseModelSnapshot at(List<SparseModelSnapshot> list, long eventTime) {
        return list.stream()
                .filter(s -> s.getEventTime() == eventTime)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no snapshot at " + (eventTime - JobFixtures.T0) + " ms"));
    }
}
