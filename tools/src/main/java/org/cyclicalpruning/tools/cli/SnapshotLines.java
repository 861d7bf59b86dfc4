package org.cyclicalpruning.tools.cli;

import java.time.Instant;
import java.util.Locale;
import org.cyclicalpruning.modelops.snapshot.codec.InformationBound;
import org.cyclicalpruning.modelops.snapshot.codec.SparseTensorCodec;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/** One line per snapshot, as {@code demo} and {@code inspect} print them. */
final class SnapshotLines {
    static final String HEADER = String.format(
            Locale.ROOT,
            "%-18s %4s %-13s %-24s %5s %-5s %7s %8s %7s %7s %7s %9s %9s %7s",
            "model",
            "ver",
            "reason",
            "event time",
            "cycle",
            "phase",
            "step",
            "sparsity",
            "target",
            "loss",
            "acc",
            "recovered",
            "bytes",
            "quality");

    private SnapshotLines() {}

    /** Returns the header with the quality column named for {@code quality}. */
    static String header(SnapshotQuality quality) {
        return HEADER.substring(0, HEADER.length() - "quality".length()) + quality.name();
    }

    /**
     * Formats a snapshot.
     *
     * @param s the snapshot
     * @param quality the figure of the last column
     * @return the line
     */
    static String line(SparseModelSnapshot s, SnapshotQuality quality) {
        return String.format(
                Locale.ROOT,
                "%-18s %4d %-13s %-24s %5d %-5s %7d %8.4f %7.4f %7.4f %7s %9d %9d %7s",
                s.getModelId(),
                s.getVersion(),
                reason(s),
                Instant.ofEpochMilli(s.getEventTime()),
                s.getCycle(),
                s.getPhase(),
                s.getStep(),
                s.getSparsity(),
                s.getTargetSparsity(),
                s.getLoss(),
                s.getAccuracy() == null ? "-" : String.format(Locale.ROOT, "%.4f", s.getAccuracy()),
                s.getRecovered(),
                encodedBytes(s),
                quality.of(s));
    }

    /** The snapshot's reason; DRIFT_RESTART for the end of a cycle that a drift detection started. */
    static String reason(SparseModelSnapshot s) {
        return s.getDrift() != null && s.getDrift().getRestart()
                ? "DRIFT_RESTART"
                : s.getReason().toString();
    }

    static long encodedBytes(SparseModelSnapshot s) {
        long bytes = 0;
        for (SparseTensor t : s.getTensors()) {
            bytes += SparseTensorCodec.encodedBytes(t);
        }
        return bytes;
    }

    /** Per-tensor details of a snapshot. */
    static String describe(SparseModelSnapshot s) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "%s v%d: %s, schedule %s%n",
                s.getModelId(),
                s.getVersion(),
                org.cyclicalpruning.modelops.model.ModelSpec.fromAvro(s.getSpec())
                        .toText(),
                s.getSchedule()));
        for (SparseTensor t : s.getTensors()) {
            long n = SparseTensorCodec.elementCount(t.getShape());
            sb.append(String.format(
                    Locale.ROOT,
                    "  %-14s %-12s %-13s nnz %8d of %8d  %9d bytes (bound %.0f)%n",
                    t.getName(),
                    t.getShape(),
                    t.getEncoding(),
                    t.getNnz(),
                    n,
                    SparseTensorCodec.encodedBytes(t),
                    InformationBound.bytes(n, t.getNnz())));
        }
        return sb.toString();
    }
}
