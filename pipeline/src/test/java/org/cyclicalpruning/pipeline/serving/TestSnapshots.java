package org.cyclicalpruning.pipeline.serving;

import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/** Snapshots as the job writes them, with random weights of which most are pruned. */
public final class TestSnapshots {
    private TestSnapshots() {}

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
        int[] w = spec.layerWidths();
        int tensors = 2 * (w.length - 1);
        int[][] shapes = new int[tensors][];
        float[][] params = new float[tensors][];
        SplittableRandom random = new SplittableRandom(seed);
        for (int l = 0; l + 1 < w.length; l++) {
            // (out, in) and (out), as DJL's Linear stores them
            shapes[2 * l] = new int[] {w[l + 1], w[l]};
            shapes[2 * l + 1] = new int[] {w[l + 1]};
        }
        for (int p = 0; p < tensors; p++) {
            params[p] = new float[shapes[p].length == 2 ? shapes[p][0] * shapes[p][1] : shapes[p][0]];
            for (int i = 0; i < params[p].length; i++) {
                params[p][i] = p % 2 == 0 && random.nextDouble() < sparsity ? 0f : (float) random.nextGaussian();
            }
        }
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
                .setTensors(ModelSnapshots.encodeTensors(spec, shapes, params))
                .build();
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
}
