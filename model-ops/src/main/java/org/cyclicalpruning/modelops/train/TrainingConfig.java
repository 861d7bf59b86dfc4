package org.cyclicalpruning.modelops.train;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Objects;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;

/**
 * Everything that defines how one model is trained and pruned. Immutable; build with {@link
 * #builder()}.
 *
 * <pre>{@code
 * TrainingConfig config = TrainingConfig.builder()
 *         .setModel(ModelSpec.LENET_300_100)
 *         .setSchedule(SparsitySchedules.parse("cyclical(final=0.98, period=1876, cycles=3)"))
 *         .optOptimizer(OptimizerConfig.sgd(0.9))
 *         .optLearningRate(LearningRate.cosine(0.05, 5628))
 *         .build();
 * }</pre>
 *
 * @param model the architecture
 * @param schedule the sparsity schedule
 * @param pruningMode the pruning granularity
 * @param maskUpdateInterval the number of steps between mask recomputations while the schedule prunes
 * @param optimizer the optimizer
 * @param learningRate the learning-rate schedule (over the sparsity schedule's ticks)
 * @param device where training runs
 * @param seed the seed of the weight initialisation
 * @param regrowth whether pruned weights keep receiving gradients while the schedule prunes, so that
 *     the next mask may bring them back (projected gradient descent, as cyclical pruning needs).
 *     When false, pruned weights get no gradient and stay zero: with a non-decreasing schedule the
 *     masks only shrink, which is gradual magnitude pruning as Zhu and Gupta run it.
 * @param inputScaling how features are scaled before the first layer
 */
public record TrainingConfig(
        ModelSpec model,
        SparsitySchedule schedule,
        PruningMode pruningMode,
        int maskUpdateInterval,
        OptimizerConfig optimizer,
        LearningRate learningRate,
        DeviceChoice device,
        long seed,
        boolean regrowth,
        InputScaling inputScaling) {
    /** The learning rate a configuration that sets none trains with (the Avro declaration's default too). */
    public static final double DEFAULT_LEARNING_RATE = 0.01;
    /** SGD's momentum unless set (the Avro declaration's default too). */
    public static final double DEFAULT_MOMENTUM = 0.9;
    /** The initialisation seed unless set (the Avro declaration's default too). */
    public static final long DEFAULT_SEED = 0;

    /**
     * Validates the configuration; {@link #builder()} is the readable way to give it, with defaults.
     *
     * @throws IllegalArgumentException naming the first invalid setting
     */
    public TrainingConfig {
        checkArgument(model != null, "model is required: setModel(ModelSpec.parse(\"lenet-300-100\")), for example");
        checkArgument(
                schedule != null, "schedule is required: setSchedule(SparsitySchedule.constant(0)) for a dense model");
        Objects.requireNonNull(pruningMode, "pruningMode");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(learningRate, "learningRate");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(inputScaling, "inputScaling");
        checkArgument(maskUpdateInterval >= 1, "maskUpdateInterval must be >= 1 step, got %s", maskUpdateInterval);
        checkArgument(
                schedule.finalSparsity() <= pruningMode.maxSparsity() + 1e-12,
                "pruning mode %s reaches at most sparsity %s, but the schedule's final sparsity is %s",
                pruningMode,
                pruningMode.maxSparsity(),
                schedule.finalSparsity());
        if (pruningMode.kind() == PruningMode.Kind.N_OF_M) {
            for (int width : model.layerWidths()) {
                checkArgument(
                        width == model.outputs() || width % pruningMode.m() == 0,
                        "N:M pruning with M=%s needs layer input widths divisible by M; model %s has a layer of width %s",
                        pruningMode.m(),
                        model,
                        width);
            }
        }
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder initialised with this configuration. */
    public Builder toBuilder() {
        return builder()
                .setModel(model)
                .setSchedule(schedule)
                .optPruningMode(pruningMode)
                .optMaskUpdateInterval(maskUpdateInterval)
                .optOptimizer(optimizer)
                .optLearningRate(learningRate)
                .optDevice(device)
                .optSeed(seed)
                .optRegrowth(regrowth)
                .optInputScaling(inputScaling);
    }

    @Override
    public String toString() {
        return String.format(
                "model=%s input=%s schedule=%s pruning=%s mask-interval=%d regrowth=%s optimizer=%s lr=%s device=%s"
                        + " seed=%d",
                model,
                inputScaling,
                schedule.toSpec(),
                pruningMode,
                maskUpdateInterval,
                regrowth,
                optimizer,
                learningRate,
                device,
                seed);
    }

    /** Builder: {@code setX} for required values, {@code optX} for optional ones. */
    public static final class Builder {
        private ModelSpec model;
        private SparsitySchedule schedule;
        private PruningMode pruningMode = PruningMode.global();
        private int maskUpdateInterval = 1;
        private OptimizerConfig optimizer = OptimizerConfig.sgd(DEFAULT_MOMENTUM);
        private LearningRate learningRate = LearningRate.constant(DEFAULT_LEARNING_RATE);
        private DeviceChoice device = DeviceChoice.AUTO;
        private long seed = DEFAULT_SEED;
        private boolean regrowth = true;
        private InputScaling inputScaling = InputScaling.none();

        private Builder() {}

        /** Sets the architecture (required). */
        public Builder setModel(ModelSpec model) {
            this.model = model;
            return this;
        }

        /** Sets the sparsity schedule (required). */
        public Builder setSchedule(SparsitySchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        /** Sets the pruning granularity; default global. */
        public Builder optPruningMode(PruningMode mode) {
            this.pruningMode = mode;
            return this;
        }

        /** Sets the steps between mask recomputations while pruning; default 1 (every step). */
        public Builder optMaskUpdateInterval(int steps) {
            this.maskUpdateInterval = steps;
            return this;
        }

        /** Sets the optimizer; default SGD with momentum {@value #DEFAULT_MOMENTUM}. */
        public Builder optOptimizer(OptimizerConfig optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /** Sets the learning-rate schedule; default constant {@value #DEFAULT_LEARNING_RATE}. */
        public Builder optLearningRate(LearningRate learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /** Sets the device; default auto. */
        public Builder optDevice(DeviceChoice device) {
            this.device = device;
            return this;
        }

        /**
         * Sets whether pruned weights receive gradients while pruning (see {@link
         * TrainingConfig#regrowth()}); default true.
         */
        public Builder optRegrowth(boolean regrowth) {
            this.regrowth = regrowth;
            return this;
        }

        /** Sets how features are scaled before the first layer; default none. */
        public Builder optInputScaling(InputScaling scaling) {
            this.inputScaling = scaling;
            return this;
        }

        /** Sets the initialisation seed; default {@value #DEFAULT_SEED}. */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first invalid setting
         */
        public TrainingConfig build() {
            return new TrainingConfig(
                    model,
                    schedule,
                    pruningMode,
                    maskUpdateInterval,
                    optimizer,
                    learningRate,
                    device,
                    seed,
                    regrowth,
                    inputScaling);
        }
    }
}
