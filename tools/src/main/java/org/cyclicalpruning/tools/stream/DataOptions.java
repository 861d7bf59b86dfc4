package org.cyclicalpruning.tools.stream;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.data.ImageDrift;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import picocli.CommandLine.Option;

/**
 * Which data a stream carries, shared by {@code produce}, {@code demo} and {@code inspect} (which
 * rebuilds the synthetic teacher to report support recall): give {@code inspect} the flags that
 * {@code produce} was given.
 */
public final class DataOptions {
    @Option(
            names = "--dataset",
            defaultValue = "synthetic",
            description =
                    "fashion-mnist, fashion-mnist-drift, synthetic or synthetic-drift (default: ${DEFAULT-VALUE}).")
    public String dataset;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "Rows per batch (default: ${DEFAULT-VALUE}, a stream's small batches; experiment's"
                    + " default is 128, the reference setting of its results).")
    public int batchSize;

    @Option(names = "--batches", defaultValue = "1000", description = "Batches per model (default: ${DEFAULT-VALUE}).")
    public int batches;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Seed of the teacher or of the shuffling (default: ${DEFAULT-VALUE}).")
    public long seed;

    @Option(
            names = "--dimension",
            defaultValue = "200",
            description = "Synthetic features (default: ${DEFAULT-VALUE}).")
    public int dimension;

    @Option(
            names = "--support",
            defaultValue = "10",
            description = "Synthetic teacher's non-zero weights (default: ${DEFAULT-VALUE}).")
    public int support;

    @Option(
            names = "--correlation",
            defaultValue = "0.5",
            description = "Synthetic decoys' correlation (default: ${DEFAULT-VALUE}).")
    public double correlation;

    @Option(
            names = "--drift-at",
            description = "Drifting data: the share of the batches after which the data change (default: 0.8 for"
                    + " fashion-mnist-drift, 0.5 for synthetic-drift).")
    public Double driftAt;

    @Option(
            names = "--drift",
            defaultValue = "shift",
            description =
                    "fashion-mnist-drift: shift (6 pixels right and down), shift(N) or permute (default: ${DEFAULT-VALUE}).")
    public String drift;

    @Option(
            names = "--features",
            defaultValue = "auto",
            description =
                    "How features travel: auto (uint8 for Fashion-MNIST, whose pixels are bytes; float32 otherwise), float32 or uint8 (default: ${DEFAULT-VALUE}).")
    public String features;

    @Option(
            names = "--data-dir",
            description = "Where the Fashion-MNIST IDX files are (default: the Debian package's folder).")
    public Path dataDir;

    /** The flag's name before it was shared with {@code experiment}; kept so that scripts go on working. */
    @Option(names = "--fashion-mnist-dir", hidden = true)
    void oldFashionMnistDir(Path dir) {
        dataDir = dir;
    }

    /**
     * Returns options for code that builds a stream itself (demo, bench): the flags' defaults,
     * with the given dataset, batch size and synthetic dimension.
     */
    public static DataOptions of(String dataset, int batchSize, int dimension) {
        DataOptions data = new DataOptions();
        data.dataset = dataset;
        data.batchSize = batchSize;
        data.batches = 1000;
        data.seed = 1;
        data.dimension = dimension;
        data.support = 10;
        data.correlation = 0.5;
        data.drift = "shift";
        data.features = "auto";
        return data;
    }

    public boolean isFashionMnist() {
        return dataset.startsWith("fashion-mnist");
    }

    /** Returns the share of the batches after which the data change. */
    public double driftFraction() {
        return driftAt != null ? driftAt : dataset.equals("fashion-mnist-drift") ? 0.8 : 0.5;
    }

    /** Returns the index of the first drifted batch, if the data drift. */
    public Optional<Long> driftBatch() {
        return dataset.endsWith("-drift")
                ? Optional.of((long) Math.floor(driftFraction() * batches))
                : Optional.empty();
    }

    /** Returns how Fashion-MNIST's images change at the drift; empty for other data. */
    public Optional<ImageDrift> imageDrift() {
        return dataset.equals("fashion-mnist-drift")
                ? Optional.of(ImageDrift.parse(drift, FashionMnist.SIDE))
                : Optional.empty();
    }

    public void validate() {
        if (!dataset.matches("fashion-mnist|fashion-mnist-drift|synthetic|synthetic-drift")) {
            throw new IllegalArgumentException("--dataset must be fashion-mnist, fashion-mnist-drift, synthetic or"
                    + " synthetic-drift, got '" + dataset + "'");
        }
        imageDrift(); // names a bad --drift before anything is produced
        if (batchSize < 1 || batches < 1) {
            throw new IllegalArgumentException("--batch-size and --batches must be positive");
        }
        if (!features.matches("auto|float32|uint8")) {
            throw new IllegalArgumentException("--features must be auto, float32 or uint8, got '" + features + "'");
        }
        if (features.equals("uint8") && !isFashionMnist()) {
            throw new IllegalArgumentException("--features uint8 needs byte-valued data such as fashion-mnist; "
                    + dataset + " features are real numbers");
        }
        if (!(driftFraction() > 0 && driftFraction() < 1)) {
            throw new IllegalArgumentException("--drift-at must be in (0, 1), got " + driftAt);
        }
    }

    /** Returns the divisor the features travel over as bytes, if they do not travel as float32. */
    public Optional<Float> uint8Divisor() {
        validate();
        return isFashionMnist() && !features.equals("float32")
                ? Optional.of(FashionMnist.PIXEL_DIVISOR)
                : Optional.empty();
    }

    public Path fashionDir() {
        return dataDir != null ? dataDir : FashionMnist.defaultDir();
    }

    /** Returns the model spec that fits this data: LeNet-300-100, or linear regression on the teacher's features. */
    public String defaultSpec() {
        return isFashionMnist() ? "lenet-300-100" : "linear:" + dimension;
    }

    /** Returns the synthetic teacher of the stream; empty for Fashion-MNIST. */
    public Optional<SparseTeacher> teacher() {
        if (isFashionMnist()) {
            return Optional.empty();
        }
        SparseTeacher.Config c = SparseTeacher.Config.defaults()
                .withDimension(dimension)
                .withSupportSize(support)
                .withCorrelation(correlation)
                .withSeed(seed);
        if (dataset.equals("synthetic-drift")) {
            c = c.withDriftAtSample(driftBatch().orElseThrow() * batchSize);
        }
        return Optional.of(new SparseTeacher(c));
    }

    /** Returns the batches in stream order, each to be sent to every model. */
    public Iterator<Batch> stream() {
        validate();
        if (isFashionMnist()) {
            Iterator<Batch> images = FashionMnist.train(fashionDir()).batches(batchSize, seed, true);
            Optional<ImageDrift> change = imageDrift();
            if (change.isEmpty()) {
                return images;
            }
            long driftBatch = driftBatch().orElseThrow();
            return new Iterator<>() {
                long i;

                @Override
                public boolean hasNext() {
                    return images.hasNext();
                }

                @Override
                public Batch next() {
                    Batch b = images.next();
                    return i++ >= driftBatch ? change.get().apply(b) : b;
                }
            };
        }
        SparseTeacher teacher = teacher().orElseThrow();
        return new Iterator<>() {
            long i;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Batch next() {
                return teacher.batch(i++, batchSize);
            }
        };
    }

    public String describe() {
        if (isFashionMnist()) {
            return "Fashion-MNIST (" + fashionDir() + "), batches of " + batchSize + ", "
                    + (uint8Divisor().isEmpty() ? "float32" : "uint8") + " features"
                    + imageDrift()
                            .map(d -> ", images " + d + " from batch "
                                    + driftBatch().orElseThrow())
                            .orElse("");
        }
        return String.format(
                Locale.ROOT,
                "%s teacher: %d features, support %d, correlation %.2f, seed %d%s, batches of %d",
                dataset,
                dimension,
                support,
                correlation,
                seed,
                driftBatch().map(b -> ", support moves after batch " + b).orElse(""),
                batchSize);
    }
}
