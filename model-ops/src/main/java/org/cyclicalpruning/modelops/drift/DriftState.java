package org.cyclicalpruning.modelops.drift;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

/**
 * What a drift-aware model remembers of its detections: how many, where the last one restarted
 * the schedule, and the detector as it stands. Part of a trainer's state, so that checkpoints,
 * restores and replays detect at the same batch.
 *
 * @param detections drift detections so far
 * @param lastRestartTick the schedule tick at which the last detection started a cycle; -1 before any
 * @param lastDetectionEventTime event time of the batch that triggered the last detection, epoch ms;
 *     {@link Long#MIN_VALUE} before any
 * @param detector the detector's observations since it was last armed
 * @param reference for a regression model, the loss of the first batch the armed detector saw, by
 *     which later losses are scaled into [0, 1]; 0 while unset
 * @param maskDue whether the next step recomputes the mask at once (the first step of a cycle
 *     that a detection started)
 */
public record DriftState(
        long detections,
        long lastRestartTick,
        long lastDetectionEventTime,
        DriftDetectorState detector,
        double reference,
        boolean maskDue) {
    /** A model that has detected nothing. */
    public static final DriftState NONE = new DriftState(0, -1, Long.MIN_VALUE, DriftDetectorState.EMPTY, 0, false);

    /**
     * Checks the state, which may come from a checkpoint.
     *
     * @throws IllegalArgumentException if a field is out of range
     */
    public DriftState {
        checkArgument(detections >= 0, "detections must be >= 0, got %s", detections);
        checkArgument(
                (detections == 0) == (lastRestartTick == -1) && lastRestartTick >= -1,
                "last restart tick %s does not fit %s detections",
                lastRestartTick,
                detections);
        checkArgument(detector != null, "detector state must be set");
        checkArgument(
                Double.isFinite(reference) && reference >= 0, "reference must be finite and >= 0, got %s", reference);
    }

    /** Returns this state with the detector cleared, as it is while the mask is not held. */
    public DriftState disarmed() {
        return detector.count() == 0 && reference == 0 ? this : with(DriftDetectorState.EMPTY, 0);
    }

    /** Returns this state with another detector state and reference. */
    public DriftState with(DriftDetectorState detector, double reference) {
        return new DriftState(detections, lastRestartTick, lastDetectionEventTime, detector, reference, maskDue);
    }

    /** Returns the state after a detection at {@code tick}, triggered by a batch at {@code eventTime}. */
    public DriftState detected(long tick, long eventTime) {
        return new DriftState(detections + 1, tick, eventTime, DriftDetectorState.EMPTY, 0, true);
    }

    /** Returns this state once the mask recomputation a detection asked for has run. */
    public DriftState maskUpdated() {
        return maskDue
                ? new DriftState(detections, lastRestartTick, lastDetectionEventTime, detector, reference, false)
                : this;
    }
}
