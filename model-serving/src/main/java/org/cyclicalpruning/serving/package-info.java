/**
 * The serving side: everything a serving system needs to follow the snapshot topic, run the
 * latest pruned model and hand it to other tools, without Flink.
 *
 * <ul>
 *   <li>{@link org.cyclicalpruning.serving.SnapshotFollower} keeps the latest snapshot of
 *       every model from the compacted topic and swaps in new versions as they are committed.
 *   <li>{@link org.cyclicalpruning.serving.ServingModel} is one model version, immutable,
 *       with a {@link org.cyclicalpruning.serving.SparsePredictor} that runs on the heap.
 *   <li>{@link org.cyclicalpruning.serving.SnapshotPredictor} runs a snapshot with DJL.
 *   <li>{@link org.cyclicalpruning.serving.NpzExport} writes a snapshot as a NumPy
 *       {@code .npz} archive.
 * </ul>
 */
package org.cyclicalpruning.serving;
