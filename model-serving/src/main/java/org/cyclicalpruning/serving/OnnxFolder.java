package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.SnapshotFolders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model repository in Triton's layout that follows the snapshot topic: each new version of a
 * model becomes {@code <dir>/<model>/<version>/model.onnx}, and only the last {@code keep}
 * versions of each model stay. Beside the versions, {@code <dir>/<model>/config.pbtxt} tells
 * Triton the backend ({@code onnxruntime}), the input {@code features} and output {@code
 * outputs} (float32, any number of rows) and to serve the latest version. Give it to {@link SnapshotFollower#start(String, String,
 * java.util.Map, SnapshotFollower.SwapListener)}.
 *
 * <p>A reader polling the folder never sees a partial version: the model is written into a hidden
 * folder, forced to disk, and the folder is renamed to its version in one atomic step (then the
 * parent is forced too); an old version is renamed to a hidden name before it is deleted. Model
 * folders name ids reversibly ({@link SnapshotFolders}), so no id can leave {@code dir}. A version
 * already on disk, or older than the {@code keep} newest on disk (a restarted follower reading the
 * topic again), is left alone.
 *
 * <p><b>Version folders only grow.</b> Triton serves the highest version folder, but a deployment
 * without state starts a new lineage whose snapshot versions count from 1 again. So a model's
 * folder numbers continue across lineages: version {@code v} of a lineage is written as {@code base
 * + v}, where {@code base} is the highest folder on disk when that lineage first arrived. The
 * current lineage and its base are kept in {@code <dir>/<model>/.lineage} (Triton ignores it), so a
 * restarted follower numbers as before and leaves versions of an older lineage alone.
 */
