package org.cyclicalpruning.pipeline.config;

import java.io.Serializable;

/**
 * The bounds every input record is checked against before anything is sized from it: what the
 * source receives of the configuration.
 *
 * @param maxBatchRows larger batches are dead-lettered
 * @param maxBatchValues batches with more feature values (rows x dim) are dead-lettered
 * @param maxRecordBytes larger Kafka record values are dead-lettered before decoding
 * @param maxModelIdBytes longer model ids (UTF-8) are dead-lettered
 * @param maxEventTimeSkewMillis batches whose event time is further ahead of their Kafka timestamp
 *     are dead-lettered
 * @param maxAbsValue features and targets of larger magnitude are dead-lettered
 */
public record ValidationLimits(
        int maxBatchRows,
        long maxBatchValues,
        int maxRecordBytes,
        int maxModelIdBytes,
        long maxEventTimeSkewMillis,
        double maxAbsValue)
        implements Serializable {}
