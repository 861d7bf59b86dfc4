/**
 * Optimizers whose state the trainer owns: {@link org.cyclicalpruning.modelops.optim.Optimizer}
 * (update, state tensors, reset of pruned entries) with SGD and Adam behind it, their settings
 * ({@link org.cyclicalpruning.modelops.optim.OptimizerConfig}) and learning-rate schedules ({@link
 * org.cyclicalpruning.modelops.optim.LearningRate}).
 *
 * <p>Depends on {@code engine} for the fused kernels and on DJL's API.
 */
package org.cyclicalpruning.modelops.optim;
