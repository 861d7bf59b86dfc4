package org.cyclicalpruning.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.pipeline.JobFixtures.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on real processes, started by the scripts in {@code deploy/bin}: a Kafka broker
 * process, a JobManager process and TaskManager processes built from Maven artifacts, the cluster
 * jar submitted through Flink's REST API. A TaskManager is killed with SIGKILL mid-stream; a job
 * is stopped with a savepoint and resumed at a higher parallelism. Both must publish exactly what a
 * failure-free run publishes.
 */
class ClusterIT {
    private static final Path DEPLOY =
            Path.of("..", "deploy", "bin").toAbsolutePath().normalize();
    private static final Path JOB_JAR =
            Path.of("target", "cyclical-pruning-job.jar").toAbsolutePath();
    private static final int BATCHES = 160;
    private static final long STEP = 50;
    private static final List<ModelDeclaration> MODELS = List.of(
            JobFixtures.logistic("c1", "cyclical(final=0.9, period=1s, cycles=inf, ramp=0.5)"),
            JobFixtures.mlp("c2", "cyclical(final=0.8, period=1500ms, cycles=inf, ramp=0.5)"),
            model("g3", "logistic:" + JobFixtures.DIM, "gradual(final=0.9, duration=3s)", "global", false, 0.05));

    @TempDir
    static Path runDir;

    private static String bootstrap;

    @BeforeAll
    static void startProcesses() throws Exception {
        run("kafka.sh", "start");
        bootstrap = run("kafka.sh", "bootstrap").trim();
        // two TaskManagers of two slots: a job and its failure-free reference run side by side
        run("flink-cluster.sh", "start", "2");
    }

    @AfterAll
    static void stopProcesses() throws Exception {
        run("flink-cluster.sh", "stop");
        run("kafka.sh", "stop");
    }

    @Test
    void aTaskManagerKilledWithSigkillChangesNothingACommittedReaderSees() throws Exception {
        createTopics("in-kill", "out-kill");
        produce("in-kill", 0, BATCHES / 2);
        Path config = config("in-kill", "out-kill");
        String job = submit(List.of(), config);
        Topics.readUntil(bootstrap, "out-kill", l -> l.size() >= 3, Duration.ofSeconds(120));
        run("flink-cluster.sh", "kill-taskmanager");
        run("flink-cluster.sh", "start-taskmanager");
        produce("in-kill", BATCHES / 2, BATCHES);

        Map<String, List<SparseModelSnapshot>> expected = reference(config, "in-kill", "out-kill-ref");
        int want = boundariesBefore(expected, JobFixtures.T0 + (BATCHES - 1) * STEP);
        Topics.readUntil(bootstrap, "out-kill", l -> l.size() >= want, Duration.ofSeconds(180));
        Thread.sleep(3000); // a duplicate would show up now
        Map<String, List<SparseModelSnapshot>> actual =
                JobFixtures.byModel(Topics.readAll(bootstrap, "out-kill", Map.of(), Duration.ofSeconds(60)));
        run("job.sh", "cancel", job);
        System.out.println(JobFixtures.describe(actual));
        assertThat(actual.values().stream().mapToInt(List::size).sum()).isEqualTo(want);
        assertSamePrefix(actual, expected);
    }

    @Test
    void aSavepointResumesAtParallelismTwoWhereParallelismOneStopped() throws Exception {
        createTopics("in-sp", "out-sp");
        produce("in-sp", 0, BATCHES / 2);
        Path config = config("in-sp", "out-sp");
        String first = submit(List.of(), config, "parallelism=1");
        int before = boundariesBefore(
                reference(config, "in-sp", "out-sp-first-half-ref"), JobFixtures.T0 + (BATCHES / 2 - 1) * STEP);
        Topics.readUntil(bootstrap, "out-sp", l -> l.size() >= before, Duration.ofSeconds(120));
        String savepoint = run("job.sh", "stop-with-savepoint", first).trim();
        assertThat(savepoint).startsWith("file:");

        produce("in-sp", BATCHES / 2, BATCHES);
        String second = submit(List.of("--savepoint", savepoint), config, "parallelism=2");
        Map<String, List<SparseModelSnapshot>> expected = reference(config, "in-sp", "out-sp-ref");
        // the resumed job reads on (its source is unbounded): it publishes the boundaries before the last batch
        int want = boundariesBefore(expected, JobFixtures.T0 + (BATCHES - 1) * STEP);
        Topics.readUntil(bootstrap, "out-sp", l -> l.size() >= want, Duration.ofSeconds(180));
        Thread.sleep(3000);
        Map<String, List<SparseModelSnapshot>> actual =
                JobFixtures.byModel(Topics.readAll(bootstrap, "out-sp", Map.of(), Duration.ofSeconds(60)));
        run("job.sh", "cancel", second);
        System.out.println(JobFixtures.describe(actual));
        assertThat(actual.values().stream().mapToInt(List::size).sum()).isEqualTo(want);
        // versions 1, 2, 3, ... across both jobs, each equal to the uninterrupted run's, steps included
        assertSamePrefix(actual, expected);
        assertThat(actual.values().stream()
                        .mapToLong(l -> l.get(l.size() - 1).getStep())
                        .max()
                        .orElseThrow())
                .as("models went on training after the resume")
                .isGreaterThan(BATCHES / 2);
    }

