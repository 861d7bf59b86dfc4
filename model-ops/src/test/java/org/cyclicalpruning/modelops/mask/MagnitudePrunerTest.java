package org.cyclicalpruning.modelops.mask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.cyclicalpruning.modelops.mask.TestWeights.gaussian;
import static org.cyclicalpruning.modelops.mask.TestWeights.quantised;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MagnitudePrunerTest {

    @Test
    void prunesExactlyRoundedCountAndBreaksTiesByLowerIndex() {
        float[] w = new float[10];
        Arrays.fill(w, 0.5f);
        w[9] = -0.5f; // sign does not matter, magnitude ties
        MaskState state = MaskState.dense(10);
        MaskUpdate update = pruner(PruningMode.global(), 10).update(new float[][] {w}, 0.35, state);

        assertThat(update.pruned()).isEqualTo(4); // round(3.5) = 4
        assertThat(kept(state, 0, 10)).containsExactly(false, false, false, false, true, true, true, true, true, true);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1, 0.5, 0.9, 0.98, 0.99, 0.999})
    void globalMatchesSortingReferenceWithManyTies(double sparsity) {
        SplittableRandom random = new SplittableRandom(7);
        float[][] w = {quantised(random, 3000, 40), quantised(random, 1234, 40), quantised(random, 777, 40)};
        MaskState state = MaskState.dense(3000, 1234, 777);
        pruner(PruningMode.global(), 3000, 1234, 777).update(w, sparsity, state);

        boolean[] expected = referenceGlobal(w, Math.round(sparsity * (3000 + 1234 + 777)));
        int offset = 0;
        for (int t = 0; t < w.length; t++) {
            for (int i = 0; i < w[t].length; i++) {
                assertThat(state.isKept(t, i)).as("tensor %s index %s", t, i).isEqualTo(!expected[offset + i]);
            }
            offset += w[t].length;
        }
        assertThat(state.prunedCount()).isEqualTo(Math.round(sparsity * 5011));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.05, 0.5, 0.9, 0.95, 0.98, 0.99, 0.999})
    void sampledSelectionOnLargeTensorsMatchesSortingReference(double sparsity) {
        SplittableRandom random = new SplittableRandom(13);
        float[] heavyTies = quantised(random, 70_000, 500);
        float[] smooth = gaussian(random, 40_000, 0.1);
        java.util.Arrays.fill(smooth, 0, 5000, 0f); // a block of exact zeros, as dead inputs leave
        float[][] w = {heavyTies, smooth};
        MaskState state = MaskState.dense(70_000, 40_000);
        pruner(PruningMode.global(), 70_000, 40_000).update(w, sparsity, state);

        boolean[] expected = referenceGlobal(w, Math.round(sparsity * 110_000));
        for (int t = 0, offset = 0; t < 2; offset += w[t].length, t++) {
            for (int i = 0; i < w[t].length; i++) {
                if (state.isKept(t, i) == expected[offset + i]) {
                    throw new AssertionError("tensor " + t + " index " + i + " differs from the reference");
                }
            }
        }
        MaskState perLayer = MaskState.dense(70_000, 40_000);
        pruner(PruningMode.perLayer(), 70_000, 40_000).update(w, sparsity, perLayer);
        assertThat(perLayer.keptCount(0)).isEqualTo(70_000 - Math.round(sparsity * 70_000));
        assertThat(perLayer.keptCount(1)).isEqualTo(40_000 - Math.round(sparsity * 40_000));
    }

    @Test
    void perLayerPrunesEachTensorToTheTargetWhileGlobalFavoursLargeWeights() {
        SplittableRandom random = new SplittableRandom(3);
        float[] small = gaussian(random, 1000, 0.01);
        float[] large = gaussian(random, 1000, 1.0);

        MaskState perLayer = MaskState.dense(1000, 1000);
        pruner(PruningMode.perLayer(), 1000, 1000).update(new float[][] {small, large}, 0.9, perLayer);
        assertThat(perLayer.keptCount(0)).isEqualTo(100);
        assertThat(perLayer.keptCount(1)).isEqualTo(100);

        MaskState global = MaskState.dense(1000, 1000);
        pruner(PruningMode.global(), 1000, 1000).update(new float[][] {small, large}, 0.9, global);
        assertThat(global.keptCount(0) + global.keptCount(1)).isEqualTo(200);
        assertThat(global.keptCount(0)).isZero();
    }

    @Test
    void nOfMKeepsAtMostNPerGroupOfM() {
        SplittableRandom random = new SplittableRandom(11);
        float[] w = gaussian(random, 16 * 12, 1.0);
        MaskState state = MaskState.dense(w.length);
        MagnitudePruner pruner = new MagnitudePruner(PruningMode.nOfM(2, 4), new int[] {w.length}, new int[] {12});
        MaskUpdate update = pruner.update(new float[][] {w}, 0.5, state);

        assertThat(update.sparsity()).isEqualTo(0.5);
        for (int g = 0; g < w.length; g += 4) {
            int keptInGroup = 0;
            float smallestKept = Float.MAX_VALUE;
            float largestPruned = 0;
            for (int j = g; j < g + 4; j++) {
                if (state.isKept(0, j)) {
                    keptInGroup++;
                    smallestKept = Math.min(smallestKept, Math.abs(w[j]));
                } else {
                    largestPruned = Math.max(largestPruned, Math.abs(w[j]));
                }
            }
            assertThat(keptInGroup).isEqualTo(2);
            assertThat(smallestKept).isGreaterThanOrEqualTo(largestPruned);
        }
    }

    @Test
    void nOfMOnConvolutionsGroupsInputChannelsAtEachKernelPositionAndLeavesAnImageLayerDense() {
        // conv (filters 6, channels 8, 3 x 3): groups of 4 channels at one (filter, kh, kw); an
        // image layer (filters 4, 1 channel, 3 x 3) cannot be grouped along channels
        int k2 = 9;
        SplittableRandom random = new SplittableRandom(5);
        float[] conv = gaussian(random, 6 * 8 * k2, 1.0);
        float[] image = gaussian(random, 4 * k2, 1.0);
        MaskState state = MaskState.dense(conv.length, image.length);
        MagnitudePruner pruner = new MagnitudePruner(
                PruningMode.nOfM(2, 4), new int[] {conv.length, image.length}, new int[] {8 * k2, k2}, new int[] {k2, k2
                });
        pruner.update(new float[][] {conv, image}, 0.5, state);

        assertThat(state.keptCount(1)).as("the image layer stays dense").isEqualTo(image.length);
        assertThat(state.keptCount(0)).isEqualTo(conv.length / 2);
        for (int f = 0; f < 6; f++) {
            for (int c0 = 0; c0 < 8; c0 += 4) {
                for (int pos = 0; pos < k2; pos++) {
                    int keptInGroup = 0;
                    float smallestKept = Float.MAX_VALUE;
                    float largestPruned = 0;
                    for (int c = c0; c < c0 + 4; c++) {
                        int i = (f * 8 + c) * k2 + pos;
                        if (state.isKept(0, i)) {
                            keptInGroup++;
                            smallestKept = Math.min(smallestKept, Math.abs(conv[i]));
                        } else {
                            largestPruned = Math.max(largestPruned, Math.abs(conv[i]));
                        }
                    }
                    assertThat(keptInGroup)
                            .as("filter %s channels %s.. position %s", f, c0, pos)
                            .isEqualTo(2);
                    assertThat(smallestKept).isGreaterThanOrEqualTo(largestPruned);
                }
            }
        }
    }

    @Test
    void nOfMCapsSparsityAtOneMinusNOverM() {
        float[] w = gaussian(new SplittableRandom(1), 64, 1.0);
        MaskState state = MaskState.dense(64);
        new MagnitudePruner(PruningMode.nOfM(1, 4), new int[] {64}, new int[] {8})
                .update(new float[][] {w}, 0.9, state);
        assertThat(state.keptCount(0)).isEqualTo(16);
    }

    @Test
    void nOfMRejectsRowsNotDivisibleByM() {
        assertThatThrownBy(() -> new MagnitudePruner(PruningMode.nOfM(2, 4), new int[] {30}, new int[] {10}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of M")
                .hasMessageContaining("10");
    }

    @Test
    void countsChurnRegrowthAndRecoveredWeights() {
        float[] w = {1, 2, 3, 4, 5, 6, 7, 8};
        MaskState state = MaskState.dense(8);
        MagnitudePruner pruner = pruner(PruningMode.global(), 8);

        MaskUpdate first = pruner.update(new float[][] {w}, 0.5, state);
        assertThat(first).isEqualTo(new MaskUpdate(4, 8, 4, 0, 0));

        // a new cycle restarts at sparsity 0: every pruned weight comes back
        MaskUpdate restart = pruner.update(new float[][] {w}, 0.0, state);
        assertThat(restart).isEqualTo(new MaskUpdate(0, 8, 4, 4, 4));

        // the formerly pruned small weights grew: the mask moves to them
        float[] grown = {9, 9, 9, 9, 1, 1, 1, 1};
        MaskUpdate moved = pruner.update(new float[][] {grown}, 0.5, state);
        assertThat(moved.pruned()).isEqualTo(4);
        assertThat(moved.churn()).isEqualTo(4); // the 4 large-index weights went from kept to pruned
        assertThat(moved.regrown()).isZero(); // all of 0..3 were already kept before this update
        assertThat(moved.recovered()).isEqualTo(4); // 0..3 are kept and had been pruned once
        assertThat(state.everPrunedCount()).isEqualTo(8);
        assertThat(state.recoveredCount()).isEqualTo(4);
    }

    @Test
    void readsDirectNativeOrderBuffersLikeHeapArrays() {
        float[] w = gaussian(new SplittableRandom(5), 1000, 1.0);
        ByteBuffer direct = ByteBuffer.allocateDirect(4000).order(ByteOrder.nativeOrder());
        direct.asFloatBuffer().put(0, w);
        FloatBuffer maskOut =
                ByteBuffer.allocateDirect(4000).order(ByteOrder.nativeOrder()).asFloatBuffer();

        MaskState viaDirect = MaskState.dense(1000);
        pruner(PruningMode.global(), 1000)
                .update(new ByteBuffer[] {direct}, 0.8, viaDirect, new FloatBuffer[] {maskOut});
        MaskState viaHeap = MaskState.dense(1000);
        pruner(PruningMode.global(), 1000).update(new float[][] {w}, 0.8, viaHeap);

        assertThat(viaDirect.kept(0)).isEqualTo(viaHeap.kept(0));
        for (int i = 0; i < 1000; i++) {
            assertThat(maskOut.get(i)).isEqualTo(viaHeap.isKept(0, i) ? 1f : 0f);
        }
    }

    @Test
    void rejectsSparsityOutsideUnitInterval() {
        assertThatThrownBy(() ->
                        pruner(PruningMode.global(), 4).update(new float[][] {new float[4]}, 1.0, MaskState.dense(4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sparsity")
                .hasMessageContaining("1.0");
    }

    @Test
    void parsesModes() {
        assertThat(PruningMode.parse("global")).isEqualTo(PruningMode.global());
        assertThat(PruningMode.parse("per-layer")).isEqualTo(PruningMode.perLayer());
        assertThat(PruningMode.parse("2:4")).isEqualTo(PruningMode.nOfM(2, 4));
        assertThatThrownBy(() -> PruningMode.parse("4:2")).hasMessageContaining("1 <= N < M");
        assertThatThrownBy(() -> PruningMode.parse("rows"))
                .hasMessageContaining("global, per-layer, erk, first-denser or N:M");
    }

    // ------------- helpers --------------

    private static MagnitudePruner pruner(PruningMode mode, int... sizes) {
        return new MagnitudePruner(mode, sizes, sizes);
    }

    private static Boolean[] kept(MaskState state, int t, int n) {
        return IntStream.range(0, n).mapToObj(i -> state.isKept(t, i)).toArray(Boolean[]::new);
    }

    /** Sorts all weights by (|w|, global index) and prunes the first k: the definition itself. */
    private static boolean[] referenceGlobal(float[][] w, long k) {
        int n = Arrays.stream(w).mapToInt(a -> a.length).sum();
        float[] flat = new float[n];
        int off = 0;
        for (float[] a : w) {
            System.arraycopy(a, 0, flat, off, a.length);
            off += a.length;
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(
                order,
                Comparator.<Integer>comparingDouble(i -> Math.abs(flat[i])).thenComparingInt(i -> i));
        boolean[] pruned = new boolean[n];
        for (int i = 0; i < k; i++) {
            pruned[order[i]] = true;
        }
        return pruned;
    }
}
