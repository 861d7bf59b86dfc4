/**
 * The {@code bench} command: whole-system benchmarks (pruning overhead, training efficiency,
 * snapshots, checkpoints, many models, the job against a bare loop, a native-memory soak), every
 * contender in alternating rounds; the job's own figures are read from its Flink metrics ({@link
 * org.cyclicalpruning.tools.bench.JobMetrics}). Depends on every module but {@code cli}.
 */
package org.cyclicalpruning.tools.bench;
