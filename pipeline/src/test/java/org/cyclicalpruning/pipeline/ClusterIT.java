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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on real processes, started by the scripts in {@code deploy/bin}: a ZooKeeper server, a
 * Kafka broker process, a JobManager process (with ZooKeeper high availability) and TaskManager
 * processes built from Maven artifacts, the cluster jar submitted through Flink's REST API. The
 * faults: TaskManagers killed with SIGKILL three times in one run, the JobManager twice (a new one
 * takes over), the broker three times (restarted on its data), the checkpoint folder unwritable
 * for a minute; a job stopped with a savepoint and resumed at a lower parallelism. Each must
 * publish, byte for byte, what a failure-free run publishes, to a read_committed reader. A session
 * cluster takes twenty submissions and cancellations of the job, as redeploys make, without its
 * JobManager's or TaskManagers' metaspace growing; Prometheus scrapes it.
 */
class ClusterIT {
    private static final Path DEPLOY =
            Path.of("..", "deploy", "bin").toAbsolutePath().normalize();
    private static final Path JOB_JAR =
            Path.of("target", "cyclical-pruning-job.jar").toAbsolutePath();
    private static final int BATCHES = 160;
    private static final int REDEPLOYS = 20;
    private static final int WARM_UP_CYCLES = 3;
    private static final long STEP = 50;
    private static final List<ModelDeclaration> MODELS = List.of(
            JobFixtures.logistic("c1", "cyclical(final=0.9, period=1s, cycles=inf, ramp=0.5)"),
            JobFixtures.mlp("c2", "cyclical(final=0.8, period=1500ms, cycles=inf, ramp=0.5)"),
            model("g3", "logistic:" + JobFixtures.DIM, "gradual(final=0.9, duration=3s)", "global", false, 0.05),
            JobFixtures.driftAware("d4"));
    /** Where the drift-aware model's teacher moves its support: between the second and third kill. */
    private static final int DRIFT_BATCH = 100;

    private static final int ROWS = 32;
    private static final Duration BROKER_OUTAGE = Duration.ofSeconds(8);
    private static final Duration STORAGE_OUTAGE = Duration.ofSeconds(60);

    @TempDir
    static Path runDir;

    private static String bootstrap;

    @BeforeAll
    static void startProcesses() throws Exception {
        // ZooKeeper first: the cluster runs with JobManager high availability (HA=zookeeper)
        run("zookeeper.sh", "start");
        run("kafka.sh", "start");
        bootstrap = run("kafka.sh", "bootstrap").trim();
        // two TaskManagers of two slots: a job and its failure-free reference run side by side
        run("flink-cluster.sh", "start", "2");
    }

    @AfterAll
    static void stopProcesses() throws Exception {
        run("flink-cluster.sh", "stop");
        run("kafka.sh", "stop");
        run("zookeeper.sh", "stop");
    }

    /**
     * The JobManager killed with SIGKILL twice mid-stream, a new one started each time: with
     * ZooKeeper HA it takes the job over from its last checkpoint, and a committed reader sees,
     * byte for byte, what a failure-free run publishes.
     */
    @Test
    void theJobManagerKilledTwiceWithSigkillIsReplacedWithoutChangingOneByte() throws Exception {
        createTopics("in-jm", "out-jm");
        Path config = config("in-jm", "out-jm");
        String job = submit(List.of(), config);
        int phase = BATCHES / 3;
        for (int kill = 0; kill < 2; kill++) {
            int from = kill * phase;
            awaitCommittedMore("out-jm", () -> produce("in-jm", from, from + phase));
            run("flink-cluster.sh", "kill-jobmanager");
            run("flink-cluster.sh", "start-jobmanager");
            awaitRecovered(job);
        }
        produce("in-jm", 2 * phase, BATCHES);
        Map<String, List<SparseModelSnapshot>> actual = awaitEveryBoundaryBefore(config, "in-jm", "out-jm", BATCHES);
        report("JobManager SIGKILLed twice, a new one started", job, actual);
        run("job.sh", "cancel", job);
    }

