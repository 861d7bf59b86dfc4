/**
 * Every decoded batch checked against its model and the limits before it trains ({@link
 * org.cyclicalpruning.pipeline.validate.BatchValidator}); good ones unpacked ({@link
 * org.cyclicalpruning.pipeline.validate.ValidBatch}), bad ones to the dead-letter side output with
 * a reason ({@link org.cyclicalpruning.pipeline.validate.DeadLetters}). Depends on {@code config}
 * and {@code source}.
 */
package org.cyclicalpruning.pipeline.validate;
