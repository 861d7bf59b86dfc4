package org.cyclicalpruning.pipeline.config;

import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.cyclicalpruning.modelops.mask.PruningMode;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.optim.OptimizerConfig;
import org.cyclicalpruning.modelops.schedule.Clock;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.schedule.SparsitySchedules;
import org.cyclicalpruning.modelops.snapshot.ModelFiles;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.OptimizerKind;

/**
 * A model declaration parsed once: its architecture, schedule, pruning and optimizer as the
 * trainer takes them, and the Avro record the job's state keeps. Immutable.
 */
public final class ModelDefinition {
    /** Bytes a snapshot may carry besides the float32 weights: names, shapes, metrics, framing. */
    private static final long SNAPSHOT_OVERHEAD = 64 << 10;

    private final ModelDeclaration declaration;
    private final TrainingConfig config;
    private final ModelFiles.Weights initialWeights;

    private ModelDefinition(ModelDeclaration declaration, TrainingConfig config, ModelFiles.Weights initialWeights) {
        this.declaration = declaration;
        this.config = config;
        this.initialWeights = initialWeights;
    }

    /**
     * Parses a declaration.
     *
     * @param declaration the declaration
     * @return its definition
     * @throws IllegalArgumentException naming the field that is invalid
     */
    public static ModelDefinition of(ModelDeclaration declaration) {
        return of(declaration, "model '" + declaration.getModelId() + "'");
    }

    /** Parses a declaration; {@code where} prefixes the message of an invalid field. */
    static ModelDefinition of(ModelDeclaration d, String where) {
        if (d.getModelId() == null || d.getModelId().isBlank()) {
            throw new ConfigError(where + ".id must not be empty");
        }
        ModelSpec spec = field(where, "spec", () -> ModelSpec.parse(d.getSpec()));
        SparsitySchedule schedule = field(where, "schedule", () -> SparsitySchedules.parse(d.getSchedule()));
        if (schedule.clock() != Clock.EVENT_TIME && !d.getSchedule().trim().startsWith("constant")) {
            throw new ConfigError(String.format(
                    "%s.schedule: '%s' counts %s; the streaming job clocks schedules by event time: give durations,"
                            + " e.g. period=10m",
                    where, d.getSchedule(), schedule.clock().name().toLowerCase(Locale.ROOT)));
        }
        PruningMode pruning = field(where, "pruning", () -> PruningMode.parse(d.getPruning()));
        OptimizerDeclaration o = d.getOptimizer();
        OptimizerConfig optimizer = field(
                where,
                "optimizer",
                () -> (o.getKind() == OptimizerKind.SGD ? OptimizerConfig.sgd(o.getMomentum()) : OptimizerConfig.adam())
                        .withWeightDecay(o.getWeightDecay()));
        LearningRate rate = field(where, "learning-rate", () -> LearningRate.constant(o.getLearningRate()));
        InputScaling scaling = field(where, "input-scaling", () -> InputScaling.parse(d.getInputScaling()));
        TrainingConfig config = field(
                where,
                "model",
                () -> TrainingConfig.builder()
                        .setModel(spec)
                        .setSchedule(schedule)
                        .optPruningMode(pruning)
                        .optMaskUpdateInterval(d.getMaskInterval())
                        .optRegrowth(d.getRegrowth())
                        .optOptimizer(optimizer)
                        .optLearningRate(rate)
                        .optDevice(DeviceChoice.AUTO)
                        .optSeed(d.getSeed())
                        .optInputScaling(scaling)
                        .build());
        return new ModelDefinition(d, config, null);
    }

    /**
     * Reads the weights a declaration names, if it names any.
     *
     * @throws IllegalArgumentException naming the model and the file if it cannot be read or does
     *     not fit the model
     */
    Optional<ModelFiles.Weights> readInitialWeights(String where) {
        String file = declaration.getInitialWeights();
        if (file == null || file.isBlank()) {
            return Optional.empty();
        }
        try {
            Path path = file.startsWith("file:") ? Path.of(URI.create(file)) : Path.of(file);
            return Optional.of(ModelFiles.read(path, spec()));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new ConfigError(where + ".initial-weights: " + e.getMessage(), e);
        }
    }

    /**
     * Returns this definition starting from {@code weights}; a model declared without input
     * scaling takes over the one the file's model used, since its weights were trained on features
     * scaled so.
     */
    ModelDefinition withInitialWeights(ModelFiles.Weights weights) {
        TrainingConfig adopted = config;
        if (config.inputScaling().mode() == InputScaling.Mode.NONE
                && weights.scale().isPresent()) {
            InputStandardization s = weights.scale().get();
            adopted = config.toBuilder()
                    .optInputScaling(InputScaling.standardize(s.mean(), s.std()))
                    .build();
        }
        return new ModelDefinition(declaration, adopted, weights);
    }

    /** Returns the model id. */
    public String id() {
        return declaration.getModelId();
    }

    /** Returns the declaration, as the keyed state keeps it. */
    public ModelDeclaration declaration() {
        return declaration;
    }

    /** Returns the architecture. */
    public ModelSpec spec() {
        return config.model();
    }

    /** Returns the sparsity schedule. */
    public SparsitySchedule schedule() {
        return config.schedule();
    }

    /** Returns the trained weights the model starts from, if its declaration names any. */
    public Optional<ModelFiles.Weights> initialWeights() {
        return Optional.ofNullable(initialWeights);
    }

    /** Returns how to train this model on {@code device}. */
    public TrainingConfig trainingConfig(DeviceChoice device) {
        return config.toBuilder().optDevice(device).build();
    }

    /** Returns the definition under another id (a default model taking an unknown id). */
    ModelDefinition renamed(String modelId) {
        return new ModelDefinition(
                ModelDeclaration.newBuilder(declaration).setModelId(modelId).build(), config, initialWeights);
    }

    /** Returns the bytes a snapshot of this model may take at most: every weight kept, plus headers. */
    public long snapshotBound() {
        return 4L * spec().parameterCount() + SNAPSHOT_OVERHEAD;
    }

    @Override
    public String toString() {
        return id() + " (" + declaration.getSpec() + ", " + declaration.getSchedule() + ")";
    }

    private interface Parse<T> {
        T get();
    }

    private static <T> T field(String where, String name, Parse<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigError(where + "." + name + ": " + e.getMessage(), e);
        }
    }
}
