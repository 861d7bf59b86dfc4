/**
 * The {@code experiment} command's engine: dense, GMP and cyclical pruning trained with the same
 * budget, data order and initialisation, measured on held-out data, with CSV and PNG reports. Plain
 * {@code model-ops}: no Flink, no Kafka.
 */
package org.cyclicalpruning.tools.experiment;
