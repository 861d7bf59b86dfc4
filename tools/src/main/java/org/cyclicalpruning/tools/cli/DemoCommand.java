package org.cyclicalpruning.tools.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.cyclicalpruning.kafka.EmbeddedKafka;
import org.cyclicalpruning.kafka.Topics;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.modelops.util.Durations;
import org.cyclicalpruning.pipeline.TrainingJob;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.tools.experiment.Plots;
import org.cyclicalpruning.tools.stream.DataOptions;
import org.cyclicalpruning.tools.stream.StreamProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole product on one machine: an in-process KRaft broker, a local Flink cluster, a stream of
 * batches whose data change part-way for a cyclically pruned model and a GMP-pruned one, and the
 * snapshots as they are committed, one line each, with each one's accuracy on held-out data.
 */
@Command(
        name = "demo",
        description = "Start a Kafka broker and a local Flink in this process, stream data that drift, train a"
                + " cyclical and a GMP model, print every snapshot.")
final class DemoCommand extends Subcommand {
    /** 2026-01-01T00:00:00Z: a fixed event time, so runs repeat exactly. */
    private static final long START = 1_767_225_600_000L;

    @Option(
            names = "--dataset",
            defaultValue = "auto",
            description = "auto (fashion-mnist-drift when Fashion-MNIST is installed, else synthetic-drift),"
                    + " fashion-mnist-drift, fashion-mnist or synthetic-drift (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(
            names = "--batches",
            defaultValue = "1800",
            description = "Fashion-MNIST batches of 128 streamed per model, 100 ms of event time apart (default:"
                    + " ${DEFAULT-VALUE}: six 30-second cycles, 3.8 epochs).")
    int batches;

