/**
 * Data to train and test on: {@link org.cyclicalpruning.modelops.data.Batch}es and {@link
 * org.cyclicalpruning.modelops.data.Dataset}s, Fashion-MNIST from its IDX files ({@link
 * org.cyclicalpruning.modelops.data.FashionMnist}), synthetic sparse teachers that may drift
 * ({@link org.cyclicalpruning.modelops.data.SparseTeacher}), uint8 feature decoding and metrics.
 *
 * <p>Depends on {@code util} only; plain Java, no DJL.
 */
package org.cyclicalpruning.modelops.data;
