package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;

/**
 * Three models through one subtask that keeps one of them in native memory at a time
 * ({@code training.hot-models: 1}), so that every batch writes one model to keyed state and loads
 * another, while checkpoints come and go: it publishes, byte for byte, what a subtask that keeps
 * them all publishes.
 */
class EvictionIT extends KafkaJobTestBase {
    private static final int BATCHES = 80;
    private static final long STEP = 50;
    private static final List<ModelDeclaration> MODELS = List.of(
            JobFixtures.logistic("e1", "cyclical(final=0.9, period=1s, cycles=inf)"),
            JobFixtures.mlp("e2", "cyclical(final=0.8, period=1500ms, cycles=inf)"),
            model("e3", "logistic:" + JobFixtures.DIM, "gradual(final=0.9, duration=2s)", "global", false, 0.05),
            JobFixtures.driftAware("d4"));
    private static final int DRIFT_BATCH = BATCHES / 2;
    private static final int ROWS = 16;

    private static Map<String, List<SparseModelSnapshot>> run(String name, int hotModels) throws Exception {
        KAFKA.broker().createTopics("in-" + name, 1, "out-" + name, "dead-" + name);
        Map<String, SparseTeacher> teachers = JobFixtures.teachers(MODELS, 41, "d4", DRIFT_BATCH, ROWS);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            JobFixtures.produce(producer, "in-" + name, teachers, 0, BATCHES, ROWS, STEP);
        }
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(KAFKA.bootstrapServers(), 1, true, MODELS),
                        "in-" + name,
                        "out-" + name,
                        "dead-" + name)
                .toBuilder()
                .set(JobOptions.HOT_MODELS, hotModels)
                .set(JobOptions.RESTART_ATTEMPTS, 0)
                .build();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        env.execute("eviction-" + name);
        return JobFixtures.byModel(
                Topics.readAll(KAFKA.bootstrapServers(), "out-" + name, Map.of(), Duration.ofSeconds(60)));
    }

    @Test
    void evictingAfterEveryBatchPublishesWhatKeepingEveryModelHotPublishes() throws Exception {
        Map<String, List<SparseModelSnapshot>> hot = run("hot", 1024);
        Map<String, List<SparseModelSnapshot>> evicting = run("evicting", 1);
        assertThat(hot.keySet()).containsExactly("d4", "e1", "e2", "e3");
        JobFixtures.assertOneRestartAfter(hot.get("d4"), JobFixtures.T0 + DRIFT_BATCH * STEP);
        assertThat(hot.get("e1").get(hot.get("e1").size() - 1).getStep()).isEqualTo(BATCHES);
        for (String id : hot.keySet()) {
            assertThat(evicting.get(id)).hasSameSizeAs(hot.get(id));
        }
        JobFixtures.assertSameBytes(evicting, hot);
    }
}
