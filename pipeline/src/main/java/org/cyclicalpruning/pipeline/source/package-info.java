/**
 * The input topic: {@code TrainingBatch} records as producers write them ({@link
 * org.cyclicalpruning.pipeline.source.TrainingBatches}) and as the Kafka source decodes them,
 * structure checked before anything is allocated ({@link
 * org.cyclicalpruning.pipeline.source.TrainingBatchDeserializer}, yielding {@link
 * org.cyclicalpruning.pipeline.source.Received}). Depends on the schemas and Flink's Kafka connector.
 */
package org.cyclicalpruning.pipeline.source;
