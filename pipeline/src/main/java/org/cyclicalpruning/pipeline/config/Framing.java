package org.cyclicalpruning.pipeline.config;

/** How training batches are framed on the input topic. */
public enum Framing {
    /**
     * Plain Avro binary, or a schema registry's wire format (a byte 0, then a 4-byte schema id)
     * when a registry is configured: plain Avro of a valid batch never starts with a byte 0, which
     * would be an empty model id.
     */
    AUTO,
    /** Plain Avro binary only. */
    PLAIN,
    /** A schema registry's wire format only; needs {@code schema-registry.url}. */
    CONFLUENT
}
