/**
 * One tensor's sparse encoding ({@link org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec}):
 * the choice among dense, bitmap, delta-varint and Elias-Fano supports, one class per encoding,
 * validating decoders, and the information-theoretic bound ({@link
 * org.cyclicalpruning.modelops.snapshot.codec.InformationBound}) the choice is measured against.
 *
 * <p>Depends on the schemas' {@code SparseTensor} and {@code util} only.
 */
package org.cyclicalpruning.modelops.snapshot.codec;
