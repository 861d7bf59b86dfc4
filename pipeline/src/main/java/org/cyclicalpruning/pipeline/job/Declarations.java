package org.cyclicalpruning.pipeline.job;

import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.Clock;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.schedule.SparsitySchedules;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.OptimizerKind;

/** Turns {@link ModelDeclaration}s into training configurations, validating them on the way. */
public final class Declarations {
    private Declarations() {}

    /**
     * Builds the training configuration of a declared model.
     *
     * @param d the declaration
     * @param device where to train
     * @return the configuration
     * @throws IllegalArgumentException naming the field that is invalid
     */
    public static TrainingConfig trainingConfig(ModelDeclaration d, DeviceChoice device) {
        ModelSpec spec = field("spec", () -> ModelSpec.parse(d.getSpec()));
        SparsitySchedule schedule = field("schedule", () -> SparsitySchedules.parse(d.getSchedule()));
        if (schedule.clock() != Clock.EVENT_TIME && !d.getSchedule().trim().startsWith("constant")) {
            throw new IllegalArgumentException("schedule '" + d.getSchedule() + "' counts "
                    + schedule.clock().name().toLowerCase()
                    + "; the streaming job clocks schedules by event time: give durations, e.g. period=10m");
        }
        PruningMode pruning = field("pruning", () -> PruningMode.parse(d.getPruning()));
        OptimizerDeclaration o = d.getOptimizer();
        OptimizerConfig optimizer = field(
                "optimizer",
                () -> (o.getKind() == OptimizerKind.SGD ? OptimizerConfig.sgd(o.getMomentum()) : OptimizerConfig.adam())
                        .withWeightDecay(o.getWeightDecay()));
        LearningRate rate = field("learning-rate", () -> LearningRate.constant(o.getLearningRate()));
        return field(
                "model",
                () -> TrainingConfig.builder()
                        .setModel(spec)
                        .setSchedule(schedule)
                        .optPruningMode(pruning)
                        .optMaskUpdateInterval(d.getMaskInterval())
                        .optRegrowth(d.getRegrowth())
                        .optOptimizer(optimizer)
                        .optLearningRate(rate)
                        .optDevice(device)
                        .optSeed(d.getSeed())
                        .build());
    }

    /** Checks a declaration without touching any device; {@code where} prefixes the message. */
    static void validate(String where, ModelDeclaration d) {
        if (d.getModelId() == null || d.getModelId().isBlank()) {
            throw new IllegalArgumentException(where + ".id must not be empty");
        }
        try {
            trainingConfig(d, DeviceChoice.CPU);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(where + "." + e.getMessage(), e);
        }
    }

    private interface Parse<T> {
        T get();
    }

    private static <T> T field(String name, Parse<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }
}
