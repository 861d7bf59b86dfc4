package org.cyclicalpruning.modelops.mask;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Locale;

/**
 * Which weights compete with which when the mask is recomputed by magnitude.
 *
 * <ul>
 *   <li>{@link #global()}: one threshold over all prunable tensors; layers end up with different
 *       sparsities (wide layers, which are more redundant, are pruned harder).
 *   <li>{@link #perLayer()}: every tensor is pruned to the target on its own.
 *   <li>{@link #nOfM(int, int)}: semi-structured N:M sparsity (e.g. 2:4, which sparse tensor cores
 *       accelerate): in every group of M consecutive weights of a row at most N are kept.
 * </ul>
 *
 * @param kind the granularity
 * @param n weights kept per group (N:M only, else 0)
 * @param m group size (N:M only, else 0)
 */
public record PruningMode(Kind kind, int n, int m) {

    /** The granularity of magnitude pruning. */
    public enum Kind {
        GLOBAL,
        PER_LAYER,
        N_OF_M
    }

    public PruningMode {
        checkArgument(kind != null, "pruning mode must be set");
        if (kind == Kind.N_OF_M) {
            checkArgument(m >= 2 && n >= 1 && n < m, "N:M pruning needs 1 <= N < M and M >= 2, got %s:%s", n, m);
        }
    }

    /** Returns global unstructured magnitude pruning (one threshold over all prunable tensors). */
    public static PruningMode global() {
        return new PruningMode(Kind.GLOBAL, 0, 0);
    }

    /** Returns unstructured magnitude pruning with the target applied to each tensor separately. */
    public static PruningMode perLayer() {
        return new PruningMode(Kind.PER_LAYER, 0, 0);
    }

    /** Returns N:M semi-structured pruning: at most {@code n} of every {@code m} consecutive weights kept. */
    public static PruningMode nOfM(int n, int m) {
        return new PruningMode(Kind.N_OF_M, n, m);
    }

    /**
     * Parses {@code global}, {@code per-layer} or {@code N:M} (e.g. {@code 2:4}).
     *
     * @param text the mode
     * @return the pruning mode
     */
    public static PruningMode parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("global")) {
            return global();
        }
        if (t.equals("per-layer") || t.equals("layer")) {
            return perLayer();
        }
        String[] p = t.split(":");
        if (p.length == 2) {
            try {
                return nOfM(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException(
                "invalid pruning mode '" + text + "'; expected global, per-layer or N:M such as 2:4");
    }

    /** Returns the highest sparsity this mode can reach: {@code 1 - N/M} for N:M, else 1. */
    public double maxSparsity() {
        return kind == Kind.N_OF_M ? 1.0 - (double) n / m : 1.0;
    }

    @Override
    public String toString() {
        switch (kind) {
            case GLOBAL:
                return "global";
            case PER_LAYER:
                return "per-layer";
            default:
                return n + ":" + m;
        }
    }
}
