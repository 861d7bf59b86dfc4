package org.cyclicalpruning.pipeline.config;

/** Where the source starts reading the input topic when the job has no checkpoint to resume from. */
public enum StartingOffsets {
    /** The beginning of every partition. */
    EARLIEST,
    /** The end of every partition: only records written from now on. */
    LATEST,
    /** The consumer group's committed offsets, else the beginning. */
    COMMITTED
}
