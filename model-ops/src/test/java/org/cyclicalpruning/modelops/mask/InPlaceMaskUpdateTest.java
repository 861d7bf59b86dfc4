package org.cyclicalpruning.modelops.mask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.cyclicalpruning.modelops.mask.TestWeights.gaussian;
import static org.cyclicalpruning.modelops.mask.TestWeights.quantised;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.mask.select.NativeMaskKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The in-place (native) mask update against the Java path, which the other pruner tests check
 * against a sorting reference: same masks, same counts, and weights and optimizer state zeroed
 * exactly where a weight is pruned, over sequences of updates that exercise the narrow bracket,
 * its misses (sparsity jumps), the sampled bracket, the exact fallback and ties.
 */
class InPlaceMaskUpdateTest {

    @Test
    void kernelsLoadWhereTheBuildPutThemInTheJar() {
        boolean built = NativeMaskKernels.class.getResource(NativeMaskKernels.resource()) != null;
        assertThat(NativeMaskKernels.available())
                .as("kernels built into %s load", NativeMaskKernels.resource())
                .isEqualTo(built);
        if (System.getProperty("os.arch").equals("amd64")
                && System.getProperty("os.name").startsWith("Linux")) {
            // the build compiles them wherever a C compiler exists, as on every machine this project builds on
            assertThat(built).as("native kernels in the jar for linux-x86_64").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = PruningMode.Kind.class,
            names = {"GLOBAL", "PER_LAYER"})
    void matchesTheJavaPathOverATrainingLikeSequence(PruningMode.Kind kind) {
        PruningMode mode = kind == PruningMode.Kind.GLOBAL ? PruningMode.global() : PruningMode.perLayer();
        int[] sizes = {47_040, 3000, 130};
        SplittableRandom random = new SplittableRandom(21);
        float[][] w = {
            gaussian(random, sizes[0], 0.05), gaussian(random, sizes[1], 0.1), gaussian(random, sizes[2], 0.3)
        };
        // a ramp, a hold, a restart to 0 and a second ramp: narrow brackets, moved brackets and misses
        double[] sparsities = new double[80];
        for (int s = 0; s < sparsities.length; s++) {
            sparsities[s] = s < 30
                    ? 0.95 * (1 - Math.pow(1 - s / 30.0, 3))
                    : s < 50 ? 0.95 : s == 50 ? 0.0 : 0.95 * (1 - Math.pow(1 - (s - 50) / 30.0, 3));
        }
        MagnitudePruner pruner = runAndCompare(mode, sizes, w, sparsities, random, 0.002);
        long[] paths = pruner.selectionPaths();
        // steady steps find the threshold next to the previous one; the restart to 0 selects nothing
        assertThat(paths[0] + paths[1])
                .as("bracket hits of %s", java.util.Arrays.toString(paths))
                .isGreaterThan(60L * (kind == PruningMode.Kind.GLOBAL ? 1 : 3));
    }

    @Test
    void breaksTiesByIndexAcrossTensorsLikeTheJavaPath() {
        int[] sizes = {40_000, 5000};
        SplittableRandom random = new SplittableRandom(5);
        float[][] w = {quantised(random, sizes[0], 30), quantised(random, sizes[1], 30)};
        java.util.Arrays.fill(w[1], 0, 2000, 0f); // exact zeros: ties at key 0
        runAndCompare(PruningMode.global(), sizes, w, new double[] {0.3, 0.5, 0.5, 0.9, 0.97, 0.1, 0.999}, random, 0.0);
    }

    @Test
    void smallTensorsTakeTheExactPath() {
        int[] sizes = {100, 7};
        SplittableRandom random = new SplittableRandom(9);
        float[][] w = {gaussian(random, sizes[0], 1), gaussian(random, sizes[1], 1)};
        runAndCompare(PruningMode.global(), sizes, w, new double[] {0.5, 0.6, 0.0, 0.9, 0.95}, random, 0.01);
        runAndCompare(PruningMode.perLayer(), sizes, w, new double[] {0.5, 0.6, 0.0, 0.9, 0.95}, random, 0.01);
    }

    // ------------- helpers --------------

    /**
     * Runs the sparsity sequence through both paths; between updates every weight moves by noise
     * of the given scale (pruned ones too, as with regrowth), and so does the optimizer state.
     */
    private static MagnitudePruner runAndCompare(
            PruningMode mode,
            int[] sizes,
            float[][] start,
            double[] sparsities,
            SplittableRandom random,
            double noise) {
        MagnitudePruner inPlace = new MagnitudePruner(mode, sizes, sizes);
        MagnitudePruner java = new MagnitudePruner(mode, sizes, sizes);
        // only platforms the build has no kernels for skip; kernelsLoadWhereTheBuildPutThemInTheJar fails on
        // linux-x86_64 without them
        assumeTrue(inPlace.updatesInPlace(), "no native mask kernels on this platform");
        int tensors = sizes.length;
        ByteBuffer[] weights = new ByteBuffer[tensors];
        ByteBuffer[][] state = new ByteBuffer[tensors][];
        ByteBuffer[] masks = new ByteBuffer[tensors];
        float[][] w = new float[tensors][];
        for (int t = 0; t < tensors; t++) {
            w[t] = start[t].clone();
            weights[t] = direct(w[t]);
            state[t] = new ByteBuffer[] {direct(start[t]), direct(start[t])};
            masks[t] = direct(filled(sizes[t], 1f));
        }
        MaskState viaNative = MaskState.dense(sizes);
        MaskState viaJava = MaskState.dense(sizes);
        for (int step = 0; step < sparsities.length; step++) {
            float[][] before = new float[tensors][];
            float[][][] stateBefore = new float[tensors][2][];
            for (int t = 0; t < tensors; t++) {
                before[t] = read(weights[t], sizes[t]);
                stateBefore[t][0] = read(state[t][0], sizes[t]);
                stateBefore[t][1] = read(state[t][1], sizes[t]);
            }
            MaskUpdate expected = java.update(before, sparsities[step], viaJava);
            MaskUpdate actual = inPlace.updateInPlace(weights, state, sparsities[step], viaNative);
            MagnitudePruner.writeMasks(viaNative, masks);

            assertThat(actual)
                    .as("step %s at sparsity %s", step, sparsities[step])
                    .isEqualTo(expected);
            for (int t = 0; t < tensors; t++) {
                assertThat(viaNative.kept(t))
                        .as("mask of tensor %s at step %s", t, step)
                        .isEqualTo(viaJava.kept(t));
                assertThat(viaNative.everPruned(t)).isEqualTo(viaJava.everPruned(t));
                float[] after = read(weights[t], sizes[t]);
                float[] mask = read(masks[t], sizes[t]);
                float[] s0 = read(state[t][0], sizes[t]);
                float[] s1 = read(state[t][1], sizes[t]);
                for (int i = 0; i < sizes[t]; i++) {
                    boolean kept = viaJava.isKept(t, i);
                    if (mask[i] != (kept ? 1f : 0f)
                            || after[i] != (kept ? before[t][i] : 0f)
                            || s0[i] != (kept ? stateBefore[t][0][i] : 0f)
                            || s1[i] != (kept ? stateBefore[t][1][i] : 0f)) {
                        throw new AssertionError(String.format(
                                "step %d tensor %d index %d (kept %s): mask %s, weight %s -> %s, state %s / %s",
                                step, t, i, kept, mask[i], before[t][i], after[i], s0[i], s1[i]));
                    }
                }
            }
            for (int t = 0; t < tensors; t++) {
                perturb(weights[t], sizes[t], random, noise);
                perturb(state[t][0], sizes[t], random, noise);
                perturb(state[t][1], sizes[t], random, noise);
            }
        }
        return inPlace;
    }

    private static ByteBuffer direct(float[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(values);
        return b;
    }

    private static float[] read(ByteBuffer b, int n) {
        float[] out = new float[n];
        b.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().get(out);
        return out;
    }

    private static void perturb(ByteBuffer b, int n, SplittableRandom random, double noise) {
        for (int i = 0; i < n; i++) {
            b.putFloat(4 * i, (float) (b.getFloat(4 * i) + noise * (random.nextDouble() - 0.5)));
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