public final class OnnxFolder implements SnapshotFollower.SwapListener {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxFolder.class);

    /** The file name Triton's ONNX Runtime backend looks for in a version folder. */
    public static final String MODEL_FILE = "model.onnx";

    /** The model configuration Triton reads from a model's folder. */
    public static final String CONFIG_FILE = "config.pbtxt";

    /** A model's current lineage and the folder number its version 1 follows: "lineage base". */
    static final String LINEAGE_FILE = ".lineage";

    private final Path dir;
    private final int keep;

    private OnnxFolder(Path dir, int keep) {
        this.dir = dir.toAbsolutePath().normalize();
        this.keep = keep;
    }

    /**
     * Returns a listener that writes every swapped-in version under {@code dir}.
     *
     * @param dir the model repository; created if it does not exist
     * @param keep how many versions of each model to keep, at least 1
     * @return the listener
     * @throws UncheckedIOException if the folder cannot be created
     */
    public static OnnxFolder into(Path dir, int keep) {
        checkArgument(dir != null, "the serving folder must be set");
        checkArgument(keep >= 1, "keep must be at least 1, got %s", keep);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the serving folder " + dir, e);
        }
        return new OnnxFolder(dir, keep);
    }

    /**
     * Returns where a model's versions go.
     *
     * @param modelId the model id
     * @return the model's folder in this repository
     */
    public Path modelFolder(String modelId) {
        return dir.resolve(SnapshotFolders.folderOf(modelId));
    }

    /**
     * Returns the version folders of a model on disk, oldest first (numbers that continue across lineages).
     *
     * @param modelId the model id
     * @return the versions
     */
    public List<Long> versions(String modelId) {
        Path folder = modelFolder(modelId);
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path e : entries) {
                versionOf(e).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    @Override
    public void swapped(ServingModel previous, ServingModel current) {
        try {
            Optional<Long> number = folderNumber(current);
            if (number.isEmpty()) {
                LOG.info("ignoring {} of lineage {}: {} holds a newer lineage", current, current.lineage(), dir);
                return;
            }
            write(current, number.get());
            prune(current.modelId());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + current + " to " + dir, e);
        }
    }

    /**
     * Returns the folder number of a model's version: its version past the base of its lineage;
     * empty for a version of a lineage older than the model's current one.
     */
    private Optional<Long> folderNumber(ServingModel model) throws IOException {
        Path folder = modelFolder(model.modelId());
        Path file = folder.resolve(LINEAGE_FILE);
        if (!Files.exists(file)) {
            // the model's first version here, or a folder written before lineages: numbers as they were
            writeLineage(folder, model.lineage(), 0);
            return Optional.of(model.version());
        }
        String[] recorded =
                Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
        checkArgument(recorded.length == 2, "%s holds no 'lineage base' line", file);
        long lineage = Long.parseLong(recorded[0]);
        long base = Long.parseLong(recorded[1]);
        if (model.lineage() == lineage) {
            return Optional.of(base + model.version());
        }
        if (model.lineage() < lineage) {
            return Optional.empty();
        }
        long newBase =
                versions(model.modelId()).stream().mapToLong(v -> v).max().orElse(base);
        writeLineage(folder, model.lineage(), newBase);
        LOG.info(
                "model {}: lineage {} replaces lineage {}; its versions are written from folder {} on",
                model.modelId(),
                model.lineage(),
                lineage,
                newBase + 1);
        return Optional.of(newBase + model.version());
    }

    private static void writeLineage(Path folder, long lineage, long base) throws IOException {
        Files.createDirectories(folder);
        Path staging = Files.createTempFile(folder, ".lineage-", ".tmp");
        Files.writeString(staging, lineage + " " + base + "\n", StandardCharsets.UTF_8);
        Files.move(
                staging,
                folder.resolve(LINEAGE_FILE),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private void write(ServingModel model, long number) throws IOException {
        Path folder = modelFolder(model.modelId());
        Path target = folder.resolve(Long.toString(number));
        // a restarted follower reads old versions again: one that would be pruned at once is not
        // written, so a polling server never loads it
        long newer = versions(model.modelId()).stream().filter(v -> v > number).count();
        if (Files.exists(target) || newer >= keep) {
            return;
        }
        Files.createDirectories(folder);
        Path staging = Files.createTempDirectory(folder, ".staging-" + number + "-");
        Path file = staging.resolve(MODEL_FILE);
        byte[] bytes = OnnxExport.toBytes(model.snapshot());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        force(staging);
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            deleteTree(staging);
            throw new IOException("the file system of " + folder + " cannot rename atomically", e);
        }
        force(folder);
        writeConfig(folder, model);
        LOG.info("wrote {} v{} (lineage {}) to {}", model.modelId(), model.version(), model.lineage(), target);
    }

    /**
     * Writes the model's Triton configuration, replacing it atomically: a new version may come with
     * another architecture (a redeploy), so every version writes it anew.
     */
    private static void writeConfig(Path folder, ServingModel model) throws IOException {
        ModelSpec spec = ModelSpec.fromAvro(model.snapshot().getSpec());
        String config = tritonConfig(folder.getFileName().toString(), spec.inputs(), spec.outputs());
        Path staging = Files.createTempFile(folder, ".config-", ".pbtxt");
        try (FileChannel channel = FileChannel.open(staging, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(config.getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(
                staging,
                folder.resolve(CONFIG_FILE),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Returns Triton's model configuration (protobuf text format) of an exported model: ONNX
     * Runtime's backend, {@code max_batch_size: 0} because the model's own first dimension is the
     * batch, of any size (-1).
     *
     * @param name the model's folder name, which Triton requires as its name
     * @param inputs features per row
     * @param outputs outputs per row
     * @return the configuration's text
     */
    static String tritonConfig(String name, int inputs, int outputs) {
        return "name: \"" + name + "\"\n"
                + "backend: \"onnxruntime\"\n"
                + "max_batch_size: 0\n"
                + "input [\n  {\n    name: \"" + OnnxExport.INPUT + "\"\n    data_type: TYPE_FP32\n    dims: [ -1, "
                + inputs + " ]\n  }\n]\n"
                + "output [\n  {\n    name: \"" + OnnxExport.OUTPUT + "\"\n    data_type: TYPE_FP32\n    dims: [ -1, "
                + outputs + " ]\n  }\n]\n"
                + "version_policy: { latest: { num_versions: 1 } }\n";
    }

    private void prune(String modelId) throws IOException {
        List<Long> versions = versions(modelId);
        Path folder = modelFolder(modelId);
        for (int i = 0; i < versions.size() - keep; i++) {
            Path old = folder.resolve(Long.toString(versions.get(i)));
            // out of sight first: a reader sees the version whole or not at all
            Path hidden = folder.resolve(".deleting-" + versions.get(i));
            Files.move(old, hidden, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(hidden);
        }
    }

    private static Optional<Long> versionOf(Path entry) {
        String name = entry.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit) || !Files.isDirectory(entry)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(name));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Forces a directory's entries to disk, where the platform allows opening one. */
    private static void force(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            LOG.debug("cannot force {} to disk: {}", folder, e.toString());
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