    /** The same input through a failure-free bounded job on the same cluster. */
    private static Map<String, List<SparseModelSnapshot>> reference(Path config, String input, String output)
            throws Exception {
        createTopics(null, output);
        String job = submit(
                List.of(),
                config,
                "bounded=true",
                "parallelism=1",
                "snapshot-topic=" + output,
                "transactional-id-prefix=" + output,
                "group-id=" + output);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        String state;
        do {
            Thread.sleep(500);
            state = run("job.sh", "status", job).trim();
        } while (!state.equals("FINISHED") && !state.equals("FAILED") && System.nanoTime() < deadline);
        assertThat(state).as("reference job %s", job).isEqualTo("FINISHED");
        return JobFixtures.byModel(Topics.readAll(bootstrap, output, Map.of(), Duration.ofSeconds(60)));
    }

    private static int boundariesBefore(Map<String, List<SparseModelSnapshot>> snapshots, long eventTime) {
        int n = 0;
        for (List<SparseModelSnapshot> list : snapshots.values()) {
            n += (int) list.stream()
                    .filter(s -> s.getReason() != SnapshotReason.END_OF_INPUT && s.getEventTime() < eventTime)
                    .count();
        }
        return n;
    }

    private static void assertSamePrefix(
            Map<String, List<SparseModelSnapshot>> actual, Map<String, List<SparseModelSnapshot>> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (Map.Entry<String, List<SparseModelSnapshot>> e : actual.entrySet()) {
            List<SparseModelSnapshot> got = e.getValue();
            for (int v = 0; v < got.size(); v++) {
                SparseModelSnapshot a = got.get(v);
                SparseModelSnapshot b = expected.get(e.getKey()).get(v);
                assertThat(a.getVersion()).as("no gap, no duplicate").isEqualTo(v + 1L);
                assertThat(a.getEventTime()).isEqualTo(b.getEventTime());
                assertThat(a.getStep()).isEqualTo(b.getStep());
                ExactlyOnceIT.assertSameModel(a, b);
            }
        }
    }

    private static Path config(String input, String output) throws IOException {
        // the file an operator writes: nested keys, as the README's Configuration section shows
        StringBuilder yaml = new StringBuilder()
                .append("kafka:\n  bootstrap-servers: '")
                .append(bootstrap)
                .append("'\n")
                .append("  group-id: ")
                .append(output)
                .append('\n')
                .append("  transactional-id-prefix: ")
                .append(output)
                .append('\n')
                .append("topics:\n  input: ")
                .append(input)
                .append('\n')
                .append("  snapshots: ")
                .append(output)
                .append('\n')
                .append("  dead-letters: dead-")
                .append(input)
                .append('\n')
                .append("source:\n  max-out-of-orderness: 0ms\n  idleness: 2s\n")
                .append("checkpoint.interval: 500ms\nrestart.delay: 500ms\nparallelism: 2\nmodels:\n");
        for (ModelDeclaration d : MODELS) {
            yaml.append("  - {id: ")
                    .append(d.getModelId())
                    .append(", spec: '")
                    .append(d.getSpec())
                    .append("', schedule: '")
                    .append(d.getSchedule())
                    .append("', regrowth: ")
                    .append(d.getRegrowth())
                    .append(", learning-rate: ")
                    .append(d.getOptimizer().getLearningRate())
                    .append(", seed: ")
                    .append(d.getSeed())
                    .append("}\n");
        }
        Path file = runDir.resolve(input + ".yaml");
        Files.writeString(file, yaml.toString(), StandardCharsets.UTF_8);
        return file;
    }

    private static void createTopics(String input, String... outputs) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            if (input != null) {
                topics.add(new NewTopic(input, 2, (short) 1));
                topics.add(new NewTopic("dead-" + input, 1, (short) 1));
            }
            for (String out : outputs) {
                topics.add(new NewTopic(out, 1, (short) 1));
            }
            admin.createTopics(topics).all().get();
        }
    }

    private static void produce(String topic, int from, int to) {
        Map<String, SparseTeacher> teachers = new LinkedHashMap<>();
        for (int m = 0; m < MODELS.size(); m++) {
            teachers.put(MODELS.get(m).getModelId(), JobFixtures.classificationTeacher(31 + m));
        }
        try (KafkaProducer<String, byte[]> producer = Topics.producer(bootstrap, Map.of())) {
            JobFixtures.produce(producer, topic, teachers, from, to - from, 32, STEP);
        }
    }

    /** Runs a deploy script and returns its standard output; fails the test with its output if it fails. */
    /**
     * Submits the job jar, with {@code submitOptions} for {@code job.sh submit}, to run {@code config}
     * with each of {@code settings} as a {@code --set}; returns the job's id.
     */
    private static String submit(List<String> submitOptions, Path config, String... settings) throws Exception {
        List<String> args = new ArrayList<>(List.of("submit", JOB_JAR.toString()));
        args.addAll(submitOptions);
        args.addAll(List.of("--", "run", "--config", config.toString()));
        for (String setting : settings) {
            args.add("--set");
            args.add(setting);
        }
        return run("job.sh", args.toArray(String[]::new)).trim();
    }

    private static String run(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(DEPLOY.resolve(script).toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
        pb.environment().put("RUN_DIR", runDir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue())
                .as("%s %s failed:%n%s%n%s", script, String.join(" ", args), out, err)
                .isZero();
        return out;
    }
}
