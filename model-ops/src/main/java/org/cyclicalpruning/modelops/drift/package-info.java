/**
 * Drift detection on a model's own prequential signal, with no Flink and no Kafka: {@link
 * org.cyclicalpruning.modelops.drift.HoeffdingDriftDetector} (HDDM_A of Frías-Blanco et al. 2015)
 * and the immutable {@link org.cyclicalpruning.modelops.drift.DriftDetectorState} that keyed state,
 * checkpoints and snapshots carry, so that a replay detects at the same batch.
 *
 * <p>Implemented from the paper. MOA's implementation is GPL-3.0 and is not used.
 */
package org.cyclicalpruning.modelops.drift;
