package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.serving.ServingModel;
import org.cyclicalpruning.serving.SnapshotFollower;
import org.junit.jupiter.api.Test;

/**
 * A redeploy without state, as after lost checkpoints or a new job on the same topics: the fresh
 * deployment publishes versions from 1 again, under a newer lineage, and a follower that served the
 * old deployment's model switches to the fresh one's.
 */
class RedeployIT extends KafkaJobTestBase {
    private static final int BATCHES = 80;
    private static final long STEP = 50;
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void aFollowerServesTheFreshDeploymentsModelAfterARedeployWithoutState() throws Exception {
        KAFKA.broker().createTopics("redeploy-in", 1, "redeploy-out", "redeploy-dead");
        SparseTeacher teacher = JobFixtures.classificationTeacher(3);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(KAFKA.bootstrapServers(), Map.of())) {
            for (int i = 0; i < BATCHES; i++) {
                Topics.send(producer, "redeploy-in", "m", JobFixtures.batch("m", teacher, i, 32, STEP));
            }
        }
        // the lineage left to its default, the time each job is built, as an operator leaves it
        JobConfig config = JobFixtures.withTopics(
                        JobFixtures.config(
                                KAFKA.bootstrapServers(),
                                1,
                                false,
                                List.of(JobFixtures.logistic(
                                        "m", "cyclical(final=0.8, period=1s, cycles=inf, ramp=0.5)"))),
                        "redeploy-in",
                        "redeploy-out",
                        "redeploy-dead")
                .with(JobOptions.SNAPSHOT_LINEAGE, Optional.empty());
        List<String> served = new CopyOnWriteArrayList<>();

        try (SnapshotFollower follower = SnapshotFollower.start(
                KAFKA.bootstrapServers(),
                "redeploy-out",
                Map.of(),
                (previous, current) -> served.add(current.lineage() + " v" + current.version()))) {
            JobClient first = start(config, "first deployment");
            ServingModel old = follower.awaitVersion("m", 2, WAIT).orElseThrow();
            first.cancel().get();

            JobClient fresh = start(config, "fresh deployment, no state");
            ServingModel now =
                    follower.await("m", m -> m.lineage() > old.lineage(), WAIT).orElseThrow();
            fresh.cancel().get();

            System.out.println("served: " + served);
            assertThat(served).contains(old.lineage() + " v2", now.lineage() + " v1");
            assertThat(served.indexOf(now.lineage() + " v1"))
                    .as("the fresh deployment's version 1 replaced the old deployment's later versions")
                    .isGreaterThan(served.indexOf(old.lineage() + " v2"));
        }
    }

    private static JobClient start(JobConfig config, String name) throws Exception {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
        TrainingJob.build(env, config);
        return env.executeAsync(name);
    }
}
