package org.cyclicalpruning.pipeline.config;

import java.io.Serializable;

/**
 * The bounds every input record is checked against before anything is sized from it: what the
 * source and the validator receive of the configuration.
 *
 * @param maxBatchRows larger batches are dead-lettered
 * @param maxBatchValues batches with more feature values (rows x dim) are dead-lettered
 * @param maxRecordBytes larger Kafka record values are dead-lettered before decoding
 */
public record ValidationLimits(int maxBatchRows, long maxBatchValues, int maxRecordBytes) implements Serializable {}
