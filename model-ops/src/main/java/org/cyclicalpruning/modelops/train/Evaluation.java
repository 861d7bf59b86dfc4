package org.cyclicalpruning.modelops.train;

/**
 * A model's figures on a held-out set.
 *
 * @param samples rows evaluated
 * @param loss mean loss
 * @param accuracy fraction of correct predictions (NaN for regression)
 * @param mse mean squared error (NaN for classifiers)
 */
public record Evaluation(long samples, double loss, double accuracy, double mse) {}
