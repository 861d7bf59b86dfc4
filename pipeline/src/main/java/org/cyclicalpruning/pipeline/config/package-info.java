/**
 * The job's configuration: every setting once, typed and documented ({@link
 * org.cyclicalpruning.pipeline.config.JobOptions}), the immutable {@link
 * org.cyclicalpruning.pipeline.config.JobConfig} read from YAML or built in code, and the models
 * ({@link org.cyclicalpruning.pipeline.config.ModelRegistry}, each declaration parsed once into a
 * {@link org.cyclicalpruning.pipeline.config.ModelDefinition}).
 *
 * <p>Operators receive the parts they need ({@link org.cyclicalpruning.pipeline.config.ValidationLimits},
 * {@link org.cyclicalpruning.pipeline.config.TrainingSettings}, the registry), never the whole
 * configuration with its Kafka credentials. Depends on {@code model-ops} and Jackson, not on Flink.
 */
package org.cyclicalpruning.pipeline.config;
