/**
 * What a model is: its architecture ({@link org.cyclicalpruning.modelops.model.ModelSpec}, with
 * the text grammar and the DJL block) and its parameter tensors ({@link
 * org.cyclicalpruning.modelops.model.ModelLayout}: names, shapes, which are prunable), which every
 * other part walks through.
 *
 * <p>Depends on DJL's API and the schemas' {@code ModelKind}.
 */
package org.cyclicalpruning.modelops.model;
