package org.cyclicalpruning.modelops.optim;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/**
 * The optimizer: SGD with (heavy-ball) momentum, or Adam (Kingma and Ba,
 * https://arxiv.org/abs/1412.6980).
 *
 * <p>Updates run as the engine's fused native kernels, one call per tensor ({@link #create()}),
 * and the optimizer state is held by the trainer (not inside a DJL {@code Optimizer}) so that it
 * can be checkpointed and so that the state of a weight that gets pruned can be reset.
 *
 * @param kind SGD or Adam
 * @param momentum SGD momentum in [0, 1)
 * @param beta1 Adam's first-moment decay in [0, 1)
 * @param beta2 Adam's second-moment decay in [0, 1)
 * @param epsilon Adam's denominator guard, positive
 * @param weightDecay L2 penalty, >= 0
 */
public record OptimizerConfig(
        Kind kind, double momentum, double beta1, double beta2, double epsilon, double weightDecay) {

    /** The update rule. */
    public enum Kind {
        SGD,
        ADAM
    }

    public OptimizerConfig {
        checkArgument(kind != null, "optimizer kind must be set");
        checkArgument(momentum >= 0 && momentum < 1, "momentum must be in [0, 1), got %s", momentum);
        checkArgument(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1), got %s", beta1);
        checkArgument(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1), got %s", beta2);
        checkArgument(epsilon > 0, "epsilon must be positive, got %s", epsilon);
        checkArgument(weightDecay >= 0, "weight decay must be >= 0, got %s", weightDecay);
    }

    /** Returns SGD with the given momentum (0 for plain SGD) and no weight decay. */
    public static OptimizerConfig sgd(double momentum) {
        return new OptimizerConfig(Kind.SGD, momentum, 0.9, 0.999, 1e-8, 0.0);
    }

    /** Returns Adam with the usual betas (0.9, 0.999) and epsilon 1e-8. */
    public static OptimizerConfig adam() {
        return new OptimizerConfig(Kind.ADAM, 0.0, 0.9, 0.999, 1e-8, 0.0);
    }

    /** Returns a copy with the given weight decay. */
    public OptimizerConfig withWeightDecay(double decay) {
        return new OptimizerConfig(kind, momentum, beta1, beta2, epsilon, decay);
    }

    /** Returns the number of state tensors kept per parameter tensor. */
    public int stateTensors() {
        return kind == Kind.ADAM ? 2 : momentum > 0 ? 1 : 0;
    }

    /** Returns the update rule these settings describe. */
    public Optimizer create() {
        return kind == Kind.ADAM ? new Adam(beta1, beta2, epsilon, weightDecay) : new Sgd(momentum, weightDecay);
    }
}
