package org.cyclicalpruning.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.pipeline.TrainingJob;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {
    private static final String MODEL =
            "models:\n  - id: m\n    spec: lenet-300-100\n    schedule: cyclical(final=0.9, period=10m, cycles=inf)\n";

    @Test
    void defaultsApplyAndModelsAreRead() {
        JobConfig c = JobConfig.parse(MODEL
                + "checkpoint:\n  interval: 5s\nsnapshots.interval: 1m\n"
                + "kafka:\n  properties:\n    security.protocol: SASL_SSL\n    sasl.jaas.config: secret-stuff\n");
        assertThat(c.get(JobOptions.INPUT_TOPIC)).isEqualTo("training-batches");
        assertThat(c.get(JobOptions.SNAPSHOT_TOPIC)).isEqualTo("model-snapshots");
        assertThat(c.get(JobOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.get(JobOptions.SNAPSHOT_INTERVAL)).contains(Duration.ofMinutes(1));
        assertThat(c.models().declared())
                .extracting(ModelDeclaration::getModelId)
                .containsExactly("m");
        assertThat(c.models()
                        .lookup("m")
                        .orElseThrow()
                        .declaration()
                        .getOptimizer()
                        .getLearningRate())
                .isEqualTo(0.01);
        assertThat(c.models().lookup("other")).isEmpty();
        assertThat(c.get(JobOptions.KAFKA_PROPERTIES)).containsEntry("sasl.jaas.config", "secret-stuff");
        assertThat(c.toString()).doesNotContain("secret-stuff").contains("security.protocol=SASL_SSL");
    }

    @Test
    void nestedDottedAndReleasedFlatKeysSetTheSameOption() {
        String nested = MODEL + "kafka:\n  bootstrap-servers: a:1\nsource:\n  idleness: 5s\n";
        String dotted = MODEL + "kafka.bootstrap-servers: a:1\nsource.idleness: 5s\n";
        String flat = MODEL + "bootstrap-servers: a:1\nidleness: 5s\n";
        for (String yaml : new String[] {nested, dotted, flat}) {
            JobConfig c = JobConfig.parse(yaml);
            assertThat(c.get(JobOptions.BOOTSTRAP_SERVERS)).as(yaml).isEqualTo("a:1");
            assertThat(c.get(JobOptions.IDLENESS)).as(yaml).isEqualTo(Duration.ofSeconds(5));
        }
    }

    @Test
    void everyOptionReadsBackItsDefaultAsWritten() {
        StringBuilder yaml = new StringBuilder(MODEL);
        for (JobOption<?> o : JobOptions.ALL) {
            if (o != JobOptions.MODELS && o != JobOptions.DEFAULT_MODEL) {
                String text = o.formattedDefault();
                yaml.append(o.key())
                        .append(": ")
                        .append(text.startsWith("{") ? text : "'" + text + "'")
                        .append('\n');
            }
        }
        JobConfig c = JobConfig.parse(yaml.toString());
        for (JobOption<?> o : JobOptions.ALL) {
            if (o != JobOptions.MODELS && o != JobOptions.DEFAULT_MODEL) {
                assertThat((Object) c.get(o)).as(o.key()).isEqualTo(o.defaultValue());
            }
        }
    }

    @Test
    void settingsAreCopiedByTypeAndSetFromTextByKey() {
        JobConfig c = JobConfig.parse(MODEL);
        JobConfig changed = c.toBuilder()
                .set(JobOptions.PARALLELISM, Optional.of(3))
                .set("snapshot-interval", "30s")
                .set("training.device", "cpu")
                .build();
        assertThat(changed.get(JobOptions.PARALLELISM)).hasValue(3);
        assertThat(changed.training(3).snapshotInterval()).hasValue(30_000);
        assertThat(changed.models().declared()).hasSize(1);
        assertThat(c.get(JobOptions.PARALLELISM)).as("Flink's own unless set").isEmpty();
        assertThat(c.forLocalRun().get(JobOptions.PARALLELISM))
                .as("inside java -jar")
                .hasValue(1);
        assertThatThrownBy(() -> c.toBuilder().set("paralelism", "2")).hasMessageContaining("unknown key 'paralelism'");
        assertThatThrownBy(() -> c.toBuilder().set("parallelism", "two"))
                .hasMessageContaining("key 'parallelism' must be a positive whole number, got 'two'");
    }

    @Test
    void jobsThatReadOrWriteDifferentlyGetTransactionalIdsOfTheirOwn() {
        assertThat(JobConfig.parse(MODEL).transactionalIdPrefix()).isEqualTo("cyclical-pruning-model-snapshots");
        assertThat(JobConfig.parse(MODEL + "kafka.group-id: team-b\ntopics.snapshots: b-snapshots\n")
                        .transactionalIdPrefix())
                .isEqualTo("team-b-b-snapshots");
        assertThat(JobConfig.parse(MODEL + "transactional-id-prefix: cyclical-pruning\n")
                        .transactionalIdPrefix())
                .as("a 0.1.0 job keeps its prefix by setting it")
                .isEqualTo("cyclical-pruning");
    }

    @Test
    void aLocalRunGetsACheckpointFolderUnlessOneIsConfigured() {
        JobConfig local = JobConfig.parse(MODEL).forLocalRun();
        assertThat(local.get(JobOptions.CHECKPOINT_DIR).orElseThrow()).startsWith("file:");
        assertThat(Path.of(URI.create(local.get(JobOptions.CHECKPOINT_DIR).orElseThrow())))
                .isDirectory();
        JobConfig configured = JobConfig.parse(MODEL + "checkpoint-dir: s3://bucket/checkpoints\n");
        assertThat(configured.forLocalRun().get(JobOptions.CHECKPOINT_DIR)).contains("s3://bucket/checkpoints");
        assertThat(TrainingJob.flinkConfiguration(configured).toMap())
                .containsEntry("execution.checkpointing.dir", "s3://bucket/checkpoints");
    }

    @Test
    void aDefaultModelTakesUnknownIds() {
        JobConfig c = JobConfig.parse("default-model:\n  spec: logistic:100\n  schedule: constant(0.5)\n");
        ModelDefinition d = c.models().lookup("anything").orElseThrow();
        assertThat(d.id()).isEqualTo("anything");
        assertThat(d.declaration().getSpec()).isEqualTo("logistic:100");
        assertThat(d.spec()).isEqualTo(ModelSpec.logistic(100));
    }

    @Test
    void badConfigsFailWithTheKeyAndTheReason() {
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "checkpoint-intervall: 5s"))
                .hasMessageContaining("unknown key 'checkpoint-intervall'");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "checkpoint:\n  intervall: 5s"))
                .hasMessageContaining("unknown key 'checkpoint.intervall'");
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
        assertThatThrownBy(() -> JobConfig.parse("models:\n  - id: m\n    spec: linear:3\n    schedule: constant(0.5)\n"
                        + "    learning-rate: fast\n"))
                .hasMessageContaining("models[0].learning-rate");
    }

    @Test
    void aModelMayStandardiseItsInputsAndStartFromTrainedWeights(@TempDir Path dir) throws IOException {
        ModelSpec spec = ModelSpec.parse("mlp:4-3-2");
        SparseModelSnapshot trained = TestSnapshots.snapshot("t", 7, spec, TestSnapshots.params(spec, 0.5, 1));
        trained.setInputScaling(ModelSnapshots.inputScaling(Optional.of(new InputStandardization(0.5f, 2f))));
        Path file = dir.resolve("t.avro");
        try (DataFileWriter<SparseModelSnapshot> w =
                new DataFileWriter<>(new SpecificDatumWriter<>(SparseModelSnapshot.class))) {
            w.create(SparseModelSnapshot.getClassSchema(), file.toFile());
            w.append(trained);
        }
        JobConfig c = JobConfig.parse("models:\n"
                + "  - {id: a, spec: 'mlp:4-3-2', schedule: 'constant(0.5)', input-scaling: 'standardize(online)'}\n"
                + "  - {id: b, spec: 'mlp:4-3-2', schedule: 'constant(0.5)', initial-weights: '" + file + "'}\n");
        assertThat(c.models()
                        .lookup("a")
                        .orElseThrow()
                        .trainingConfig(DeviceChoice.CPU)
                        .inputScaling())
                .isEqualTo(InputScaling.online());
        ModelDefinition b = c.models().lookup("b").orElseThrow();
        assertThat(b.initialWeights().orElseThrow().params()).isDeepEqualTo(ModelSnapshots.decodeTensors(trained));
        assertThat(b.trainingConfig(DeviceChoice.CPU).inputScaling())
                .as("a model started from a snapshot takes over its input scaling")
                .isEqualTo(InputScaling.standardize(0.5f, 2f));

        assertThatThrownBy(
                        () -> JobConfig.parse(
                                "models:\n  - {id: m, spec: 'linear:3', schedule: 'constant(0.5)', input-scaling: sometimes}\n"))
                .hasMessageContaining("models[0].input-scaling");
        assertThatThrownBy(() -> JobConfig.parse("models:\n  - {id: m, spec: 'linear:3', schedule: 'constant(0.5)',"
                        + " initial-weights: '" + dir.resolve("missing.npz") + "'}\n"))
                .hasMessageContaining("model 'm'.initial-weights")
                .hasMessageContaining("missing.npz");
        assertThatThrownBy(() -> JobConfig.parse("models:\n  - {id: m, spec: 'mlp:4-5-2', schedule: 'constant(0.5)',"
                        + " initial-weights: '" + file + "'}\n"))
                .hasMessageContaining("not of mlp:4-5-2");
    }

    @Test
    void aModelWhoseSnapshotsCouldNotBePublishedFailsTheConfig() {
        // 9.5M parameters: up to 38 MB per snapshot, which the default limit takes and 10 MB does not
        String big = "models:\n  - id: big\n    spec: mlp:784-2500-3000-10\n    schedule: constant(0.9)\n";
        assertThat(JobConfig.parse(big).get(JobOptions.MAX_SNAPSHOT_BYTES)).isEqualTo(64 << 20);
        assertThatThrownBy(() -> JobConfig.parse(big + "max-snapshot-bytes: 10000000"))
                .hasMessageContaining("model 'big'")
                .hasMessageContaining("snapshots.max-bytes 10000000");
        int maxRecordBytes = JobConfig.parse(big).get(JobOptions.MAX_RECORD_BYTES);
        assertThat(DeadLetters.maxRecordSize(maxRecordBytes)).isGreaterThan(maxRecordBytes);
    }

    @Test
    void theLibraryTheJobAndTheSchemaShareOneSetOfModelDefaults() {
        ModelDeclaration avro = ModelDeclaration.newBuilder()
                .setModelId("m")
                .setSpec("linear:3")
                .setSchedule("constant(0)")
                .build();
        TrainingConfig library = TrainingConfig.builder()
                .setModel(ModelSpec.linear(3))
                .setSchedule(SparsitySchedule.constant(0))
                .build();
        OptimizerDeclaration optimizer = avro.getOptimizer();
        assertThat(optimizer.getLearningRate()).isEqualTo(TrainingConfig.DEFAULT_LEARNING_RATE);
        assertThat(library.learningRate().base()).isEqualTo(TrainingConfig.DEFAULT_LEARNING_RATE);
        assertThat(optimizer.getMomentum()).isEqualTo(TrainingConfig.DEFAULT_MOMENTUM);
        assertThat(library.optimizer()).isEqualTo(OptimizerConfig.sgd(TrainingConfig.DEFAULT_MOMENTUM));
        assertThat(avro.getSeed()).isEqualTo(TrainingConfig.DEFAULT_SEED).isEqualTo(library.seed());
        assertThat(avro.getMaskInterval()).isEqualTo(library.maskUpdateInterval());
        assertThat(avro.getRegrowth()).isEqualTo(library.regrowth());
        assertThat(avro.getPruning()).isEqualTo(library.pruningMode().toString());
        TrainingConfig job = ModelDefinition.of(avro).trainingConfig(library.device());
        assertThat(job.toString()).isEqualTo(library.toString());
    }

    /** The registry settings: a framing that needs a registry needs its URL, credentials are never printed. */
    @Test
    void schemaRegistrySettingsAreCheckedAndTheirCredentialsHidden() {
        JobConfig c = JobConfig.parse(MODEL + "schema-registry:\n  url: https://registry:8081\n  properties:\n"
                + "    basic.auth.user.info: team:s3cret\nsource.framing: confluent\n");
        assertThat(c.schemaRegistry())
                .hasValueSatisfying(r -> assertThat(r.url()).isEqualTo("https://registry:8081"));
        assertThat(c.toString()).doesNotContain("s3cret").contains("basic.auth.user.info=[hidden]");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "source.framing: confluent\n"))
                .hasMessageContaining("source.framing")
                .hasMessageContaining("schema-registry.url");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "schema-registry.url: registry:8081\n"))
                .hasMessageContaining("schema-registry.url");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "source.framing: avro\n"))
                .hasMessageContaining("source.framing");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "sinks.framing: confluent\n"))
                .hasMessageContaining("sinks.framing")
                .hasMessageContaining("schema-registry.url");
        assertThatThrownBy(() -> JobConfig.parse(MODEL + "sinks.key-framing: confluent\n"))
                .hasMessageContaining("sinks.key-framing")
                .hasMessageContaining("schema-registry.url");
        assertThat(JobConfig.parse(MODEL + "sinks.framing: confluent\nschema-registry.url: http://registry:8081\n")
                        .get(JobOptions.SINK_FRAMING))
                .isEqualTo(SinkFraming.CONFLUENT);
    }

    @Test
    void theDocsDocumentEveryOptionWithItsDefault() throws IOException {
        String whole = Files.readString(Path.of("..", "docs", "configuration.md"));
        int start = whole.indexOf("## Keys and defaults");
        int end = whole.indexOf("## Models");
        assertThat(start).as("docs/configuration.md's section of keys").isNotNegative();
        assertThat(end)
                .as("docs/configuration.md's section of models, after the keys")
                .isGreaterThan(start);
        String docs = whole.substring(start, end);
        Map<String, String> documented = new LinkedHashMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `([a-z.-]+)`(?: \\(was `[a-z-]+`\\))? \\| `([^`]*)` \\|")
                .matcher(docs);
        while (row.find()) {
            documented.put(row.group(1), row.group(2));
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (JobOption<?> o : JobOptions.ALL) {
            options.put(o.key(), o.formattedDefault());
        }
        assertThat(documented).containsExactlyEntriesOf(options);
        for (JobOption<?> o : JobOptions.ALL) {
            for (String old : o.deprecatedKeys()) {
                assertThat(docs).contains("| `" + o.key() + "` (was `" + old + "`) |");
            }
        }
    }
}
