package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;
import org.junit.jupiter.api.Test;

class PredictorTest {
    private static final ModelSpec MLP = ModelSpec.parse("mlp:20-8-3");

    @Test
    void djlAndSparsePathsAgreeOnEveryKind() {
        for (ModelSpec spec : List.of(
                MLP,
                ModelSpec.parse("mlp:12-7-5-4"),
                ModelSpec.logistic(20),
                ModelSpec.softmax(20, 4),
                ModelSpec.linear(20))) {
            SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, spec, TestSnapshots.params(spec, 0.7, 11));
            float[] x = TestSnapshots.features(16, spec.inputs(), 5);
            try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
                float[] dense = djl.predict(x, 16);
                float[] sparse = SparsePredictor.of(s).predict(x, 16);
                assertThat(dense).as("outputs of %s", spec).hasSize(16 * spec.outputs());
                assertThat(sparse).as("sparse path of %s against DJL", spec).containsExactly(dense, within(1e-5f));
            }
        }
    }

    @Test
    void theNativeBatchPathAgreesWithDjlOnFullAndPartialTilesAndSmallBatchesStayPerExample() {
        assertThat(org.cyclicalpruning.modelops.mask.select.NativeMaskKernels.available())
                .as("the build compiles the native kernels")
                .isTrue();
        ModelSpec spec = ModelSpec.parse("mlp:50-40-20-3");
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, spec, TestSnapshots.params(spec, 0.9, 17));
        SparsePredictor sparse = SparsePredictor.of(s);
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            // 300 rows: nine full tiles of 32 and one of 12; 7 rows: the per-example path
            for (int rows : new int[] {SparsePredictor.BATCHED_FROM - 1, SparsePredictor.BATCHED_FROM, 32, 37, 300}) {
                float[] x = TestSnapshots.features(rows, spec.inputs(), rows);
                assertThat(sparse.predict(x, rows))
                        .as("%s rows", rows)
                        .containsExactly(djl.predict(x, rows), within(1e-5f));
            }
        }
    }

    @Test
    void theDenseKernelAgreesWithDjlAndTheCrossoverChoosesPerLayer() {
        // 50 -> 40 -> 20 -> 3: output counts off the dense kernel's tile of 6, the first layer
        // 40% dense, the others 90% (each layer pruned on its own)
        ModelSpec spec = ModelSpec.parse("mlp:50-40-20-3");
        float[][] params = TestSnapshots.params(spec, 0.1, 23);
        float[][] first = TestSnapshots.params(spec, 0.6, 23);
        params[0] = first[0];
        for (float[] tensor : params) { // unit Gaussians would sum to outputs of ±100, past float's 1e-5
            for (int i = 0; i < tensor.length; i++) {
                tensor[i] *= 0.2f;
            }
        }
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, spec, params);
        SparsePredictor allDense = SparsePredictor.of(s, KernelCrossover.fixed(0));
        SparsePredictor mixed = SparsePredictor.of(s, KernelCrossover.fixed(0.5));
        SparsePredictor allSparse = SparsePredictor.of(s, KernelCrossover.fixed(Double.POSITIVE_INFINITY));
        assertThat(allDense.plan(64))
                .extracting(SparsePredictor.LayerPath::kernel)
                .containsExactly("dense", "dense", "dense");
        assertThat(mixed.plan(64))
                .extracting(SparsePredictor.LayerPath::kernel)
                .containsExactly("sparse", "dense", "dense");
        assertThat(allSparse.plan(64))
                .extracting(SparsePredictor.LayerPath::kernel)
                .containsExactly("sparse", "sparse", "sparse");
        assertThat(mixed.plan(SparsePredictor.BATCHED_FROM - 1))
                .extracting(SparsePredictor.LayerPath::kernel)
                .containsOnly("rows");
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            for (int rows : new int[] {SparsePredictor.BATCHED_FROM, 32, 45, 300}) {
                float[] x = TestSnapshots.features(rows, spec.inputs(), rows + 1);
                float[] expected = djl.predict(x, rows);
                for (SparsePredictor p : List.of(allDense, mixed, allSparse)) {
                    assertThat(p.predict(x, rows))
                            .as("%s rows, %s", rows, p.plan(rows))
                            .containsExactly(expected, within(1e-5f));
                }
            }
        }
    }

    @Test
    void cnnsRunInTheSparsePathAsInDjlWhateverTheBatchAndTheKernels() {
        // the presets; and three channels, an unpadded 5 x 5 kernel with batch normalisation (folded
        // into its filters here, run by DJL's BatchNorm there) and a pool that drops an edge
        for (ModelSpec spec : List.of(
                ModelSpec.FASHION_CNN,
                ModelSpec.FASHION_CNN_BN,
                ModelSpec.parse("cnn:3x11x11-c6k5p0bn-p2-c4k3-f8-3"))) {
            SparseModelSnapshot s =
                    TestSnapshots.snapshot("cnn", 1, spec, TestSnapshots.fanInScaledParams(spec, 0.8, 29));
            List<SparsePredictor> predictors = List.of(
                    SparsePredictor.of(s),
                    SparsePredictor.of(s, KernelCrossover.fixed(0)),
                    SparsePredictor.of(s, KernelCrossover.fixed(Double.POSITIVE_INFINITY)));
            assertThat(predictors.get(1).plan(4))
                    .extracting(SparsePredictor.LayerPath::kernel)
                    .startsWith("dense", "dense");
            assertThat(predictors.get(2).plan(4))
                    .extracting(SparsePredictor.LayerPath::kernel)
                    .startsWith("sparse", "sparse");
            try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
                for (int rows : new int[] {1, 3, SparsePredictor.BATCHED_FROM, 41}) {
                    float[] x = TestSnapshots.features(rows, spec.inputs(), rows + 7);
                    float[] expected = djl.predict(x, rows);
                    for (SparsePredictor p : predictors) {
                        assertThat(p.predict(x, rows))
                                .as("%s, %s rows, %s", spec, rows, p.plan(rows))
                                .containsExactly(expected, within(1e-5f));
                    }
                }
            }
        }
    }

    @Test
    void theMeasuredCrossoverIsADensityPerBatchAndABadFixedOneIsNamed() {
        KernelCrossover measured = KernelCrossover.current();
        assertThat(measured.denseFrom(1)).as("single rows never run dense").isInfinite();
        for (int rows : KernelCrossover.BATCHES) {
            // the sparse kernel pays an index and a gather per weight, the dense one only the
            // multiply: its cost per weight can only be lower, never absurdly so
            assertThat(measured.denseFrom(rows))
                    .as("%s at %s rows", measured, rows)
                    .isBetween(0.01, 1.5);
        }
        assertThatThrownBy(() -> KernelCrossover.fixed(-0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-0.5");
    }

    @Test
    void sparsePathMatchesAHandComputation() {
        // layer0: W (2, 3) = [[1, 0, -2], [0, 0.5, 0]], b = [0.25, -1]; layer1: W (2, 2) = [[0, 3], [-1, 1]], b = [0,
        // 0.5]
        ModelSpec spec = ModelSpec.parse("mlp:3-2-2");
        float[][] params = {{1, 0, -2, 0, 0.5f, 0}, {0.25f, -1}, {0, 3, -1, 1}, {0, 0.5f}};
        SparseModelSnapshot s = TestSnapshots.snapshot("hand", 1, spec, params);
        float[] x = {1, 2, 0.5f, -1, 4, 0};
        // row 0: h = relu([1 - 1 + 0.25, 1 - 1]) = [0.25, 0]; y = [0, -0.25 + 0.5]
        // row 1: h = relu([-1 + 0.25, 2 - 1]) = [0, 1];      y = [3, 1 + 0.5]
        SparsePredictor sparse = SparsePredictor.of(s);
        assertThat(sparse.predict(x, 2)).containsExactly(new float[] {0f, 0.25f, 3f, 1.5f}, within(1e-7f));
        assertThat(sparse.nonZeroWeights()).isEqualTo(6);
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            assertThat(djl.predict(x, 2))
                    .as("DJL's Linear stores W as (out, in) too")
                    .containsExactly(new float[] {0f, 0.25f, 3f, 1.5f}, within(1e-6f));
        }

        ModelSpec logistic = ModelSpec.logistic(4);
        SparsePredictor lr =
                SparsePredictor.of(TestSnapshots.snapshot("lr", 1, logistic, new float[][] {{1, 0, 0, 2}, {0.5f}}));
        float[] rows = {3, 7, 7, -1, -1, 9, 9, 0};
        assertThat(lr.predict(rows, 2)).containsExactly(new float[] {3 - 2 + 0.5f, -1 + 0.5f}, within(1e-7f));
        assertThat(lr.predictClass(rows, 2)).containsExactly(1, 0);
    }

    @Test
    void predictClassIsTheArgmaxOfTheLogits() {
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, MLP, TestSnapshots.params(MLP, 0.5, 3));
        float[] x = TestSnapshots.features(50, 20, 9);
        ServingModel model = ServingModel.of(s);
        float[] logits = model.predict(x, 50);
        int[] classes = model.predictClass(x, 50);
        for (int r = 0; r < 50; r++) {
            float best = Math.max(logits[3 * r], Math.max(logits[3 * r + 1], logits[3 * r + 2]));
            assertThat(logits[3 * r + classes[r]]).isEqualTo(best);
        }
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            assertThat(djl.predictClass(x, 50)).containsExactly(classes);
        }
        ServingModel linear = ServingModel.of(TestSnapshots.snapshot(
                "r", 1, ModelSpec.linear(20), TestSnapshots.params(ModelSpec.linear(20), 0.5, 3)));
        assertThatThrownBy(() -> linear.predictClass(x, 50))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("regression");
    }

    @Test
    void aThousandPredictionsLeaveNoNativeArraysBehind() {
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, MLP, TestSnapshots.params(MLP, 0.9, 1));
        float[] x = TestSnapshots.features(32, 20, 2);
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            djl.predict(x, 32);
            int before = djl.liveArrays();
            for (int i = 0; i < 1000; i++) {
                djl.predict(x, 32);
            }
            assertThat(djl.liveArrays()).isEqualTo(before).isEqualTo(4);
        }
    }

    @Test
    void severalThreadsPredictAtOnceWithTheSameResults() throws Exception {
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, MLP, TestSnapshots.params(MLP, 0.8, 4));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                float[] x = TestSnapshots.features(8, 20, 100 + t);
                float[] expected = SparsePredictor.of(s).predict(x, 8);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        float[] y = djl.predict(x, 8);
                        for (int k = 0; k < y.length; k++) {
                            if (Math.abs(y[k] - expected[k]) > 1e-5f) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
            assertThat(djl.liveArrays()).isEqualTo(4);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedPredictorRefusesAndBadInputIsNamed() {
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, MLP, TestSnapshots.params(MLP, 0.8, 4));
        SnapshotPredictor djl = SnapshotPredictor.load(s);
        assertThatThrownBy(() -> djl.predict(new float[19], 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("20 features, got 19");
        djl.close();
        djl.close();
        assertThatThrownBy(() -> djl.predict(new float[20], 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aTransposedTensorIsRejected() {
        ModelSpec spec = ModelSpec.softmax(3, 2);
        SparseModelSnapshot s = TestSnapshots.snapshot("m", 1, spec, new float[][] {{1, 2, 3, 4, 5, 6}, {0, 0}});
        List<SparseTensor> wrong = ModelSnapshots.encodeTensors(
                spec, new int[][] {{3, 2}, {2}}, new float[][] {{1, 2, 3, 4, 5, 6}, {0, 0}});
        s.setTensors(wrong);
        assertThatThrownBy(() -> ServingModel.of(s))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has shape [3, 2], softmax:3x2 needs [2, 3]");
        assertThatThrownBy(() -> SnapshotPredictor.load(s)).isInstanceOf(IllegalArgumentException.class);
    }
}