    /**
     * The broker killed with SIGKILL three times mid-stream, each time down for 8 seconds, then
     * started again on its data: the source and the transactional sinks reconnect, and a committed
     * reader sees, byte for byte, what a failure-free run publishes.
     */
    @Test
    void theBrokerKilledThreeTimesWithSigkillChangesNotOneByte() throws Exception {
        createTopics("in-broker", "out-broker");
        Path config = config("in-broker", "out-broker");
        String job = submit(List.of(), config);
        int phase = BATCHES / 4;
        for (int kill = 0; kill < 3; kill++) {
            int from = kill * phase;
            awaitCommittedMore("out-broker", () -> produce("in-broker", from, from + phase));
            run("kafka.sh", "kill");
            // the outage itself: how long the broker stays down, not a wait for something to happen
            Thread.sleep(BROKER_OUTAGE.toMillis());
            run("kafka.sh", "restart");
        }
        produce("in-broker", 3 * phase, BATCHES);
        Map<String, List<SparseModelSnapshot>> actual =
                awaitEveryBoundaryBefore(config, "in-broker", "out-broker", BATCHES);
        report("broker SIGKILLed three times, down 8 s each", job, actual);
        run("job.sh", "cancel", job);
    }

    /**
     * The job's checkpoint folder made immutable (chattr +i, which holds even for root) for a
     * minute: checkpoints fail, the job goes on within checkpoint.tolerable-failures without a
     * restart, its snapshots wait in open transactions and are committed once checkpoints complete
     * again, byte for byte what a failure-free run publishes.
     */
    @Test
    void aCheckpointFolderUnwritableForAMinuteCostsNoRestartAndLosesNothing() throws Exception {
        createTopics("in-ckpt", "out-ckpt");
        Path config = config("in-ckpt", "out-ckpt");
        Path checkpoints = Files.createDirectories(runDir.resolve("outage-checkpoints"));
        // the 4 s interval of a production job, roughly: a minute fails about 15 checkpoints, within the default 30
        String job = submit(List.of(), config, "checkpoint.dir=file://" + checkpoints, "checkpoint.interval=4s");
        int phase = BATCHES / 2;
        awaitCommittedMore("out-ckpt", () -> produce("in-ckpt", 0, phase));
        Path jobFolder = checkpoints.resolve(job);
        assertThat(jobFolder).isDirectory();
        int committedBefore = committed("out-ckpt");
        exec("chattr", "+i", checkpoints.toString(), jobFolder.toString());
        long outageStart = System.nanoTime();
        try {
            produce("in-ckpt", phase, BATCHES);
            // the outage itself, not a wait for something to happen
            Thread.sleep(STORAGE_OUTAGE.toMillis());
            assertThat(committed("out-ckpt"))
                    .as("nothing is committed while no checkpoint completes")
                    .isEqualTo(committedBefore);
        } finally {
            exec("chattr", "-i", checkpoints.toString(), jobFolder.toString());
        }
        awaitCommittedMore("out-ckpt", () -> {});
        double late = (System.nanoTime() - outageStart) / 1e9;
        Map<String, List<SparseModelSnapshot>> actual =
                awaitEveryBoundaryBefore(config, "in-ckpt", "out-ckpt", BATCHES);
        Map<String, Long> checkpointCounts = checkpointCounts(job);
        report(
                String.format(
                        Locale.ROOT,
                        "checkpoint folder immutable for 60 s: %d checkpoints failed, first snapshots after it %.0f s after it began",
                        checkpointCounts.get("failed"),
                        late),
                job,
                actual);
        assertThat(checkpointCounts.get("failed"))
                .as("checkpoints failed during the outage")
                .isPositive();
        assertThat(restarts(job)).as("restarts").isZero();
        run("job.sh", "cancel", job);
    }

    @Test
    void threeTaskManagersKilledWithSigkillChangeNotOneByteACommittedReaderSees() throws Exception {
        createTopics("in-kill", "out-kill");
        Path config = config("in-kill", "out-kill");
        String job = submit(List.of(), config);
        int phase = BATCHES / 4;
        for (int kill = 0; kill < 3; kill++) {
            int before = Topics.readAll(bootstrap, "out-kill", Map.of(), Duration.ofSeconds(60))
                    .size();
            produce("in-kill", kill * phase, (kill + 1) * phase);
            // each kill comes after the job, recovered from the one before, has committed new output
            Topics.readUntil(bootstrap, "out-kill", l -> l.size() > before, Duration.ofSeconds(120));
            run("flink-cluster.sh", "kill-taskmanager");
            run("flink-cluster.sh", "start-taskmanager");
        }
        produce("in-kill", 3 * phase, BATCHES);

        Map<String, List<SparseModelSnapshot>> actual =
                awaitEveryBoundaryBefore(config, "in-kill", "out-kill", BATCHES);
        report("a TaskManager SIGKILLed three times, a new one started", job, actual);
        run("job.sh", "cancel", job);
        System.out.println(JobFixtures.describe(actual));
        JobFixtures.assertOneRestartAfter(actual.get("d4"), JobFixtures.T0 + DRIFT_BATCH * STEP);
    }

