package org.cyclicalpruning.modelops.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Loads Fashion-MNIST (Xiao et al., 2017) from its four gzipped IDX files, as installed by the
 * Debian package {@code dataset-fashion-mnist}: 60,000 training and 10,000 test images of 28x28
 * grey pixels, scaled to [0, 1] and flattened to 784 float features, with labels in 0..9.
 */
public final class FashionMnist {
    /** Image side length in pixels. */
    public static final int SIDE = 28;

    /** Features per image (28 * 28). */
    public static final int PIXELS = SIDE * SIDE;

    /** Number of classes. */
    public static final int CLASSES = 10;

    /** Features are pixel bytes divided by this (in float32), so that they lie in [0, 1]. */
    public static final float PIXEL_DIVISOR = 255f;

    /** Human-readable class names, indexed by label. */
    public static final String[] CLASS_NAMES = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    };

    /** Where the Debian package puts the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    private FashionMnist() {}

    /**
     * Thrown when a Fashion-MNIST file is missing; the message says how to install it.
     */
    public static final class NotFoundException extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        NotFoundException(Path dir, String missing) {
            super(
                    "Fashion-MNIST not found in " + dir + " (missing " + missing + "): install the Debian package: "
                            + "apt-get install -y dataset-fashion-mnist, or pass its directory with --data-dir",
                    new NoSuchFileException(dir.resolve(missing).toString()));
        }
    }

    /**
     * The directory to load from: system property {@code fashion.mnist.dir}, else environment
     * variable {@code FASHION_MNIST_DIR}, else the Debian package's {@link #DEBIAN_DIR}.
     *
     * @return the directory (which may not exist)
     */
    public static Path defaultDir() {
        String prop = System.getProperty("fashion.mnist.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("FASHION_MNIST_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return DEBIAN_DIR;
    }

    /**
     * Whether all four files are present (it does not check their contents).
     *
     * @param dir the directory to look in
     * @return true when train and test images and labels are all regular files
     */
    public static boolean isAvailable(Path dir) {
        return Arrays.stream(new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS})
                .allMatch(f -> Files.isRegularFile(dir.resolve(f)));
    }

    /**
     * The 60,000-image training set.
     *
     * @param dir the directory holding the IDX files
     * @return a 10-class dataset of 784-dimensional rows
     * @throws NotFoundException when a file is missing
     * @throws UncheckedIOException naming the file when it is corrupt
     */
    public static Dataset train(Path dir) {
        return load(dir, TRAIN_IMAGES, TRAIN_LABELS, "fashion-mnist-train");
    }

    /**
     * The 10,000-image test set.
     *
     * @param dir the directory holding the IDX files
     * @return a 10-class dataset of 784-dimensional rows
     * @throws NotFoundException when a file is missing
     * @throws UncheckedIOException naming the file when it is corrupt
     */
    public static Dataset test(Path dir) {
        return load(dir, TEST_IMAGES, TEST_LABELS, "fashion-mnist-test");
    }

    private static Dataset load(Path dir, String imagesName, String labelsName, String name) {
        // Check both files up front so a missing label file does not cost reading 47 MB of images first.
        for (String f : new String[] {imagesName, labelsName}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new NotFoundException(dir, f);
            }
        }
        Path imagesFile = dir.resolve(imagesName);
        Path labelsFile = dir.resolve(labelsName);
        IdxReader.Idx images = IdxReader.read(imagesFile, IdxReader.IMAGES_MAGIC);
        if (images.dims()[1] != SIDE || images.dims()[2] != SIDE) {
            throw corrupt(imagesFile, "images are " + images.dims()[1] + "x" + images.dims()[2] + ", expected 28x28");
        }
        IdxReader.Idx labels = IdxReader.read(labelsFile, IdxReader.LABELS_MAGIC);
        if (labels.count() != images.count()) {
            throw corrupt(labelsFile, labels.count() + " labels for " + images.count() + " images in " + imagesFile);
        }
        int[] y = labels.toInts();
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= CLASSES) {
                throw corrupt(labelsFile, "label " + y[i] + " at index " + i + " is outside 0..9");
            }
        }
        return Dataset.of(name, images.toFloats(PIXEL_DIVISOR), PIXELS, y, CLASSES);
    }

    private static UncheckedIOException corrupt(Path file, String what) {
        String message = "Corrupt Fashion-MNIST file " + file + ": " + what;
        return new UncheckedIOException(message, new IOException(message));
    }
}
