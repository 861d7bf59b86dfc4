/**
 * How the k smallest magnitudes are found, for {@link org.cyclicalpruning.modelops.mask.MagnitudePruner}:
 * in Java over a heap copy of the weights ({@link org.cyclicalpruning.modelops.mask.select.JavaSelector},
 * the reference), in place in native memory ({@link org.cyclicalpruning.modelops.mask.select.NativeSelector}
 * with its predicted bracket and the C kernels of {@code src/main/c}), and N:M groups
 * ({@link org.cyclicalpruning.modelops.mask.select.NofM}). All give the same masks.
 *
 * <p>Internal to {@code model-ops}: public only so that {@code mask} can reach it; it depends on
 * nothing else of the project.
 */
package org.cyclicalpruning.modelops.mask.select;