    @Test
    void aSavepointResumesAtParallelismOneWhereParallelismTwoStopped() throws Exception {
        createTopics("in-sp", "out-sp");
        produce("in-sp", 0, BATCHES / 2);
        Path config = config("in-sp", "out-sp");
        // the config sets no parallelism: job.sh's --parallelism (Flink's own setting) holds
        String first = submit(List.of("--parallelism", "2"), config);
        Topics.readUntil(bootstrap, "out-sp", l -> l.size() >= 4, Duration.ofSeconds(120));
        assertThat(vertexParallelism(first))
                .as("from Flink's REST API")
                .hasEntrySatisfying("train", p -> assertThat(p).isEqualTo(2));
        String savepoint = run("job.sh", "stop-with-savepoint", first).trim();
        assertThat(savepoint).startsWith("file:");

        produce("in-sp", BATCHES / 2, BATCHES);
        String second = submit(List.of("--savepoint", savepoint), config, "parallelism=1");
        Map<String, List<SparseModelSnapshot>> actual = awaitEveryBoundaryBefore(config, "in-sp", "out-sp", BATCHES);
        run("job.sh", "cancel", second);
        System.out.println(JobFixtures.describe(actual));
        // the drift comes after the savepoint: the resumed job detects it where a failure-free run does
        JobFixtures.assertOneRestartAfter(actual.get("d4"), JobFixtures.T0 + DRIFT_BATCH * STEP);
        assertThat(actual.values().stream()
                        .mapToLong(l -> l.get(l.size() - 1).getStep())
                        .max()
                        .orElseThrow())
                .as("models went on training after the resume")
                .isGreaterThan(BATCHES / 2);
    }

    /**
     * Debian's Prometheus server, started by hand on deploy/prometheus's configuration and alerting
     * rules, scrapes the cluster's processes and answers queries for a model's sparsity and
     * prequential accuracy and for the dead-letter counters.
     */
    @Test
    void prometheusScrapesAModelsMetricsAndTheDeadLettersFromTheTaskManagers() throws Exception {
        createTopics("in-prom", "out-prom");
        Path config = config("in-prom", "out-prom");
        String job = submit(List.of(), config);
        produce("in-prom", 0, BATCHES / 2);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(bootstrap, Map.of())) {
            Topics.send(producer, "in-prom", "c1", new byte[] {1, 2, 3}); // not Avro: a dead letter
        }
        Path prometheusDir =
                Path.of("..", "deploy", "prometheus").toAbsolutePath().normalize();
        String yaml = Files.readString(prometheusDir.resolve("prometheus.yml"))
                .replace("scrape_interval: 15s", "scrape_interval: 1s")
                .replace("  - alerts.yml", "  - " + prometheusDir.resolve("alerts.yml"));
        Path prometheusConfig = Files.writeString(runDir.resolve("prometheus.yml"), yaml);
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Process prometheus = new ProcessBuilder(
                        "prometheus",
                        "--config.file=" + prometheusConfig,
                        "--storage.tsdb.path=" + runDir.resolve("prometheus-data"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(runDir.resolve("prometheus.log").toFile())
                .start();
        try {
            String api = "http://127.0.0.1:" + port + "/api/v1/";
            double sparsity = awaitSample(
                    api,
                    "flink_taskmanager_job_task_operator_model_sparsity{model=\"c1\", job_name=\"cyclical_pruning\"}",
                    v -> v > 0);
            double accuracy = awaitSample(
                    api, "flink_taskmanager_job_task_operator_model_prequentialAccuracy{model=\"c2\"}", v -> v > 0);
            double deadLetters =
                    awaitSample(api, "sum(flink_taskmanager_job_task_operator_deadLetters_NOT_AVRO)", v -> v >= 1);
            System.out.printf(
                    "Prometheus: c1 sparsity %.3f, c2 prequential accuracy %.3f, NOT_AVRO dead letters %.0f%n",
                    sparsity, accuracy, deadLetters);
            assertThat(sparsity).isLessThanOrEqualTo(0.9);
            assertThat(accuracy).isLessThanOrEqualTo(1);
            assertThat(get(api + "rules"))
                    .contains("\"name\":\"cyclical-pruning\"", "ModelAccuracyDropped", "DeadLettersSurging")
                    .doesNotContain("\"health\":\"err\"");
        } finally {
            prometheus.destroy();
            prometheus.waitFor(30, TimeUnit.SECONDS);
            run("job.sh", "cancel", job);
        }
    }

    /** Polls Prometheus's query API until {@code query}'s first sample meets {@code condition}; returns it. */
    private static double awaitSample(String api, String query, java.util.function.DoublePredicate condition)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String last = "";
        while (System.nanoTime() < deadline) {
            last = get(api + "query?query=" + java.net.URLEncoder.encode(query, StandardCharsets.UTF_8));
            com.fasterxml.jackson.databind.JsonNode result = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(last)
                    .at("/data/result");
            if (result.size() > 0) {
                double value = Double.parseDouble(result.get(0).at("/value/1").asText());
                if (condition.test(value)) {
                    return value;
                }
            }
            Thread.sleep(500); // poll interval; the deadline above bounds the wait
        }
        throw new AssertionError("no sample of " + query + " within 120 s; last answer: " + last);
    }

