/**
 * The keyed training operator ({@link org.cyclicalpruning.pipeline.train.ModelTrainingOperator}):
 * models hot in native memory between batches, snapshots at event-time boundaries, per-model
 * metrics. Depends on {@code config}, {@code validate}, {@code state} and {@code model-ops}.
 */
package org.cyclicalpruning.pipeline.train;
