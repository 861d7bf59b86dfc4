package org.cyclicalpruning.modelops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetTest {
    private static final int ROWS = 103;
    private static final int DIM = 3;

    /** Row r has features (r, r + 0.25, r + 0.5) and label r % 4, so a batch row names its source. */
    private static Dataset classification() {
        float[] x = new float[ROWS * DIM];
        int[] y = new int[ROWS];
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < DIM; j++) {
                x[r * DIM + j] = r + 0.25f * j;
            }
            y[r] = r % 4;
        }
        return Dataset.of("toy", x, DIM, y, 4);
    }

    private static Dataset regression() {
        float[] x = new float[ROWS * DIM];
        float[] t = new float[ROWS];
        for (int r = 0; r < ROWS; r++) {
            x[r * DIM] = r;
            t[r] = -r;
        }
        return Dataset.of("reg", x, DIM, t);
    }

    /** Source rows of a batch, read back from the first feature. */
    private static int[] sourceRows(Batch b) {
        int[] rows = new int[b.rows()];
        for (int i = 0; i < b.rows(); i++) {
            rows[i] = (int) b.features()[i * b.dim()];
        }
        return rows;
    }

    @Test
    void batchesCoverEveryRowExactlyOncePerEpochKeepingThePartialBatch() {
        BatchIterator it = classification().batches(10, 42, true);
        assertThat(it.batchesPerEpoch()).isEqualTo(11);
        for (int epoch = 0; epoch < 3; epoch++) {
            int[] seen = new int[ROWS];
            for (int k = 0; k < 11; k++) {
                Batch b = it.next();
                assertThat(it.epoch()).isEqualTo(epoch);
                assertThat(b.rows()).isEqualTo(k < 10 ? 10 : 3);
                for (int i = 0; i < b.rows(); i++) {
                    int r = (int) b.features()[i * DIM];
                    seen[r]++;
                    assertThat(b.features()[i * DIM + 2]).isEqualTo(r + 0.5f);
                    assertThat(b.labels()[i]).isEqualTo(r % 4);
                }
            }
            assertThat(seen).containsOnly(1);
        }
        assertThat(it.hasNext()).isTrue();
    }

    @Test
    void shuffledOrderIsDeterministicPerSeedAndDiffersAcrossEpochsAndSeeds() {
        List<int[]> a = order(classification().batches(16, 7, true), 21);
        List<int[]> b = order(classification().batches(16, 7, true), 21);
        List<int[]> c = order(classification().batches(16, 8, true), 21);
        for (int k = 0; k < a.size(); k++) {
            assertThat(a.get(k)).containsExactly(b.get(k));
        }
        assertThat(a.get(0)).isNotEqualTo(c.get(0));
        assertThat(a.get(0)).isNotEqualTo(a.get(7)); // 7 batches per epoch: epoch 1 starts anew
    }

    @Test
    void unshuffledBatchesFollowStorageOrderEveryEpoch() {
        BatchIterator it = regression().batches(50, 1, false);
        for (int epoch = 0; epoch < 2; epoch++) {
            assertThat(it.next().targets()[0]).isEqualTo(0f);
            assertThat(it.next().targets()[49]).isEqualTo(-99f);
            Batch last = it.next();
            assertThat(last.rows()).isEqualTo(3);
            assertThat(sourceRows(last)).containsExactly(100, 101, 102);
        }
    }

    private static List<int[]> order(BatchIterator it, int batches) {
        List<int[]> out = new ArrayList<>();
        for (int k = 0; k < batches; k++) {
            out.add(sourceRows(it.next()));
        }
        return out;
    }

    @Test
    void sliceGatherAndHeadCopy() {
        Dataset d = classification();
        Batch slice = d.slice(5, 8);
        assertThat(sourceRows(slice)).containsExactly(5, 6, 7);
        assertThat(slice.labels()).containsExactly(1, 2, 3);
        assertThat(slice.isClassification()).isTrue();
        slice.features()[0] = -1;
        assertThat(d.slice(5, 6).features()[0]).isEqualTo(5f);

        Batch gathered = d.gather(new int[] {9, 2, 9});
        assertThat(sourceRows(gathered)).containsExactly(9, 2, 9);
        assertThat(gathered.labels()).containsExactly(1, 2, 1);

        Dataset head = d.head(4);
        assertThat(head.rows()).isEqualTo(4);
        assertThat(head.classes()).isEqualTo(4);
        assertThat(head.name()).isEqualTo("toy[:4]");
        assertThat(d.head(ROWS)).isSameAs(d);

        Dataset reg = regression();
        assertThat(reg.classes()).isZero();
        assertThat(reg.target(7)).isEqualTo(-7f);
        Batch rb = reg.gather(new int[] {3});
        assertThat(rb.labels()).isNull();
        assertThat(rb.targets()).containsExactly(-3f);
        assertThat(rb.isClassification()).isFalse();
    }

    @Test
    void badArgumentsAreNamed() {
        Dataset d = classification();
        assertThatThrownBy(() -> d.slice(5, 5)).hasMessageContaining("0 <= from < to <= rows = 103, got [5, 5)");
        assertThatThrownBy(() -> d.gather(new int[] {103})).hasMessageContaining("got 103");
        assertThatThrownBy(() -> d.batches(0, 1, true)).hasMessageContaining("batchSize must be in [1, rows = 103]");
        assertThatThrownBy(() -> d.head(0)).hasMessageContaining("head n must be in [1, rows = 103], got 0");
        assertThatThrownBy(() -> d.target(0)).hasMessageContaining("has no targets");
        assertThatThrownBy(() -> Dataset.of("x", new float[6], 3, new int[] {0, 5}, 4))
                .hasMessageContaining("label at row 1 must be in [0, 4), got 5");
        assertThatThrownBy(() -> Dataset.of("x", new float[6], 3, new float[3]))
                .hasMessageContaining("targets.length must equal rows = features.length / dim = 2, got 3");
        assertThatThrownBy(() -> Dataset.of("x", new float[7], 3, new float[2]))
                .hasMessageContaining("positive multiple of dim = 3, got 7");
    }

    @Test
    void batchValidatesItsShape() {
        assertThatThrownBy(() -> new Batch(new float[5], 2, 3, new int[2], null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("features.length must be rows * dim = 2 * 3 = 6, got 5");
        assertThatThrownBy(() -> new Batch(new float[6], 2, 3, new int[3], null))
                .hasMessageContaining("labels.length must equal rows = 2, got 3");
        assertThatThrownBy(() -> new Batch(new float[6], 2, 3, null, new float[1]))
                .hasMessageContaining("targets.length must equal rows = 2, got 1");
        assertThatThrownBy(() -> new Batch(new float[6], 2, 3, new int[2], new float[2]))
                .hasMessageContaining("exactly one of labels (classification) or targets (regression), got both");
        assertThatThrownBy(() -> new Batch(new float[6], 2, 3, null, null)).hasMessageContaining("got neither");
        assertThatThrownBy(() -> new Batch(new float[0], 0, 3, new int[0], null))
                .hasMessageContaining("rows must be >= 1, got 0");
    }
}
