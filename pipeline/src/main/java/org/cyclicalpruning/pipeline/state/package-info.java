/**
 * A model's keyed state: the Avro {@code ModelState} that checkpoints carry, and its conversion
 * from and to what training holds ({@link org.cyclicalpruning.pipeline.state.ModelStates}).
 * Depends on {@code model-ops} and the schemas, not on Flink.
 */
package org.cyclicalpruning.pipeline.state;
