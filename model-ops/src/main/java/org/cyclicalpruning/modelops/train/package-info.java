/**
 * The training step with pruning: {@link org.cyclicalpruning.modelops.train.SparseTrainer} keeps
 * one model hot in native memory and runs forward, loss, backward, the optimizer and, when due, the
 * mask update; beside it the input staging, the masks applied to tensors, the objective and the
 * evaluation. {@link org.cyclicalpruning.modelops.train.TrainingConfig} says what to train and how;
 * {@link org.cyclicalpruning.modelops.train.TrainerState} is the heap copy checkpoints keep.
 *
 * <p>Depends on every other package of {@code model-ops}; nothing in it depends on this one.
 */
package org.cyclicalpruning.modelops.train;
