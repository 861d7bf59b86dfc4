/**
 * The streaming job: {@link org.cyclicalpruning.pipeline.TrainingJob} builds the topology from a
 * {@link org.cyclicalpruning.pipeline.config.JobConfig}; {@link org.cyclicalpruning.pipeline.JobMain}
 * and {@link org.cyclicalpruning.pipeline.RunCommand} are the cluster jar's entry point.
 *
 * <p>The job reads Kafka ({@code source}), checks every record ({@code validate}), trains keyed
 * models ({@code train}, with {@code state} for their keyed state) and writes snapshots and dead
 * letters ({@code sink}). It depends on Flink, its Kafka connector and {@code model-ops}; Flink and
 * DJL are the cluster's, not the jar's.
 */
package org.cyclicalpruning.pipeline;
