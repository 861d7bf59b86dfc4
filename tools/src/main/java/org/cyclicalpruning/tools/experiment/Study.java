package org.cyclicalpruning.tools.experiment;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cyclicalpruning.modelops.mask.PruningMode;

/**
 * What lets cyclical pruning beat GMP on a stationary stream from a trained start: one setting
 * changed at a time (restart sparsity, cycle count, how sparsity is spread over layers, mask
 * interval, learning-rate restarts), every cyclical variant paired with GMP under the same change
 * where the change applies to GMP too, seed by seed.
 */
public final class Study {
    private Study() {}

    /** The study's own defaults: a model trained dense for a third of the budget, 98%, three seeds. */
    public static void defaults(ExperimentSettings.Builder b) {
        b.pretrainFraction(1.0 / 3).sparsities(List.of(0.98)).seeds(List.of(1L, 2L, 3L));
    }

    /** Returns the experiments of the study, each a variant of {@code base}. */
    public static List<Experiment> variants(Experiment base) {
        ExperimentSettings s = base.settings();
        List<String> both = List.of("gmp", "cyclical");
        List<String> cyclical = List.of("cyclical");
        List<Experiment> variants = new ArrayList<>();
        variants.add(base.withSettings(s.toBuilder().methods(both).build()));
        variants.add(variant(base, "2 cycles", cyclical, b -> b.cycles(2)));
        variants.add(variant(base, "5 cycles", cyclical, b -> b.cycles(5)));
        variants.add(variant(base, "restart 0.5", cyclical, b -> b.restartSparsity(0.5)));
        variants.add(variant(base, "lr restart", cyclical, b -> b.lrRestart(true)));
        variants.add(variant(base, "uniform layers", both, b -> b.pruningMode(PruningMode.perLayer())));
        variants.add(variant(base, "erk", both, b -> b.pruningMode(PruningMode.perLayer(PruningMode.Allocation.ERK))));
        variants.add(variant(
                base,
                "first layer denser",
                both,
                b -> b.pruningMode(PruningMode.perLayer(PruningMode.Allocation.FIRST_DENSER))));
        variants.add(variant(base, "mask every 10", both, b -> b.maskInterval(10)));
        variants.add(variant(base, "mask every 200", both, b -> b.maskInterval(200)));
        return variants;
    }

    private static Experiment variant(
            Experiment base, String label, List<String> methods, ExperimentSettings.Builder.Change change) {
        ExperimentSettings.Builder b = base.settings().toBuilder().label(label).methods(methods);
        change.apply(b);
        return base.withSettings(b.build());
    }

    /**
     * Prints cyclical minus GMP test accuracy per variant and sparsity, mean ± sd over seeds of the
     * per-seed differences; a variant that changes only cyclical pruning is paired with plain GMP.
     */
    public static void printSummary(List<RunResult> results, PrintStream out) {
        Map<String, RunResult> byKey = new LinkedHashMap<>();
        for (RunResult r : results) {
            byKey.put(r.method() + "@" + r.targetSparsity() + "#" + r.seed(), r);
        }
        out.println();
        out.println("study: cyclical minus GMP test accuracy, same start and budget, mean ± sd over seeds");
        Map<String, List<Double>> deltas = new LinkedHashMap<>();
        for (RunResult r : results) {
            if (!r.method().startsWith("cyclical")) {
                continue;
            }
            String variant = r.method().substring("cyclical".length());
            String suffix = "@" + r.targetSparsity() + "#" + r.seed();
            RunResult gmp = byKey.getOrDefault("gmp" + variant + suffix, byKey.get("gmp" + suffix));
            if (gmp != null) {
                deltas.computeIfAbsent(r.method() + "@" + r.targetSparsity(), k -> new ArrayList<>())
                        .add(r.testAccuracy() - gmp.testAccuracy());
            }
        }
        deltas.forEach((key, d) -> {
            double mean = d.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double sd = Math.sqrt(
                    d.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / Math.max(1, d.size() - 1));
            out.printf(
                    Locale.ROOT,
                    "  %-40s %+.2f ± %.2f points  %s%n",
                    key,
                    100 * mean,
                    100 * sd,
                    mean >= 0 ? "cyclical ahead" : "GMP ahead");
        });
    }
}
