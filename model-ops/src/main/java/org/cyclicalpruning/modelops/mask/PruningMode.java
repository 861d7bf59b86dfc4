package org.cyclicalpruning.modelops.mask;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Locale;

/**
 * Which weights compete with which when the mask is recomputed by magnitude.
 *
 * <ul>
 *   <li>{@link #global()}: one threshold over all prunable tensors; layers end up with different
 *       sparsities (wide layers, which are more redundant, are pruned harder).
 *   <li>{@link #perLayer()}: every tensor is pruned to the target on its own ("uniform"); {@link
 *       #perLayer(Allocation)} spreads the target over tensors otherwise: {@code erk}
 *       (Erdős–Rényi, as in Evci et al.'s RigL, https://arxiv.org/abs/1911.11134: a layer's density
 *       proportional to {@code (in + out) / (in * out)}, so small layers stay denser) or {@code
 *       first-denser} (the first layer, which sees the raw inputs, at twice the density of the
 *       rest). Either way the model as a whole reaches the target.
 *   <li>{@link #nOfM(int, int)}: semi-structured N:M sparsity (e.g. 2:4, which sparse tensor cores
 *       accelerate): in every group of M consecutive weights of a row at most N are kept.
 * </ul>
 *
 * @param kind the granularity
 * @param n weights kept per group (N:M only, else 0)
 * @param m group size (N:M only, else 0)
 * @param allocation how a per-layer target is spread over tensors (per layer only, else uniform)
 */
public record PruningMode(Kind kind, int n, int m, Allocation allocation) {

    /** The granularity of magnitude pruning. */
    public enum Kind {
        GLOBAL,
        PER_LAYER,
        N_OF_M
    }

    /** How per-layer pruning spreads the model's target over its tensors. */
    public enum Allocation {
        /** Every tensor at the target. */
        UNIFORM,
        /** Densities proportional to {@code (in + out) / (in * out)}. */
        ERK,
        /** The first tensor at twice the density of the others. */
        FIRST_DENSER
    }

    public PruningMode {
        checkArgument(kind != null, "pruning mode must be set");
        checkArgument(allocation != null, "allocation must be set");
        if (kind == Kind.N_OF_M) {
            checkArgument(m >= 2 && n >= 1 && n < m, "N:M pruning needs 1 <= N < M and M >= 2, got %s:%s", n, m);
        }
    }

    /** Returns global unstructured magnitude pruning (one threshold over all prunable tensors). */
    public static PruningMode global() {
        return new PruningMode(Kind.GLOBAL, 0, 0, Allocation.UNIFORM);
    }

    /** Returns unstructured magnitude pruning with the target applied to each tensor separately. */
    public static PruningMode perLayer() {
        return perLayer(Allocation.UNIFORM);
    }

    /** Returns per-tensor magnitude pruning with the model's target spread over tensors as given. */
    public static PruningMode perLayer(Allocation allocation) {
        return new PruningMode(Kind.PER_LAYER, 0, 0, allocation);
    }

    /** Returns N:M semi-structured pruning: at most {@code n} of every {@code m} consecutive weights kept. */
    public static PruningMode nOfM(int n, int m) {
        return new PruningMode(Kind.N_OF_M, n, m, Allocation.UNIFORM);
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
        if (t.equals("per-layer") || t.equals("layer") || t.equals("uniform")) {
            return perLayer();
        }
        if (t.equals("erk")) {
            return perLayer(Allocation.ERK);
        }
        if (t.equals("first-denser")) {
            return perLayer(Allocation.FIRST_DENSER);
        }
        String[] p = t.split(":");
        if (p.length == 2) {
            try {
                return nOfM(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("invalid pruning mode '" + text
                + "'; expected global, per-layer, erk, first-denser or N:M such as 2:4");
    }

    /**
     * Returns the sparsity of each tensor when the model as a whole is pruned to {@code sparsity}
     * per layer; the tensors' pruned counts add up to the model's (up to rounding).
     *
     * @param sparsity the model's target
     * @param sizes element count of each tensor
     * @param rowLengths each tensor's inputs (its rows' length)
     * @return one sparsity per tensor, each in [0, 1)
     */
    public double[] layerSparsities(double sparsity, int[] sizes, int[] rowLengths) {
        double[] out = new double[sizes.length];
        if (allocation == Allocation.UNIFORM) {
            java.util.Arrays.fill(out, sparsity);
            return out;
        }
        double[] shape = new double[sizes.length];
        for (int t = 0; t < sizes.length; t++) {
            double in = rowLengths[t];
            double outs = (double) sizes[t] / rowLengths[t];
            shape[t] = allocation == Allocation.ERK ? (in + outs) / (in * outs) : t == 0 ? 2 : 1;
        }
        // density_t = min(1, eps * shape_t), eps chosen so that the kept weights add up; tensors
        // that would be denser than dense are kept whole and eps is solved again for the rest
        double total = 0;
        for (int size : sizes) {
            total += size;
        }
        double keep = (1 - sparsity) * total;
        boolean[] dense = new boolean[sizes.length];
        for (boolean changed = true; changed; ) {
            changed = false;
            double budget = keep;
            double weighted = 0;
            for (int t = 0; t < sizes.length; t++) {
                if (dense[t]) {
                    budget -= sizes[t];
                } else {
                    weighted += shape[t] * sizes[t];
                }
            }
            double eps = weighted > 0 ? Math.max(0, budget) / weighted : 0;
            for (int t = 0; t < sizes.length; t++) {
                if (!dense[t] && eps * shape[t] >= 1) {
                    dense[t] = true;
                    changed = true;
                }
                out[t] = dense[t] ? 0 : 1 - eps * shape[t];
            }
        }
        return out;
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
                return allocation == Allocation.ERK
                        ? "erk"
                        : allocation == Allocation.FIRST_DENSER ? "first-denser" : "per-layer";
            default:
                return n + ":" + m;
        }
    }
}
