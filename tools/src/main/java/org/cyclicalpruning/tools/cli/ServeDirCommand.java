package org.cyclicalpruning.tools.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.cyclicalpruning.serving.OnnxFolder;
import org.cyclicalpruning.serving.SnapshotFollower;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Keeps a Triton model repository of ONNX models in step with the snapshot topic. */
@Command(
        name = "serve-dir",
        description = {
            "Follow the snapshot topic (committed records only) and keep a model repository in Triton's layout:"
                    + " <dir>/<model>/<version>/model.onnx, the last --keep versions of each model, every version"
                    + " written atomically. Runs until stopped (Ctrl-C), or until --until names a version on disk."
        })
final class ServeDirCommand extends Subcommand {
    @Option(
            names = "--kafka-property",
            paramLabel = "KEY=VALUE",
            description = "A consumer property, e.g. security.protocol=SASL_SSL; repeatable; never printed.")
    Map<String, String> kafkaProperties = Map.of();

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", description = "Kafka brokers.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "model-snapshots", description = "The snapshot topic.")
    String topic;

    @Option(names = "--dir", required = true, description = "The model repository (created if missing).")
    Path dir;

    @Option(names = "--keep", defaultValue = "3", description = "Versions kept per model (default: ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = "--until", paramLabel = "MODEL=VERSION", description = "Stop once it (or a later one) is on disk.")
    Map<String, Long> until = Map.of();

    @Override
    public Integer call() throws Exception {
        OnnxFolder folder = OnnxFolder.into(dir, keep);
        CountDownLatch done = new CountDownLatch(1);
        SnapshotFollower.SwapListener listener = (previous, current) -> {
            folder.swapped(previous, current);
            if (!until.isEmpty()
                    && until.entrySet().stream().allMatch(e -> reached(folder, e.getKey(), e.getValue()))) {
                done.countDown();
            }
        };
        Thread stop = new Thread(done::countDown, "serve-dir-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        try (SnapshotFollower follower = SnapshotFollower.start(bootstrapServers, topic, kafkaProperties, listener)) {
            System.out.printf(
                    "keeping %s in step with %s on %s (last %d versions per model)%n",
                    dir, topic, bootstrapServers, keep);
            done.await();
            System.out.printf("stopped; %d record(s) skipped%n", follower.skippedRecords());
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
        return 0;
    }

    private static boolean reached(OnnxFolder folder, String model, long version) {
        var versions = folder.versions(model);
        return !versions.isEmpty() && versions.get(versions.size() - 1) >= version;
    }
}
