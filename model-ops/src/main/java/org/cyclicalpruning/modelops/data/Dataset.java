package org.cyclicalpruning.modelops.data;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable in-memory table of float32 features ({@code rows x dim}, row-major) with either
 * integer class labels or float regression targets.
 *
 * <p>The factories take ownership of the arrays they are given instead of copying them, because
 * the tables are large (Fashion-MNIST's training set is 188 MB of floats); callers must not modify
 * them afterwards. Everything handed out ({@link #slice}, {@link #gather}, {@link #head}, batches)
 * is a copy, so nothing outside can change a dataset's contents.
 */
public final class Dataset {
    private final String name;
    private final float[] features;
    private final int rows;
    private final int dim;
    private final int[] labels;
    private final float[] targets;
    private final int classes;

    private Dataset(String name, float[] features, int dim, int[] labels, float[] targets, int classes) {
        this.name = Objects.requireNonNull(name, "name");
        this.features = Objects.requireNonNull(features, "features");
        checkArgument(dim >= 1, "Dataset dim must be >= 1, got %s", dim);
        checkArgument(
                features.length > 0 && features.length % dim == 0,
                "Dataset features.length must be a positive multiple of dim = %s, got %s",
                dim,
                features.length);
        this.dim = dim;
        this.rows = features.length / dim;
        this.labels = labels;
        this.targets = targets;
        this.classes = classes;
    }

    /**
     * A classification dataset; takes ownership of the arrays.
     *
     * @param name a human-readable name for logs and reports
     * @param features row-major features, length {@code labels.length * dim}
     * @param dim features per row, at least 1
     * @param labels class labels in [0, classes)
     * @param classes number of classes, at least 2
     * @return the dataset
     */
    public static Dataset of(String name, float[] features, int dim, int[] labels, int classes) {
        Objects.requireNonNull(labels, "labels");
        checkArgument(classes >= 2, "Dataset classes must be >= 2 for classification, got %s", classes);
        Dataset d = new Dataset(name, features, dim, labels, null, classes);
        checkArgument(
                labels.length == d.rows,
                "Dataset labels.length must equal rows = features.length / dim = %s, got %s",
                d.rows,
                labels.length);
        for (int i = 0; i < labels.length; i++) {
            checkArgument(
                    labels[i] >= 0 && labels[i] < classes,
                    "Dataset label at row %s must be in [0, %s), got %s",
                    i,
                    classes,
                    labels[i]);
        }
        return d;
    }

    /**
     * A regression dataset; takes ownership of the arrays.
     *
     * @param name a human-readable name for logs and reports
     * @param features row-major features, length {@code targets.length * dim}
     * @param dim features per row, at least 1
     * @param targets regression targets
     * @return the dataset
     */
    public static Dataset of(String name, float[] features, int dim, float[] targets) {
        Objects.requireNonNull(targets, "targets");
        Dataset d = new Dataset(name, features, dim, null, targets, 0);
        checkArgument(
                targets.length == d.rows,
                "Dataset targets.length must equal rows = features.length / dim = %s, got %s",
                d.rows,
                targets.length);
        return d;
    }

    /** Number of rows (samples). */
    public int rows() {
        return rows;
    }

    /** Number of features per row. */
    public int dim() {
        return dim;
    }

    /** True when rows carry class labels, false when they carry regression targets. */
    public boolean isClassification() {
        return labels != null;
    }

    /** Number of classes; 0 for regression. */
    public int classes() {
        return classes;
    }

    /**
     * The class label of one row (classification only).
     *
     * @param row a row index in [0, rows)
     * @return its label
     */
    public int label(int row) {
        checkArgument(labels != null, "Dataset %s is a regression dataset and has no labels", name);
        checkRow(row);
        return labels[row];
    }

    /**
     * The regression target of one row (regression only).
     *
     * @param row a row index in [0, rows)
     * @return its target
     */
    public float target(int row) {
        checkArgument(targets != null, "Dataset %s is a classification dataset and has no targets", name);
        checkRow(row);
        return targets[row];
    }

    /**
     * Copies the contiguous rows [from, to) into a batch.
     *
     * @param from first row, inclusive
     * @param to last row, exclusive; {@code from < to <= rows}
     * @return a batch that owns fresh arrays
     */
    public Batch slice(int from, int to) {
        checkArgument(
                from >= 0 && from < to && to <= rows,
                "Dataset slice [from, to) must satisfy 0 <= from < to <= rows = %s, got [%s, %s)",
                rows,
                from,
                to);
        float[] x = Arrays.copyOfRange(features, from * dim, to * dim);
        return labels != null
                ? new Batch(x, to - from, dim, Arrays.copyOfRange(labels, from, to), null)
                : new Batch(x, to - from, dim, null, Arrays.copyOfRange(targets, from, to));
    }

    /**
     * Copies the given rows, in the given order, into a batch.
     *
     * @param rowIndices row indices in [0, rows); repeats are allowed; at least one
     * @return a batch that owns fresh arrays
     */
    public Batch gather(int[] rowIndices) {
        return gather(rowIndices, 0, rowIndices.length);
    }

    /** Gathers rowIndices[from, to) without copying the index range first (used per batch). */
    Batch gather(int[] rowIndices, int from, int to) {
        int n = to - from;
        checkArgument(n >= 1, "Dataset gather needs at least one row index, got %s", n);
        float[] x = new float[n * dim];
        int[] y = labels != null ? new int[n] : null;
        float[] t = targets != null ? new float[n] : null;
        for (int i = 0; i < n; i++) {
            int r = rowIndices[from + i];
            checkRow(r);
            System.arraycopy(features, r * dim, x, i * dim, dim);
            if (y != null) {
                y[i] = labels[r];
            } else {
                t[i] = targets[r];
            }
        }
        return new Batch(x, n, dim, y, t);
    }

    /**
     * The first {@code n} rows as a dataset of their own (e.g. a cheaper evaluation set).
     *
     * @param n number of rows, in [1, rows]
     * @return this when {@code n == rows}, else a copy of the first n rows
     */
    public Dataset head(int n) {
        checkArgument(n >= 1 && n <= rows, "Dataset head n must be in [1, rows = %s], got %s", rows, n);
        if (n == rows) {
            return this; // immutable, so sharing is safe
        }
        float[] x = Arrays.copyOf(features, n * dim);
        String headName = name + "[:" + n + "]";
        return labels != null
                ? new Dataset(headName, x, dim, Arrays.copyOf(labels, n), null, classes)
                : new Dataset(headName, x, dim, null, Arrays.copyOf(targets, n), 0);
    }

    /**
     * An endless stream of batches, epoch after epoch. Each epoch visits every row exactly once;
     * its last batch is smaller when {@code batchSize} does not divide {@link #rows()}.
     *
     * @param batchSize rows per batch, in [1, rows]
     * @param seed with the epoch number, determines each epoch's permutation
     * @param shuffle false to visit rows in storage order every epoch
     * @return a fresh iterator starting at epoch 0
     */
    public BatchIterator batches(int batchSize, long seed, boolean shuffle) {
        checkArgument(
                batchSize >= 1 && batchSize <= rows,
                "batchSize must be in [1, rows = %s] for dataset %s, got %s",
                rows,
                name,
                batchSize);
        return new BatchIterator(this, batchSize, seed, shuffle);
    }

    private void checkRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException(
                    String.format("row must be in [0, rows = %s) for dataset %s, got %s", rows, name, row));
        }
    }

    /** The dataset's name, for logs and reports. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return String.format(
                "Dataset[%s: %d rows x %d dims, %s]",
                name, rows, dim, labels != null ? classes + " classes" : "regression");
    }
}
