package org.cyclicalpruning.pipeline.config;

/** How snapshots and dead letters are framed on their topics. */
public enum SinkFraming {
    /** Plain Avro binary, which the project's readers and any reader with its schemas decode. */
    PLAIN,
    /**
     * A schema registry's wire format (a byte 0, a 4-byte schema id, then Avro binary), the
     * schemas registered under {@code <topic>-value} when the job is built; needs {@code
     * schema-registry.url}.
     */
    CONFLUENT
}
