package org.cyclicalpruning.modelops.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.nio.ByteBuffer;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.engine.GradientScope;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;

/**
 * Scores a model on held-out data in chunks, each in a native-memory scope of its own.
 *
 * @param spec the architecture
 * @param block the model
 * @param parameterStore the store the forward pass reads the weights from
 * @param manager the native memory the chunks' scopes open under
 * @param staging the direct buffer features are staged in
 * @param objective the loss and the correct count
 */
record Evaluator(
        ModelSpec spec,
        Block block,
        ParameterStore parameterStore,
        NDManager manager,
        BatchStaging staging,
        Objective objective) {
    private static final int CHUNK = 2048;

    Evaluation evaluate(Dataset data, InputStandardization scale) {
        GradientScope.off();
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.rows(); from += CHUNK) {
            Batch batch = data.slice(from, Math.min(data.rows(), from + CHUNK));
            objective.checkBatch(batch.rows(), batch.dim(), batch.labels(), batch.targets());
            try (NDManager scope = manager.newSubManager()) {
                ByteBuffer staged = staging.floats(batch.features());
                if (scale != null) {
                    staging.standardize(staged, batch.features().length, scale);
                }
                NDArray x = scope.create(staged, new Shape(batch.rows(), batch.dim()), DataType.FLOAT32);
                NDArray y = objective.labels(batch.rows(), batch.labels(), batch.targets(), scope);
                NDArray out =
                        block.forward(parameterStore, new NDList(x), false).singletonOrThrow();
                lossSum += objective.loss(out, y).getFloat() * (double) batch.rows();
                correct += objective.correct(out, y);
            }
        }
        double loss = lossSum / data.rows();
        return spec.isClassifier()
                ? new Evaluation(data.rows(), loss, (double) correct / data.rows(), Double.NaN)
                : new Evaluation(data.rows(), loss, Double.NaN, loss);
    }
}