    @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--sparsity",
            description = "Both models' final sparsity (default: 0.98 on Fashion-MNIST, 0.95 on synthetic data).")
    Double sparsity;

    @Option(names = "--lr", description = "Both models' constant learning rate (default: 0.01).")
    Double lr;

    @Option(names = "--out", description = "Keep the Avro snapshot files in this folder.")
    Path out;

    @Option(names = "--plot", description = "Write a PNG of sparsity and accuracy against event time.")
    Path plot;

    /** What the demo streams and how its two models are scheduled. */
    private record Scenario(
            DataOptions data,
            long eventStep,
            double lr,
            String cyclical,
            String gmp,
            String driftAware,
            String interval,
            String scaling) {}

    @Override
    public Integer call() throws Exception {
        Scenario scenario = scenario();
        DataOptions data = scenario.data();
        String spec = data.defaultSpec();
        long driftTime =
                data.driftBatch().map(b -> START + b * scenario.eventStep()).orElse(Long.MAX_VALUE);
        SnapshotQuality quality = SnapshotQuality.of(data);
        warmUpEngine(spec);
        long started = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.println("Kafka (KRaft, in this process) at " + kafka.bootstrapServers());
            kafka.createTopics("training-batches", 2, "model-snapshots", "dead-letters");
            JobConfig config = JobConfig.builder()
                    .set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                    .set(JobOptions.BOUNDED, true)
                    .set(JobOptions.PARALLELISM, Optional.of(parallelism))
                    .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2))
                    .set(JobOptions.MAX_OUT_OF_ORDERNESS, Duration.ZERO)
                    .set(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Durations.parse(scenario.interval())))
                    .set(
                            JobOptions.SNAPSHOT_DIR,
                            Optional.ofNullable(out).map(o -> o.toAbsolutePath().toString()))
                    .set(JobOptions.RESTART_ATTEMPTS, 0)
                    .models(List.of(
                            model("cyclical", spec, scenario.cyclical(), true, scenario),
                            model("gmp", spec, scenario.gmp(), false, scenario),
                            model("drift-aware", spec, scenario.driftAware(), true, scenario)))
                    .build()
                    .forLocalRun();
            System.out.println("models: cyclical = " + scenario.cyclical() + "; gmp = " + scenario.gmp()
                    + ", no regrowth; drift-aware = " + scenario.driftAware() + "; all " + spec + ", learning rate "
                    + scenario.lr() + " constant, inputs " + scenario.scaling());
            if (out != null) {
                Files.createDirectories(out);
            }
            try (KafkaProducer<String, byte[]> producer = Topics.producer(kafka.bootstrapServers(), Map.of())) {
                StreamProducer.produce(
                        producer,
                        "training-batches",
                        List.of("cyclical", "gmp", "drift-aware"),
                        data.stream(),
                        data.batches,
                        START,
                        scenario.eventStep(),
                        0,
                        true,
                        data.uint8Divisor());
                // one record that is not a batch at all: it goes to the dead-letter topic and nothing else happens
                Topics.send(producer, "training-batches", "cyclical", "not a batch".getBytes(StandardCharsets.UTF_8));
            }
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(TrainingJob.flinkConfiguration(config));
            TrainingJob.build(env, config);
            JobClient job = env.executeAsync("cyclical-pruning-demo");
            CompletableFuture<JobExecutionResult> done = job.getJobExecutionResult();
            Map<String, List<SparseModelSnapshot>> snapshots = follow(kafka.bootstrapServers(), done, quality);
            done.get();
            double seconds = (System.nanoTime() - started) / 1e9;
            List<DeadLetter> dead = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r :
                    Topics.readAll(kafka.bootstrapServers(), "dead-letters", Map.of(), Duration.ofSeconds(30))) {
                dead.add(DeadLetters.fromBytes(r.value()));
            }
            summary(snapshots, driftTime, dead, quality, seconds);
            if (plot != null) {
                Plots.writeSnapshots(snapshots, START, driftTime, plot);
                System.out.println("plot: " + plot.toAbsolutePath());
            }
        }
        if (out != null) {
            System.out.println(
                    "snapshot files: " + out.toAbsolutePath() + " (list them with: inspect --dir " + out + ")");
        }
        return 0;
    }

    private Scenario scenario() {
        String which = switch (dataset) {
            case "auto" -> FashionMnist.isAvailable(FashionMnist.defaultDir()) ? "fashion-mnist-drift" : "auto";
            case "fashion-mnist", "fashion-mnist-drift", "synthetic-drift" -> dataset;
            default ->
                throw new IllegalArgumentException("--dataset must be auto, fashion-mnist-drift, fashion-mnist"
                        + " or synthetic-drift, got '" + dataset + "'");
        };
        if (which.startsWith("fashion-mnist")) {
            DataOptions data = DataOptions.of(which, 128, 200);
            data.batches = batches;
            // the drift comes after GMP's mask has frozen, with two cycles still to come
            data.driftAt = 2.0 / 3;
            System.out.println("dataset: Fashion-MNIST from " + FashionMnist.defaultDir() + ", LeNet-300-100, "
                    + batches + " batches of 128, pixels sent as uint8"
                    + data.driftBatch()
                            .map(b -> "; from batch " + b + " on (event time "
                                    + Instant.ofEpochMilli(START + b * 100) + ") every image is shifted 6 pixels right"
                                    + " and down")
                            .orElse(""));
            return scenario(data, 100, 0.98, "30s", "60s", "standardize(online)");
        }
        DataOptions data = DataOptions.of("synthetic-drift", 32, 200);
        data.batches = 600;
        System.out.println((which.equals("auto")
                        ? "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); using "
                        : "dataset: ")
                + "a synthetic sparse teacher whose support moves half-way: linear regression on 200 features");
        return scenario(data, 20, 0.95, "2s", "4s", "none");
    }

    /**
     * Returns the scenario of the three models: a cyclical schedule whose cycles of {@code period}
     * never end, ramping over half of each; GMP ramping once over {@code gmpDuration}; and the same
     * GMP ramp restarted when the model's error rises, ramping then as long as a cycle does; with a
     * snapshot every period.
     */
    private Scenario scenario(
            DataOptions data,
            long eventStep,
            double defaultSparsity,
            String period,
            String gmpDuration,
            String scaling) {
        double s = sparsity != null ? sparsity : defaultSparsity;
        return new Scenario(
                data,
                eventStep,
                lr != null ? lr : 0.01,
                "cyclical(final=" + s + ", period=" + period + ", cycles=inf, ramp=0.5)",
                "gradual(final=" + s + ", duration=" + gmpDuration + ")",
                "gradual(final=" + s + ", duration=" + gmpDuration + ", on-drift=restart, drift-ramp="
                        + Durations.format(Durations.parse(period).toMillis() / 2) + ")",
                period,
                scaling);
    }

    private static ModelDeclaration model(String id, String spec, String schedule, boolean regrowth, Scenario s) {
        return ModelDeclaration.newBuilder()
                .setModelId(id)
                .setSpec(spec)
                .setSchedule(schedule)
                .setRegrowth(regrowth)
                .setInputScaling(s.scaling())
                .setOptimizer(OptimizerDeclaration.newBuilder()
                        .setLearningRate(s.lr())
                        .build())
                .build();
    }

    /**
     * Loads PyTorch and runs one step before the table starts: the native library prints a
     * deprecation warning of its own on its first step, which would otherwise land in the table.
     */
    private static void warmUpEngine(String spec) {
        ModelSpec model = ModelSpec.parse(spec);
        TrainingConfig config = TrainingConfig.builder()
                .setModel(model)
                .setSchedule(SparsitySchedule.constant(0))
                .build();
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            float[] x = new float[model.inputs()];
            trainer.step(
                    new Batch(
                            x,
                            1,
                            model.inputs(),
                            model.isClassifier() ? new int[1] : null,
                            model.isClassifier() ? null : new float[1]),
                    0);
        }
        System.err.flush();
    }

    /** Prints every committed snapshot as it arrives, until the job has finished and the topic is read to its end. */
    private static Map<String, List<SparseModelSnapshot>> follow(
            String bootstrap, CompletableFuture<JobExecutionResult> done, SnapshotQuality quality) {
        Map<String, List<SparseModelSnapshot>> snapshots = new LinkedHashMap<>();
        System.out.println(SnapshotLines.header(quality));
        try (KafkaConsumer<byte[], byte[]> consumer = Topics.committedReader(bootstrap, Map.of())) {
            TopicPartition p = new TopicPartition("model-snapshots", 0);
            consumer.assign(List.of(p));
            consumer.seekToBeginning(List.of(p));
            while (true) {
                boolean finished = done.isDone();
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                    SparseModelSnapshot s = ModelSnapshots.fromBytes(r.value());
                    snapshots
                            .computeIfAbsent(s.getModelId(), k -> new ArrayList<>())
                            .add(s);
                    System.out.println(SnapshotLines.line(s, quality));
                }
                if (finished
                        && consumer.position(p)
                                >= consumer.endOffsets(List.of(p)).get(p)) {
                    return snapshots;
                }
            }
        }
    }

    private static void summary(
            Map<String, List<SparseModelSnapshot>> snapshots,
            long driftTime,
            List<DeadLetter> dead,
            SnapshotQuality quality,
            double seconds) {
        System.out.println();
        System.out.println("summary"
                + (driftTime == Long.MAX_VALUE
                        ? ""
                        : " (before: the last snapshot before the"
                                + " drift; after: the last snapshot of the stream)"));
        for (List<SparseModelSnapshot> list : snapshots.values()) {
            SparseModelSnapshot last = list.get(list.size() - 1);
            SparseModelSnapshot before = list.stream()
                    .filter(s -> s.getEventTime() <= driftTime)
                    .reduce((a, b) -> b)
                    .orElse(last);
            System.out.printf(
                    Locale.ROOT,
                    "  %-11s %d snapshots, %d steps, sparsity %.4f, %d weights regrown, %s%n",
                    last.getModelId(),
                    last.getVersion(),
                    last.getStep(),
                    last.getSparsity(),
                    last.getRecovered(),
                    driftTime == Long.MAX_VALUE
                            ? figures(last, quality)
                            : "before " + figures(before, quality) + "; after " + figures(last, quality));
        }
        snapshots.values().stream()
                .map(l -> l.get(l.size() - 1))
                .filter(s -> s.getDrift() != null)
                .forEach(s -> System.out.printf(
                        Locale.ROOT,
                        "  %s: %s%n",
                        s.getModelId(),
                        s.getDrift().getDetections() == 0
                                ? "no drift detected"
                                : String.format(
                                        Locale.ROOT,
                                        "%d drift detection(s), the last at event time %s%s",
                                        s.getDrift().getDetections(),
                                        Instant.ofEpochMilli(s.getDrift().getLastDetectionEventTime()),
                                        driftTime == Long.MAX_VALUE
                                                ? ""
                                                : String.format(
                                                        Locale.ROOT,
                                                        ", %.1f s after the data drifted",
                                                        (s.getDrift().getLastDetectionEventTime() - driftTime)
                                                                / 1000.0))));
        for (DeadLetter d : dead) {
            System.out.printf(
                    "  dead letter: %s at %s/%d@%d: %s%n",
                    d.getReason(), d.getSourceTopic(), d.getPartition(), d.getOffset(), d.getMessage());
        }
        long samples = snapshots.values().stream()
                .mapToLong(l -> l.get(l.size() - 1).getSamples())
                .sum();
        System.out.printf(
                Locale.ROOT,
                "  %d samples trained in %.1f s wall time (broker and Flink start-up included)%n",
                samples,
                seconds);
    }

    private static String figures(SparseModelSnapshot s, SnapshotQuality quality) {
        String q = quality.of(s);
        String own = s.getAccuracy() != null
                ? String.format(Locale.ROOT, "prequential accuracy %.4f", s.getAccuracy())
                : String.format(Locale.ROOT, "loss %.4f", s.getLoss());
        return own + (q.isEmpty() ? "" : ", " + quality.name() + " " + q);
    }
}
