package org.cyclicalpruning.modelops.mask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.cyclicalpruning.modelops.mask.PruningMode.Allocation;
import org.junit.jupiter.api.Test;

/** Per-layer pruning with the model's target spread over tensors: uniform, Erdős–Rényi, first layer denser. */
class LayerAllocationTest {
    // LeNet-300-100's weights: 784 -> 300 -> 100 -> 10
    private static final int[] SIZES = {300 * 784, 100 * 300, 10 * 100};
    private static final int[] ROWS = {784, 300, 100};

    @Test
    void everyAllocationKeepsTheModelsShareOfWeights() {
        for (Allocation a : Allocation.values()) {
            for (double s : new double[] {0.5, 0.9, 0.98, 0.99}) {
                double[] layer = PruningMode.perLayer(a).layerSparsities(s, SIZES, ROWS);
                double kept = 0;
                for (int t = 0; t < SIZES.length; t++) {
                    assertThat(layer[t]).isBetween(0.0, 1.0);
                    kept += (1 - layer[t]) * SIZES[t];
                }
                assertThat(kept).as("%s at %s", a, s).isCloseTo((1 - s) * 266_200, within(1e-6));
            }
        }
    }

    @Test
    void erdosRenyiKeepsSmallLayersDenserAndFirstDenserTheFirstLayer() {
        double[] erk = PruningMode.perLayer(Allocation.ERK).layerSparsities(0.98, SIZES, ROWS);
        assertThat(erk[0]).isGreaterThan(erk[1]);
        assertThat(erk[1]).isGreaterThan(erk[2]);
        double[] first = PruningMode.perLayer(Allocation.FIRST_DENSER).layerSparsities(0.98, SIZES, ROWS);
        assertThat(1 - first[0]).isCloseTo(2 * (1 - first[1]), within(1e-12));
        assertThat(first[1]).isEqualTo(first[2]);
    }

    @Test
    void aLayerThatWouldBeDenserThanDenseIsKeptWhole() {
        double[] erk = PruningMode.perLayer(Allocation.ERK).layerSparsities(0.5, SIZES, ROWS);
        assertThat(erk[2]).isZero();
    }

    @Test
    void thePrunerPrunesEachTensorToItsShare() {
        PruningMode mode = PruningMode.parse("erk");
        assertThat(mode.toString()).isEqualTo("erk");
        MagnitudePruner pruner = new MagnitudePruner(mode, SIZES, ROWS);
        float[][] w = new float[SIZES.length][];
        for (int t = 0; t < w.length; t++) {
            w[t] = TestWeights.gaussian(new java.util.SplittableRandom(11 + t), SIZES[t], 1.0);
        }
        MaskState state = MaskState.dense(SIZES);
        pruner.update(w, 0.98, state);
        double[] share = mode.layerSparsities(0.98, SIZES, ROWS);
        for (int t = 0; t < SIZES.length; t++) {
            assertThat(SIZES[t] - state.keptCount(t)).isEqualTo(Math.round(share[t] * SIZES[t]));
        }
    }
}