    private static String get(String url) throws Exception {
        return java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
    }

    @Test
    void aSessionClusterTakesRepeatedRedeploysWithoutKeepingTheirClassLoaders() throws Exception {
        createTopics("in-redeploy", "out-redeploy");
        produce("in-redeploy", 0, BATCHES / 4);
        Path config = config("in-redeploy", "out-redeploy");
        List<Path> processes = flinkProcesses();
        Map<Path, Double> metaspaceBefore = new LinkedHashMap<>();
        int published = 0;
        for (int cycle = 0; cycle < REDEPLOYS; cycle++) {
            if (cycle == WARM_UP_CYCLES) {
                // after the first submissions: what loads once per process (DJL, PyTorch) is in
                for (Path process : processes) {
                    metaspaceBefore.put(process, metaspaceMb(process));
                }
            }
            String job = submit(List.of(), config);
            // the positive signal that the job trained on the TaskManagers: it published again
            int before = published;
            Topics.readUntil(bootstrap, "out-redeploy", l -> l.size() > before, Duration.ofSeconds(120));
            run("job.sh", "cancel", job);
            awaitState(job, "CANCELED");
            // what it committed until it was cancelled, so the next job must publish on its own
            published = Topics.readAll(bootstrap, "out-redeploy", Map.of(), Duration.ofSeconds(60))
                    .size();
        }
        for (Path process : processes) {
            int loaders = awaitJobLoadersAtMost(process, 0, Duration.ofSeconds(60));
            double after = metaspaceMb(process);
            double perCycle = (after - metaspaceBefore.get(process)) / (REDEPLOYS - WARM_UP_CYCLES);
            System.out.printf(
                    Locale.ROOT,
                    "%s: metaspace %.1f MB after %d redeploys, %.1f MB after %d (%+.2f MB per redeploy); job class loaders alive: %d%n",
                    process.getFileName(),
                    metaspaceBefore.get(process),
                    WARM_UP_CYCLES,
                    after,
                    REDEPLOYS,
                    perCycle,
                    loaders);
            assertThat(loaders)
                    .as("%s keeps a cancelled job's class loader", process.getFileName())
                    .isZero();
            // a kept class loader is about 20 MB of metaspace: what is left is reflection's small change
            assertThat(perCycle)
                    .as("%s metaspace per redeploy, MB", process.getFileName())
                    .isLessThan(2.0);
        }
    }

