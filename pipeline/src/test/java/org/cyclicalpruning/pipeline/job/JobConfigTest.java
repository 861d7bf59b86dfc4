package org.cyclicalpruning.pipeline.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JobConfigTest {
    private static final String MODEL =
            "models:\n  - id: m\n    spec: lenet-300-100\n    schedule: cyclical(final=0.9, period=10m, cycles=inf)\n";

    @Test
    void defaultsApplyAndModelsAreRead() {
        JobConfig c = JobConfig.parse(
                MODEL
                        + "checkpoint-interval: 5s\nsnapshot-interval: 1m\nkafka-properties:\n  security.protocol: SASL_SSL\n  sasl.jaas.config: secret-stuff\n");
        assertThat(c.inputTopic()).isEqualTo("training-batches");
        assertThat(c.snapshotTopic()).isEqualTo("model-snapshots");
        assertThat(c.checkpointInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.snapshotInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.models()).containsOnlyKeys("m");
        assertThat(c.models().get("m").getOptimizer().getLearningRate()).isEqualTo(0.01);
        assertThat(c.declarationFor("other")).isNull();
        assertThat(c.kafkaProperties()).containsEntry("sasl.jaas.config", "secret-stuff");
        assertThat(c.toString()).doesNotContain("secret-stuff").contains("security.protocol=SASL_SSL");
    }

    @Test
    void everyDocumentedKeyIsAccepted() {
        StringBuilder yaml = new StringBuilder(MODEL);
        JobConfig.DEFAULTS.forEach((k, v) -> {
            if (!k.equals("models") && !k.equals("default-model") && !k.equals("kafka-properties")) {
                yaml.append(k).append(": ").append(v).append('\n');
            }
        });
        assertThat(JobConfig.parse(yaml.toString()).parallelism()).isEqualTo(1);
    }

    @Test
    void aLocalRunGetsACheckpointFolderUnlessOneIsConfigured() {
        JobConfig local = JobConfig.parse(MODEL).forLocalRun();
        assertThat(local.checkpointDir()).startsWith("file:");
        assertThat(java.nio.file.Path.of(java.net.URI.create(local.checkpointDir())))
                .isDirectory();
        JobConfig configured = JobConfig.parse(MODEL + "checkpoint-dir: s3://bucket/checkpoints\n");
        assertThat(configured.forLocalRun().checkpointDir()).isEqualTo("s3://bucket/checkpoints");
        assertThat(TrainingJob.flinkConfiguration(configured).toMap())
                .containsEntry("execution.checkpointing.dir", "s3://bucket/checkpoints");
    }

    @Test
    void aDefaultModelTakesUnknownIds() {
        JobConfig c = JobConfig.parse("default-model:\n  spec: logistic:100\n  schedule: constant(0.5)\n");
        assertThat(c.declarationFor("anything").getModelId()).isEqualTo("anything");
        assertThat(c.declarationFor("anything").getSpec()).isEqualTo("logistic:100");
    }

    @Test
    void badConfigsFailWithTheKeyAndTheReason() {
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "checkpoint-intervall: 5s"))
                .hasMessageContaining("unknown key 'checkpoint-intervall'");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "checkpoint-interval: soon"))
                .hasMessageContaining("'checkpoint-interval'")
                .hasMessageContaining("duration");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "parallelism: 0"))
                .hasMessageContaining("'parallelism' must be a positive");
        assertThatThrownBy(() -> JobConfig.parse("parallelism: 2")).hasMessageContaining("declares no model");
        assertThatThrownBy(() -> JobConfig.parse(
                        "models:\n  - id: m\n    spec: lenet-300-100\n    schedule: cyclical(final=1.5, period=10m)\n"))
                .hasMessageContaining("models[0].schedule");
        assertThatThrownBy(
                        () -> JobConfig.parse(
                                "models:\n  - id: m\n    spec: lenet-300-100\n    schedule: cyclical(final=0.9, period=100, cycles=3)\n"))
                .hasMessageContaining("event time");
        assertThatThrownBy(
                        () -> JobConfig.parse("models:\n  - id: m\n    spec: nonsense\n    schedule: constant(0.5)\n"))
                .hasMessageContaining("models[0].spec");
        assertThatThrownBy(
                        () -> JobConfig.parse(MODEL + "  - id: m\n    spec: linear:3\n    schedule: constant(0.5)\n"))
                .hasMessageContaining("declared twice");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "starting-offsets: middle"))
                .hasMessageContaining("'starting-offsets'");
    }

    @Test
    void aModelWhoseSnapshotsCouldNotBePublishedFailsTheConfig() {
        // 9.5M parameters: up to 38 MB per snapshot, which the default limit takes and 10 MB does not
        String big = "models:\n  - id: big\n    spec: mlp:784-2500-3000-10\n    schedule: constant(0.9)\n";
        assertThat(JobConfig.parse(big).maxSnapshotBytes()).isEqualTo(64 << 20);
        assertThatThrownBy(() -> JobConfig.parse(big + "max-snapshot-bytes: 10000000"))
                .hasMessageContaining("model 'big'")
                .hasMessageContaining("max-snapshot-bytes 10000000");
        assertThat(DeadLetters.maxRecordSize(JobConfig.parse(big).maxRecordBytes()))
                .isGreaterThan(JobConfig.parse(big).maxRecordBytes());
    }
}
