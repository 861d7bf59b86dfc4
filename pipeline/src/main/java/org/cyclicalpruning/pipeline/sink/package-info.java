/**
 * Where the job writes: the exactly-once Kafka sinks of snapshots and dead letters and the Avro
 * file sink, a folder per model ({@link org.cyclicalpruning.pipeline.sink.Sinks}). Depends on
 * Flink's connectors and the schemas.
 */
package org.cyclicalpruning.pipeline.sink;
