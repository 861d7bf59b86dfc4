/**
 * Sparse model snapshots: building them from a model's tensors, checking them against their
 * spec, and reading them from Kafka values or Avro files ({@link
 * org.cyclicalpruning.modelops.snapshot.ModelSnapshots}), for the job and for serving systems.
 *
 * <p>Depends on {@code model}, {@code snapshot.codec} and the schemas.
 */
package org.cyclicalpruning.modelops.snapshot;
