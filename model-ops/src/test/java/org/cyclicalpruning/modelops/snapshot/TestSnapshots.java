package org.cyclicalpruning.modelops.snapshot;

import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * Snapshots as the job writes them, with random weights of which a chosen share is pruned: the
 * fixture of every test that reads snapshots (shared through this module's test jar).
 */
public final class TestSnapshots {
    private TestSnapshots() {}

    /** Weights (out, in) and biases (out), as DJL's Linear and the job store them. */
    public static int[][] shapes(ModelSpec spec) {
        return spec.layout().shapes();
    }

    /**
     * Random parameters with {@code sparsity} of the weights set to zero (biases stay dense);
     * batch normalisations get scales near 1, small shifts and means, and positive variances.
     */
    public static float[][] params(ModelSpec spec, double sparsity, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ModelLayout layout = spec.layout();
        float[][] params = new float[layout.size()][];
        for (int p = 0; p < params.length; p++) {
            params[p] = new float[layout.tensor(p).size()];
            for (int i = 0; i < params[p].length; i++) {
                double g = random.nextGaussian();
                params[p][i] = switch (layout.tensor(p).role()) {
                    case WEIGHT -> random.nextDouble() < sparsity ? 0f : (float) g;
                    case BIAS -> (float) g;
                    case NORM_SCALE -> (float) (1 + 0.3 * g);
                    case NORM_SHIFT, RUNNING_MEAN -> (float) (0.3 * g);
                    case RUNNING_VAR -> (float) Math.exp(0.5 * g);
                };
            }
        }
        return params;
    }

    /**
     * Returns {@link #params} with each tensor divided by the square root of its fan-in, so that
     * activations keep their scale through deep (convolutional) models.
     */
    public static float[][] fanInScaledParams(ModelSpec spec, double sparsity, long seed) {
        float[][] params = params(spec, sparsity, seed);
        ModelLayout layout = spec.layout();
        for (int p = 0; p < params.length; p++) {
            if (!layout.tensor(p).prunable() && layout.tensor(p).role() != ModelLayout.Role.BIAS) {
                continue;
            }
            float scale = (float) (1 / Math.sqrt(layout.tensor(p).fanIn()));
            for (int i = 0; i < params[p].length; i++) {
                params[p][i] *= scale;
            }
        }
        return params;
    }

    /** Returns a snapshot of the given parameters that says it is 75% sparse. */
    public static SparseModelSnapshot snapshot(String modelId, long version, ModelSpec spec, float[][] params) {
        return snapshot(modelId, version, spec, params, 0.75);
    }

    /**
     * Returns a snapshot whose weights are drawn from {@code seed}, {@code sparsity} of them zero.
     *
     * @param modelId the model id
     * @param version the version
     * @param spec the architecture
     * @param sparsity share of weights set to zero (biases stay dense)
     * @param seed the weights' seed
     * @return the snapshot
     */
    public static SparseModelSnapshot snapshot(
            String modelId, long version, ModelSpec spec, double sparsity, long seed) {
        return snapshot(modelId, version, spec, params(spec, sparsity, seed), sparsity);
    }

    /** Returns {@code rows × inputs} standard normal features. */
    public static float[] features(int rows, int inputs, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * inputs];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static SparseModelSnapshot snapshot(
            String modelId, long version, ModelSpec spec, float[][] params, double sparsity) {
        return SparseModelSnapshot.newBuilder()
                .setModelId(modelId)
                .setVersion(version)
                .setEventTime(1_767_225_600_000L + 30_000 * version)
                .setReason(SnapshotReason.CYCLE_END)
                .setCycle(version - 1)
                .setPhase("HOLD")
                .setStep(100 * version)
                .setSamples(6400 * version)
                .setSparsity(sparsity)
                .setTargetSparsity(sparsity)
                .setSpec(spec.toAvro())
                .setSchedule("cyclical(final=" + sparsity + ", period=30s, cycles=inf, ramp=0.5)")
                .setLoss(0.5)
                .setAccuracy(spec.isClassifier() ? 0.8 : null)
                .setChurn(3)
                .setRecovered(7)
                .setTensors(ModelSnapshots.encodeTensors(spec, shapes(spec), params))
                .build();
    }
}
