/**
 * Sparsity schedules: pure, immutable functions from training progress ("ticks") to a target
 * sparsity and a {@link org.cyclicalpruning.modelops.schedule.Phase}.
 *
 * <p>Gradual magnitude pruning follows Zhu &amp; Gupta 2017, "To prune, or not to prune"
 * (<a href="https://arxiv.org/abs/1710.01878">arXiv:1710.01878</a>); cyclical pruning follows
 * Srinivas et al. 2022, "Cyclical Pruning for Sparse Neural Networks"
 * (<a href="https://arxiv.org/abs/2202.01290">arXiv:2202.01290</a>). Schedules are built in code
 * with builders or from text with {@link org.cyclicalpruning.modelops.schedule.SparsitySchedules#parse}.
 */
package org.cyclicalpruning.modelops.schedule;
