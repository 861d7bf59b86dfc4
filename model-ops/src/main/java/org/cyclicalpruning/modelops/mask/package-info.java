/**
 * Pruning masks: {@link org.cyclicalpruning.modelops.mask.MagnitudePruner} recomputes them by
 * magnitude (global, per layer or N:M), {@link org.cyclicalpruning.modelops.mask.MaskState} holds
 * them as bits with the ever-pruned sets, and every update reports churn, regrown and recovered
 * weights ({@link org.cyclicalpruning.modelops.mask.MaskUpdate}).
 *
 * <p>Depends on {@code mask.select} and {@code util}; works on buffers and arrays, not on DJL.
 */
package org.cyclicalpruning.modelops.mask;
