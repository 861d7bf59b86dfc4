package org.cyclicalpruning.modelops.optim;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/**
 * A learning-rate schedule over the same ticks as the sparsity schedule.
 *
 * <p>{@code COSINE} anneals from {@code base} to {@code min} over {@code horizon} ticks (Loshchilov
 * and Hutter, SGDR, https://arxiv.org/abs/1608.03983); with {@code restartEvery > 0} it restarts
 * every that many ticks, which lines a warm restart up with every pruning cycle.
 *
 * @param kind constant or cosine
 * @param base the initial (and, for constant, the only) rate
 * @param min the rate cosine annealing ends at
 * @param horizon ticks over which one cosine runs (cosine only)
 * @param restartEvery ticks between warm restarts, 0 for none
 */
public record LearningRate(Kind kind, double base, double min, long horizon, long restartEvery) {

    /** The shape of the schedule. */
    public enum Kind {
        CONSTANT,
        COSINE
    }

    public LearningRate {
        checkArgument(base > 0 && Double.isFinite(base), "learning rate must be positive and finite, got %s", base);
        checkArgument(min >= 0 && min <= base, "minimum learning rate must be in [0, %s], got %s", base, min);
        checkArgument(
                kind != Kind.COSINE || horizon > 0, "cosine learning rate needs a positive horizon, got %s", horizon);
        checkArgument(restartEvery >= 0, "restartEvery must be >= 0, got %s", restartEvery);
    }

    /** Returns a constant rate. */
    public static LearningRate constant(double rate) {
        return new LearningRate(Kind.CONSTANT, rate, rate, 0, 0);
    }

    /** Returns cosine annealing from {@code base} to 0 over {@code horizon} ticks. */
    public static LearningRate cosine(double base, long horizon) {
        return new LearningRate(Kind.COSINE, base, 0.0, horizon, 0);
    }

    /** Returns cosine annealing that restarts at {@code base} every {@code period} ticks. */
    public static LearningRate cosineWithRestarts(double base, long period) {
        return new LearningRate(Kind.COSINE, base, 0.0, period, period);
    }

    /** Returns the rate at {@code ticks}. */
    public double at(long ticks) {
        if (kind == Kind.CONSTANT) {
            return base;
        }
        long t = restartEvery > 0 ? ticks % restartEvery : ticks;
        double progress = Math.min(1.0, (double) t / horizon);
        return min + 0.5 * (base - min) * (1.0 + Math.cos(Math.PI * progress));
    }
}
