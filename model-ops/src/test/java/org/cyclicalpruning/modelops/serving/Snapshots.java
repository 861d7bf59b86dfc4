package org.cyclicalpruning.modelops.serving;

import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SnapshotReason;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/** Snapshots for the serving tests: random weights, most of them pruned. */
final class Snapshots {
    private Snapshots() {}

    /** Weights (out, in) and biases (out), as DJL's Linear and the job store them. */
    static int[][] shapes(ModelSpec spec) {
        int[] w = spec.layerWidths();
        int[][] shapes = new int[2 * (w.length - 1)][];
        for (int l = 0; l + 1 < w.length; l++) {
            shapes[2 * l] = new int[] {w[l + 1], w[l]};
            shapes[2 * l + 1] = new int[] {w[l + 1]};
        }
        return shapes;
    }

    /** Random parameters with {@code sparsity} of the weights set to zero (biases stay dense). */
    static float[][] params(ModelSpec spec, double sparsity, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] shapes = shapes(spec);
        float[][] params = new float[shapes.length][];
        for (int p = 0; p < shapes.length; p++) {
            params[p] = new float[shapes[p].length == 2 ? shapes[p][0] * shapes[p][1] : shapes[p][0]];
            for (int i = 0; i < params[p].length; i++) {
                boolean pruned = p % 2 == 0 && random.nextDouble() < sparsity;
                params[p][i] = pruned ? 0f : (float) random.nextGaussian();
            }
        }
        return params;
    }

    static SparseModelSnapshot snapshot(String modelId, long version, ModelSpec spec, float[][] params) {
        return SparseModelSnapshot.newBuilder()
                .setModelId(modelId)
                .setVersion(version)
                .setEventTime(1_767_225_600_000L + 30_000 * version)
                .setReason(SnapshotReason.CYCLE_END)
                .setCycle(version - 1)
                .setPhase("HOLD")
                .setStep(100 * version)
                .setSamples(6400 * version)
                .setSparsity(0.75)
                .setTargetSparsity(0.75)
                .setSpec(spec.toAvro())
                .setSchedule("cyclical(final=0.75, period=30s, cycles=inf, ramp=0.5)")
                .setLoss(0.5)
                .setAccuracy(spec.isClassifier() ? 0.8 : null)
                .setChurn(3)
                .setRecovered(7)
                .setTensors(ModelSnapshots.encodeTensors(spec, shapes(spec), params))
                .build();
    }

    static float[] features(int rows, int inputs, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * inputs];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
