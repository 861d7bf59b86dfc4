package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import org.cyclicalpruning.modelops.snapshot.SnapshotFolders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model repository in Triton's layout that follows the snapshot topic: each new version of a
 * model becomes {@code <dir>/<model>/<version>/model.onnx}, and only the last {@code keep}
 * versions of each model stay. Give it to {@link SnapshotFollower#start(String, String,
 * java.util.Map, SnapshotFollower.SwapListener)}.
 *
 * <p>A reader polling the folder never sees a partial version: the model is written into a hidden
 * folder, forced to disk, and the folder is renamed to its version in one atomic step (then the
 * parent is forced too); an old version is renamed to a hidden name before it is deleted. Model
 * folders name ids reversibly ({@link SnapshotFolders}), so no id can leave {@code dir}. A version
 * already on disk, or older than the {@code keep} newest on disk (a restarted follower reading the
 * topic again), is left alone.
 */
public final class OnnxFolder implements SnapshotFollower.SwapListener {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxFolder.class);

    /** The file name Triton's ONNX Runtime backend looks for in a version folder. */
    public static final String MODEL_FILE = "model.onnx";

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
     * Returns the versions of a model on disk, oldest first.
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
            write(current);
            prune(current.modelId());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + current + " to " + dir, e);
        }
    }

    private void write(ServingModel model) throws IOException {
        Path folder = modelFolder(model.modelId());
        Path target = folder.resolve(Long.toString(model.version()));
        // a restarted follower reads old versions again: one that would be pruned at once is not
        // written, so a polling server never loads it
        long newer = versions(model.modelId()).stream()
                .filter(v -> v > model.version())
                .count();
        if (Files.exists(target) || newer >= keep) {
            return;
        }
        Files.createDirectories(folder);
        Path staging = Files.createTempDirectory(folder, ".staging-" + model.version() + "-");
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
        LOG.info("wrote {} v{} to {}", model.modelId(), model.version(), target);
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
