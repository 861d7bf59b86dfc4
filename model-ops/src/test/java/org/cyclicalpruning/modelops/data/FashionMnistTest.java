package org.cyclicalpruning.modelops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs on the real files: CI installs the Debian package dataset-fashion-mnist, so nothing is skipped. */
class FashionMnistTest {
    private static Dataset train;
    private static Dataset test;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        Path dir = FashionMnist.defaultDir();
        assertThat(FashionMnist.isAvailable(dir))
                .as("Fashion-MNIST installed in %s", dir)
                .isTrue();
        train = FashionMnist.train(dir);
        test = FashionMnist.test(dir);
    }

    @Test
    void defaultDirFollowsTheSystemPropertySetBySurefire() {
        String prop = System.getProperty("fashion.mnist.dir");
        assertThat(FashionMnist.defaultDir())
                .isEqualTo(prop == null || prop.isBlank() ? FashionMnist.DEBIAN_DIR : Path.of(prop));
    }

    @Test
    void idxReaderReadsTheRealHeaders() {
        Path dir = FashionMnist.defaultDir();
        IdxReader.Idx images = IdxReader.read(dir.resolve(FashionMnist.TEST_IMAGES), IdxReader.IMAGES_MAGIC);
        IdxReader.Idx labels = IdxReader.read(dir.resolve(FashionMnist.TEST_LABELS), IdxReader.LABELS_MAGIC);
        assertThat(images.dims()).containsExactly(10_000, 28, 28);
        assertThat(images.data()).hasSize(10_000 * 784);
        assertThat(labels.dims()).containsExactly(10_000);
    }

    @Test
    void trainingSetHasSixtyThousandBalancedRowsOfPixelsInUnitRange() {
        assertShape(train, 60_000);
        assertThat(train.name()).isEqualTo("fashion-mnist-train");
    }

    @Test
    void testSetHasTenThousandBalancedRows() {
        assertShape(test, 10_000);
    }

    private static void assertShape(Dataset d, int rows) {
        assertThat(d.rows()).isEqualTo(rows);
        assertThat(d.dim()).isEqualTo(784);
        assertThat(d.classes()).isEqualTo(10);
        assertThat(d.isClassification()).isTrue();

        int[] counts = new int[10];
        for (int r = 0; r < d.rows(); r++) {
            counts[d.label(r)]++;
        }
        int[] balanced = new int[10];
        Arrays.fill(balanced, rows / 10);
        assertThat(counts).containsExactly(balanced);

        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        double sum = 0;
        for (int from = 0; from < d.rows(); from += 10_000) {
            float[] x = d.slice(from, Math.min(d.rows(), from + 10_000)).features();
            for (float v : x) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
        }
        assertThat(min).isEqualTo(0f);
        assertThat(max).isEqualTo(1f);
        assertThat(sum / ((double) rows * 784)).isBetween(0.2, 0.4); // Fashion-MNIST's mean pixel is ~0.29
    }

    @Test
    void missingDirectoryNamesTheDebianPackage() {
        Path missing = tmp.resolve("nowhere");
        assertThat(FashionMnist.isAvailable(missing)).isFalse();
        assertThatThrownBy(() -> FashionMnist.train(missing))
                .isInstanceOf(FashionMnist.NotFoundException.class)
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("Fashion-MNIST not found in " + missing)
                .hasMessageContaining("missing train-images-idx3-ubyte.gz")
                .hasMessageContaining("apt-get install -y dataset-fashion-mnist")
                .hasMessageContaining("--data-dir");
    }

    @Test
    void missingLabelFileIsNamed() throws IOException {
        writeIdx(tmp.resolve(FashionMnist.TEST_IMAGES), 2051, new int[] {1, 28, 28}, new byte[784]);
        assertThatThrownBy(() -> FashionMnist.test(tmp))
                .isInstanceOf(FashionMnist.NotFoundException.class)
                .hasMessageContaining("missing t10k-labels-idx1-ubyte.gz");
    }

    @Test
    void smallValidFilesLoadWithScaledPixels() throws IOException {
        byte[] pixels = new byte[2 * 784];
        pixels[0] = (byte) 255;
        pixels[784 + 1] = (byte) 51;
        writeIdx(tmp.resolve(FashionMnist.TEST_IMAGES), 2051, new int[] {2, 28, 28}, pixels);
        writeIdx(tmp.resolve(FashionMnist.TEST_LABELS), 2049, new int[] {2}, new byte[] {9, 3});

        Dataset d = FashionMnist.test(tmp);
        Batch b = d.slice(0, 2);
        assertThat(b.labels()).containsExactly(9, 3);
        assertThat(b.features()[0]).isEqualTo(1f);
        assertThat(b.features()[784 + 1]).isEqualTo(0.2f);
        assertThat(FashionMnist.CLASS_NAMES[9]).isEqualTo("Ankle boot");
    }

    @Test
    void badMagicNamesTheFile() throws IOException {
        Path file = tmp.resolve(FashionMnist.TRAIN_IMAGES);
        writeIdx(file, 2049, new int[] {3}, new byte[3]); // a label file under the image name
        assertThatThrownBy(() -> IdxReader.read(file, IdxReader.IMAGES_MAGIC))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("bad magic number 2049")
                .hasMessageContaining("expected 2051");
    }

    @Test
    void truncatedDataNamesTheFile() throws IOException {
        Path file = tmp.resolve("short.gz");
        writeIdx(file, 2051, new int[] {10, 28, 28}, new byte[100]);
        assertThatThrownBy(() -> IdxReader.read(file, IdxReader.IMAGES_MAGIC))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("Corrupt IDX file " + file)
                .hasMessageContaining("truncated")
                .hasMessageContaining("7840 data bytes");
    }

    @Test
    void truncatedGzipStreamNamesTheFile() throws IOException {
        Path file = tmp.resolve("cut.gz");
        byte[] whole = gzip(idx(2051, new int[] {4, 28, 28}, noise(4 * 784)));
        Files.write(file, Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> IdxReader.read(file, IdxReader.IMAGES_MAGIC))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("truncated");
    }

    @Test
    void plainBytesAreNotGzip() throws IOException {
        Path file = tmp.resolve("plain.gz");
        Files.write(file, idx(2049, new int[] {2}, new byte[2]));
        assertThatThrownBy(() -> IdxReader.read(file, IdxReader.LABELS_MAGIC))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("not a valid gzip file");
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        Path file = tmp.resolve("long.gz");
        Files.write(file, gzip(Arrays.copyOf(idx(2049, new int[] {2}, new byte[2]), 8 + 2 + 5)));
        assertThatThrownBy(() -> IdxReader.read(file, IdxReader.LABELS_MAGIC))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("trailing bytes");
    }

    @Test
    void wrongImageSizeAndCountMismatchAreReported() throws IOException {
        writeIdx(tmp.resolve(FashionMnist.TEST_IMAGES), 2051, new int[] {2, 27, 27}, new byte[2 * 27 * 27]);
        writeIdx(tmp.resolve(FashionMnist.TEST_LABELS), 2049, new int[] {2}, new byte[2]);
        assertThatThrownBy(() -> FashionMnist.test(tmp))
                .hasMessageContaining(FashionMnist.TEST_IMAGES)
                .hasMessageContaining("27x27, expected 28x28");

        writeIdx(tmp.resolve(FashionMnist.TEST_IMAGES), 2051, new int[] {2, 28, 28}, new byte[2 * 784]);
        writeIdx(tmp.resolve(FashionMnist.TEST_LABELS), 2049, new int[] {3}, new byte[3]);
        assertThatThrownBy(() -> FashionMnist.test(tmp))
                .hasMessageContaining(FashionMnist.TEST_LABELS)
                .hasMessageContaining("3 labels for 2 images");
    }

    @Test
    void labelOutsideTheTenClassesIsReported() throws IOException {
        writeIdx(tmp.resolve(FashionMnist.TEST_IMAGES), 2051, new int[] {2, 28, 28}, new byte[2 * 784]);
        writeIdx(tmp.resolve(FashionMnist.TEST_LABELS), 2049, new int[] {2}, new byte[] {1, 10});
        assertThatThrownBy(() -> FashionMnist.test(tmp))
                .hasMessageContaining(FashionMnist.TEST_LABELS)
                .hasMessageContaining("label 10 at index 1 is outside 0..9");
    }

    static void writeIdx(Path file, int magic, int[] dims, byte[] data) throws IOException {
        Files.write(file, gzip(idx(magic, dims, data)));
    }

    private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic); // DataOutputStream is big-endian, as IDX requires
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    /** Incompressible bytes, so that cutting the gzip in half cuts the data too. */
    private static byte[] noise(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(5).nextBytes(b);
        return b;
    }
}
