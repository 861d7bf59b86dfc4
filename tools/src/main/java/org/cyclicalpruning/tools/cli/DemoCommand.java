package org.cyclicalpruning.tools.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
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
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.util.Durations;
import org.cyclicalpruning.pipeline.TrainingJob;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.cyclicalpruning.pipeline.validate.DeadLetters;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.tools.stream.DataOptions;
import org.cyclicalpruning.tools.stream.StreamProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole product on one machine: an in-process KRaft broker, a local Flink cluster, a stream of
 * batches for a cyclically pruned model and a GMP-pruned one, and the snapshots as they are
 * committed, one line each.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description =
                "Start a Kafka broker and a local Flink in this process, stream data, train a cyclical and a GMP model, print every snapshot.")
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--dataset",
            defaultValue = "auto",
            description =
                    "auto (Fashion-MNIST when installed, else synthetic-drift), fashion-mnist or synthetic-drift (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(
            names = "--epochs",
            defaultValue = "3",
            description = "Fashion-MNIST epochs streamed (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--out", description = "Keep the Avro snapshot files in this folder.")
    Path out;

    @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Override
    public Integer call() throws Exception {
        boolean fashion = switch (dataset) {
            case "auto" -> FashionMnist.isAvailable(FashionMnist.defaultDir());
            case "fashion-mnist" -> true;
            case "synthetic-drift" -> false;
            default ->
                throw new IllegalArgumentException(
                        "--dataset must be auto, fashion-mnist or synthetic-drift, got '" + dataset + "'");
        };
        DataOptions data = DataOptions.of("synthetic-drift", 32, 200);
        String cyclical;
        String gmp;
        long eventStep;
        double lr;
        String interval;
        if (fashion) {
            data.dataset = "fashion-mnist";
            data.batchSize = 128;
            data.batches = epochs * ((60_000 + 127) / 128);
            eventStep = 100;
            lr = 0.05;
            cyclical = "cyclical(final=0.9, period=30s, cycles=inf, ramp=0.5)";
            gmp = "gradual(final=0.9, duration=60s)";
            interval = "30s";
            System.out.println("dataset: Fashion-MNIST from " + FashionMnist.defaultDir() + ", LeNet-300-100, " + epochs
                    + " epochs, pixels sent as uint8");
        } else {
            data.dataset = "synthetic-drift";
            data.batchSize = 32;
            data.batches = 600;
            eventStep = 20;
            lr = 0.01;
            cyclical = "cyclical(final=0.95, period=2s, cycles=inf, ramp=0.5)";
            gmp = "gradual(final=0.95, duration=4s)";
            interval = "2s";
            System.out.println((dataset.equals("auto")
                            ? "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); using "
                            : "dataset: ")
                    + "a synthetic sparse teacher whose support moves half-way: linear regression on 200 features");
        }
        String spec = data.defaultSpec();
        long started = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.println("Kafka (KRaft, in this process) at " + kafka.bootstrapServers());
            kafka.createTopics("training-batches", 2, "model-snapshots", "dead-letters");
            JobConfig config = JobConfig.builder()
                    .set(JobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
                    .set(JobOptions.BOUNDED, true)
                    .set(JobOptions.PARALLELISM, parallelism)
                    .set(JobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2))
                    .set(JobOptions.MAX_OUT_OF_ORDERNESS, Duration.ZERO)
                    .set(JobOptions.SNAPSHOT_INTERVAL, Optional.of(Durations.parse(interval)))
                    .set(
                            JobOptions.SNAPSHOT_DIR,
                            Optional.ofNullable(out).map(o -> o.toAbsolutePath().toString()))
                    .set(JobOptions.RESTART_ATTEMPTS, 0)
                    .models(List.of(model("cyclical", spec, cyclical, true, lr), model("gmp", spec, gmp, false, lr)))
                    .build()
                    .forLocalRun();
            System.out.println("models: cyclical = " + cyclical + "; gmp = " + gmp + ", no regrowth; both " + spec);
            if (out != null) {
                Files.createDirectories(out);
            }
            long start = 1_767_225_600_000L; // 2026-01-01T00:00:00Z: a fixed event time, so runs repeat exactly
            try (KafkaProducer<String, byte[]> producer = Topics.producer(kafka.bootstrapServers(), Map.of())) {
                StreamProducer.produce(
                        producer,
                        "training-batches",
                        List.of("cyclical", "gmp"),
                        data.stream(),
                        data.batches,
                        start,
                        eventStep,
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
            SparseTeacher teacher = fashion ? null : data.teacher().orElseThrow();
            Map<String, SparseModelSnapshot> latest = follow(kafka.bootstrapServers(), done, teacher);
            done.get();
            double seconds = (System.nanoTime() - started) / 1e9;
            List<DeadLetter> dead = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r :
                    Topics.readAll(kafka.bootstrapServers(), "dead-letters", Map.of(), Duration.ofSeconds(30))) {
                dead.add(DeadLetters.fromBytes(r.value()));
            }
            summary(latest, dead, teacher, data, seconds);
        }
        if (out != null) {
            System.out.println(
                    "snapshot files: " + out.toAbsolutePath() + " (list them with: inspect --dir " + out + ")");
        }
        return 0;
    }

    private static ModelDeclaration model(String id, String spec, String schedule, boolean regrowth, double lr) {
        return ModelDeclaration.newBuilder()
                .setModelId(id)
                .setSpec(spec)
                .setSchedule(schedule)
                .setRegrowth(regrowth)
                .setOptimizer(
                        OptimizerDeclaration.newBuilder().setLearningRate(lr).build())
                .build();
    }

    /** Prints every committed snapshot as it arrives, until the job has finished and the topic is read to its end. */
    private static Map<String, SparseModelSnapshot> follow(
            String bootstrap, CompletableFuture<JobExecutionResult> done, SparseTeacher teacher) {
        Map<String, SparseModelSnapshot> latest = new LinkedHashMap<>();
        System.out.println(SnapshotLines.HEADER);
        try (KafkaConsumer<byte[], byte[]> consumer = Topics.committedReader(bootstrap, Map.of())) {
            TopicPartition p = new TopicPartition("model-snapshots", 0);
            consumer.assign(List.of(p));
            consumer.seekToBeginning(List.of(p));
            while (true) {
                boolean finished = done.isDone();
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                    SparseModelSnapshot s = ModelSnapshots.fromBytes(r.value());
                    latest.put(s.getModelId(), s);
                    System.out.println(SnapshotLines.line(s, teacher));
                }
                if (finished
                        && consumer.position(p)
                                >= consumer.endOffsets(List.of(p)).get(p)) {
                    return latest;
                }
            }
        }
    }

    private static void summary(
            Map<String, SparseModelSnapshot> latest,
            List<DeadLetter> dead,
            SparseTeacher teacher,
            DataOptions data,
            double seconds) {
        System.out.println();
        System.out.println("summary");
        for (SparseModelSnapshot s : latest.values()) {
            String quality = s.getAccuracy() != null
                    ? String.format(Locale.ROOT, "prequential accuracy %.4f", s.getAccuracy())
                    : String.format(Locale.ROOT, "loss %.4f", s.getLoss());
            System.out.printf(
                    Locale.ROOT,
                    "  %-9s %d snapshots, %d steps, sparsity %.4f, %s, %d weights regrown%s%n",
                    s.getModelId(),
                    s.getVersion(),
                    s.getStep(),
                    s.getSparsity(),
                    quality,
                    s.getRecovered(),
                    teacher == null ? "" : ", support recall " + SnapshotLines.recall(s, teacher));
        }
        for (DeadLetter d : dead) {
            System.out.printf(
                    "  dead letter: %s at %s/%d@%d: %s%n",
                    d.getReason(), d.getSourceTopic(), d.getPartition(), d.getOffset(), d.getMessage());
        }
        long samples = latest.values().stream()
                .mapToLong(SparseModelSnapshot::getSamples)
                .sum();
        System.out.printf(
                Locale.ROOT,
                "  %d samples trained in %.1f s wall time (broker and Flink start-up included)%n",
                samples,
                seconds);
    }
}
