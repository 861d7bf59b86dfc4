/**
 * The one place that reaches below DJL's engine-neutral API into PyTorch's: per-thread grad mode
 * and back-propagation ({@link org.cyclicalpruning.modelops.engine.GradientScope}), the fused
 * optimizer kernels ({@link org.cyclicalpruning.modelops.engine.FusedUpdates}), the intra-op
 * thread pool ({@link org.cyclicalpruning.modelops.engine.IntraOpThreads}) and the instruction set
 * of PyTorch's CPU convolutions ({@link org.cyclicalpruning.modelops.engine.OneDnn}).
 *
 * <p>Depends on DJL's API and PyTorch engine only; the rest of {@code model-ops} depends on it, so
 * another engine would replace this package alone.
 */
package org.cyclicalpruning.modelops.engine;