    /**
     * Waits until the job has published every boundary before the last of {@code batches}
     * batches, and checks that what a committed reader sees of them is, byte for byte, what a
     * failure-free run of the same input publishes: versions 1, 2, 3, ... without gap or
     * duplicate. The positive signal that nothing more is coming: one more batch per model, far
     * ahead in event time, whose snapshots follow every earlier one in the topic's one partition.
     */
    private static Map<String, List<SparseModelSnapshot>> awaitEveryBoundaryBefore(
            Path config, String input, String output, int batches) throws Exception {
        Map<String, List<SparseModelSnapshot>> expected = reference(config, input, output + "-ref");
        long last = JobFixtures.T0 + (batches - 1) * STEP;
        produce(input, batches + 100, batches + 101); // 5 s of event time later: past every next boundary
        Map<String, List<SparseModelSnapshot>> actual = JobFixtures.snapshotsUpTo(
                bootstrap,
                output,
                MODELS.stream().map(ModelDeclaration::getModelId).toList(),
                last,
                Duration.ofSeconds(240));
        assertThat(actual.values().stream().mapToInt(List::size).sum())
                .as(
                        "snapshots up to event time %s, committed:%n%s%nthe failure-free reference's:%n%s",
                        last, JobFixtures.describe(actual), JobFixtures.describe(expected))
                .isEqualTo(JobFixtures.boundariesUpTo(expected, last));
        JobFixtures.assertSameBytes(actual, expected);
        return actual;
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

    /** How many records a committed reader sees on {@code topic}. */
    private static int committed(String topic) {
        return Topics.readAll(bootstrap, topic, Map.of(), Duration.ofSeconds(60))
                .size();
    }

    /** Runs {@code action}, then waits until a committed reader sees more records on {@code topic} than before it. */
    private static void awaitCommittedMore(String topic, Runnable action) {
        int before = committed(topic);
        action.run();
        Topics.readUntil(bootstrap, topic, l -> l.size() > before, Duration.ofSeconds(180));
    }

    /** Waits until a new JobManager has taken the job over and runs it (its REST API may not know it at first). */
    private static void awaitRecovered(String job) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        String state = "";
        while (System.nanoTime() < deadline) {
            try {
                state = run("job.sh", "status", job).trim();
                if (state.equals("RUNNING")) {
                    return;
                }
            } catch (AssertionError notYetKnown) {
                state = notYetKnown.getMessage();
            }
            Thread.sleep(500); // poll interval; the deadline above bounds the wait
        }
        throw new AssertionError("job " + job + " not running again within 3 minutes: " + state);
    }

    /** The job's restarts, from Flink's REST API (numRestarts of the JobManager that runs it now). */
    private static long restarts(String job) throws Exception {
        String rest = Files.readString(runDir.resolve("flink/rest-url")).trim();
        com.fasterxml.jackson.databind.JsonNode metrics = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(get(rest + "/jobs/" + job + "/metrics?get=numRestarts"));
        return metrics.size() == 0
                ? 0
                : Long.parseLong(metrics.get(0).at("/value").asText());
    }

    /** The job's checkpoint counts (completed, failed, ...), from Flink's REST API. */
    private static Map<String, Long> checkpointCounts(String job) throws Exception {
        String rest = Files.readString(runDir.resolve("flink/rest-url")).trim();
        com.fasterxml.jackson.databind.JsonNode counts = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(get(rest + "/jobs/" + job + "/checkpoints"))
                .at("/counts");
        Map<String, Long> out = new LinkedHashMap<>();
        counts.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
        return out;
    }

    /** Prints a fault's line of the operations docs' table: restarts, snapshots, duplicates (none: checked). */
    private static void report(String fault, String job, Map<String, List<SparseModelSnapshot>> actual)
            throws Exception {
        System.out.printf(
                "FAULT %s: %d restart(s), %d snapshots equal byte for byte to a failure-free run's, 0 duplicates,"
                        + " checkpoints %s%n",
                fault,
                restarts(job),
                actual.values().stream().mapToInt(List::size).sum(),
                checkpointCounts(job));
    }

    private static void awaitState(String job, String wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        String state;
        do {
            state = run("job.sh", "status", job).trim();
            if (!state.equals(wanted)) {
                Thread.sleep(200);
            }
        } while (!state.equals(wanted) && System.nanoTime() < deadline);
        assertThat(state).as("job %s", job).isEqualTo(wanted);
    }

