package org.cyclicalpruning.modelops.data;

import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * Endless, reproducible mini-batches over a {@link Dataset}: epoch after epoch, each a pass over
 * every row exactly once, with the last partial batch of an epoch kept (dropping it would starve
 * the same rows every epoch when not shuffling).
 *
 * <p>Each epoch's order is a Fisher-Yates permutation drawn from a {@link SplittableRandom} seeded
 * from (seed, epoch) alone, so epoch {@code e} is the same whatever happened before it, which
 * makes a run replayable from a snapshot that records only the epoch and the position in it.
 *
 * <p>{@link #hasNext()} is always true; the caller decides how many steps to take. Not thread-safe.
 */
public final class BatchIterator implements Iterator<Batch> {
    /** Separates this package's seed uses so a dataset seed never equals a teacher seed's stream. */
    private static final long EPOCH_DOMAIN = 0x45504F4348L; // "EPOCH"

    private final Dataset data;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final int[] order;
    private long epoch = -1;
    private int position;

    BatchIterator(Dataset data, int batchSize, long seed, boolean shuffle) {
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.order = shuffle ? new int[data.rows()] : null;
        this.position = data.rows(); // forces the first next() to start epoch 0
    }

    /** Always true: the stream is endless. */
    @Override
    public boolean hasNext() {
        return true;
    }

    /** The next batch, starting a new epoch (with a fresh permutation) after the last one. */
    @Override
    public Batch next() {
        int rows = data.rows();
        if (position >= rows) {
            epoch++;
            position = 0;
            if (shuffle) {
                permute(order, new SplittableRandom(Seeds.derive(seed, EPOCH_DOMAIN, epoch)));
            }
        }
        int from = position;
        int to = Math.min(rows, from + batchSize);
        position = to;
        return shuffle ? data.gather(order, from, to) : data.slice(from, to);
    }

    /** The epoch of the batch last returned by {@link #next()} (0-based; -1 before the first). */
    public long epoch() {
        return epoch;
    }

    /** Batches per epoch, counting the last partial one. */
    public int batchesPerEpoch() {
        return (data.rows() + batchSize - 1) / batchSize;
    }

    /** Fills {@code a} with a uniform random permutation of 0..n-1 (identity then Fisher-Yates). */
    private static void permute(int[] a, SplittableRandom random) {
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
        }
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
