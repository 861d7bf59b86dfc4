package org.cyclicalpruning.tools.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;

/**
 * Training efficiency: FLOP/s achieved by a training step (no pruning) against the FLOP/s of
 * DJL's own fp32 matrix multiply on the step's shapes, measured in the same run. A step of a
 * fully connected layer {@code in -> out} on {@code b} rows costs three products of {@code 2*b*in*out}
 * FLOPs: forward, the gradient of the input, the gradient of the weights.
 */
final class GemmBench {
    private GemmBench() {}

    static Map<String, Object> run(int steps) {
        Map<String, Object> figures = new LinkedHashMap<>();
        for (String model : List.of("lenet-300-100", "mlp:784-1024-1024-10")) {
            for (int batch : new int[] {128, 512}) {
                ModelSpec spec = ModelSpec.parse(model);
                double flopsPerStep = 0;
                int[] widths = spec.layerWidths();
                for (int l = 0; l + 1 < widths.length; l++) {
                    flopsPerStep += 3 * 2.0 * batch * widths[l] * widths[l + 1];
                }
                double stepSeconds = trainStepSeconds(spec, batch, steps);
                double matmulSeconds = matmulSeconds(widths, batch, steps);
                double achieved = flopsPerStep / stepSeconds;
                double peak = flopsPerStep / matmulSeconds;
                String key = spec.toText().replace("mlp:", "") + "_b" + batch;
                figures.put("train_gflops_" + key, achieved / 1e9);
                figures.put("matmul_gflops_" + key, peak / 1e9);
                figures.put("gemm_efficiency_" + key, achieved / peak);
                System.out.printf(
                        Locale.ROOT,
                        "training %s at batch %d: %.1f GFLOP/s, DJL matmul on the same shapes %.1f GFLOP/s: %.0f%%%n",
                        model,
                        batch,
                        achieved / 1e9,
                        peak / 1e9,
                        100 * achieved / peak);
            }
        }
        // the headline figure: the wider model at batch 512
        figures.put("gemm_efficiency_b512", figures.get("gemm_efficiency_784-1024-1024-10_b512"));
        return figures;
    }

    private static double trainStepSeconds(ModelSpec spec, int batch, int steps) {
        TrainingConfig config = TrainingConfig.builder()
                .setModel(spec)
                .setSchedule(SparsitySchedule.constant(0.0))
                .optMaskUpdateInterval(Integer.MAX_VALUE)
                .optOptimizer(OptimizerConfig.sgd(0.9))
                .optLearningRate(LearningRate.constant(0.01))
                .optDevice(DeviceChoice.AUTO)
                .build();
        SplittableRandom random = new SplittableRandom(3);
        List<Batch> batches = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            float[] x = new float[batch * spec.inputs()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextDouble();
            }
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = random.nextInt(spec.classes());
            }
            batches.add(new Batch(x, batch, spec.inputs(), labels, null));
        }
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            for (int i = 0; i < Math.max(5, steps / 5); i++) {
                trainer.step(batches.get(i % batches.size()), i);
            }
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                trainer.step(batches.get(i % batches.size()), i);
            }
            return (System.nanoTime() - start) / 1e9 / steps;
        }
    }

    /** Seconds per step of the step's three matrix products per layer, done with DJL alone. */
    private static double matmulSeconds(int[] widths, int batch, int steps) {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray[]> products = new ArrayList<>();
            for (int l = 0; l + 1 < widths.length; l++) {
                int in = widths[l];
                int out = widths[l + 1];
                NDArray x = manager.randomUniform(0, 1, new Shape(batch, in));
                NDArray w = manager.randomUniform(0, 1, new Shape(in, out));
                NDArray dy = manager.randomUniform(0, 1, new Shape(batch, out));
                NDArray wt = manager.randomUniform(0, 1, new Shape(out, in));
                NDArray xt = manager.randomUniform(0, 1, new Shape(in, batch));
                products.add(new NDArray[] {x, w}); // forward: (b x in)(in x out)
                products.add(new NDArray[] {dy, wt}); // input gradient: (b x out)(out x in)
                products.add(new NDArray[] {xt, dy}); // weight gradient: (in x b)(b x out)
            }
            for (int i = 0; i < Math.max(5, steps / 5); i++) {
                multiplyAll(manager, products);
            }
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                multiplyAll(manager, products);
            }
            return (System.nanoTime() - start) / 1e9 / steps;
        }
    }

    private static void multiplyAll(NDManager manager, List<NDArray[]> products) {
        try (NDManager scope = manager.newSubManager()) {
            for (NDArray[] p : products) {
                NDArray r = p[0].matMul(p[1]);
                r.attach(scope);
                r.getFloat(0, 0); // wait for the result (no-op on the CPU, a sync on a GPU)
            }
        }
    }
}