    /** The pid files of the JobManager and of every TaskManager alive. */
    private static List<Path> flinkProcesses() throws IOException {
        List<Path> out = new ArrayList<>();
        try (var files = Files.list(runDir.resolve("flink"))) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".pid")
                        && ProcessHandle.of(Long.parseLong(pidOf(f)))
                                .map(ProcessHandle::isAlive)
                                .orElse(false)) {
                    out.add(f);
                }
            }
        }
        assertThat(out).anyMatch(f -> f.getFileName().toString().startsWith("jobmanager"));
        return out;
    }

    /**
     * Waits until a process holds at most {@code most} user-code class loaders of Flink after a
     * full collection (the class histogram forces one), and returns how many it holds.
     */
    private static int awaitJobLoadersAtMost(Path pidFile, int most, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int loaders;
        do {
            loaders = 0;
            for (String line :
                    jdkTool("jcmd", pidOf(pidFile), "GC.class_histogram").split("\n")) {
                String[] cols = line.trim().split("\\s+");
                if (cols.length >= 4 && cols[3].endsWith("$ChildFirstClassLoader")) {
                    loaders += Integer.parseInt(cols[1]);
                }
            }
            if (loaders > most) {
                Thread.sleep(1000); // Flink releases a cancelled job's loader asynchronously
            }
        } while (loaders > most && System.nanoTime() < deadline);
        return loaders;
    }

    /** Metaspace in use after a full collection, in MB. */
    private static double metaspaceMb(Path pidFile) throws Exception {
        String pid = pidOf(pidFile);
        jdkTool("jcmd", pid, "GC.run");
        String[] lines = jdkTool("jstat", "-gc", pid).trim().split("\n");
        List<String> header = List.of(lines[0].trim().split("\\s+"));
        String[] values = lines[1].trim().split("\\s+");
        return Double.parseDouble(values[header.indexOf("MU")]) / 1024;
    }

    private static String pidOf(Path pidFile) throws IOException {
        return Files.readString(pidFile).trim();
    }

    /** Runs a tool of the JDK that runs this test (jcmd, jstat), returning its output. */
    private static String jdkTool(String tool, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", tool).toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }

    private static Path config(String input, String output) throws IOException {
        // the file an operator writes: nested keys, as docs/configuration.md's example shows
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
                // idleness longer than any test: a source subtask still restarting after a kill
                // must hold the watermark back, or it passes boundaries before that partition's
                // batches train and the snapshots differ from the failure-free run's (seen with 2 s
                // on a loaded machine); every boundary here is reached by a batch, none needs it
                .append("source:\n  max-out-of-orderness: 0ms\n  idleness: 10m\n")
                // every model publishes at least every second: g3's ramp ends at 3 s, and a model
                // with no boundary ahead could not show that nothing more is coming
                .append("snapshots:\n  interval: 1s\n  lineage: " + JobFixtures.LINEAGE + "\n")
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
        Map<String, SparseTeacher> teachers = JobFixtures.teachers(MODELS, 31, "d4", DRIFT_BATCH, ROWS);
        try (KafkaProducer<String, byte[]> producer = Topics.producer(bootstrap, Map.of())) {
            JobFixtures.produce(producer, topic, teachers, from, to - from, ROWS, STEP);
        }
    }

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

    /** The parallelism of each of a running job's vertices by name, as Flink's REST API reports it. */
    private static Map<String, Integer> vertexParallelism(String job) throws Exception {
        String rest = Files.readString(runDir.resolve("flink/rest-url")).trim();
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(rest + "/jobs/" + job))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Map<String, Integer> out = new LinkedHashMap<>();
        for (com.fasterxml.jackson.databind.JsonNode vertex : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(response.body())
                .path("vertices")) {
            // a chained vertex is named after its operators, "train -> ..."
            out.put(
                    vertex.path("name").asText().split(" -> ")[0],
                    vertex.path("parallelism").asInt());
        }
        return out;
    }

    /** Runs a deploy script and returns its standard output; fails the test with its output if it fails. */
    /** Runs a command of the machine's, such as chattr, and asserts that it succeeded. */
    private static void exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
    }

    private static String run(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(DEPLOY.resolve(script).toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
        pb.environment().put("RUN_DIR", runDir.toString());
        pb.environment().put("HA", "zookeeper");
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
