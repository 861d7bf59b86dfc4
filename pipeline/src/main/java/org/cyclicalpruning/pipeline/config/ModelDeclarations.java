package org.cyclicalpruning.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.cyclicalpruning.schemas.ModelDeclaration;
import org.cyclicalpruning.schemas.OptimizerDeclaration;
import org.cyclicalpruning.schemas.OptimizerKind;

/**
 * Reads model declarations from YAML. A key left out takes the default of the Avro schema
 * ({@code ModelDeclaration.avsc}), which is also {@code TrainingConfig}'s: one set of defaults
 * for the job, the control records and the library.
 */
final class ModelDeclarations {
    /** The keys of a declaration, as the README lists them. */
    static final Set<String> KEYS = new LinkedHashSet<>(List.of(
            "id",
            "spec",
            "schedule",
            "pruning",
            "mask-interval",
            "regrowth",
            "optimizer",
            "learning-rate",
            "momentum",
            "weight-decay",
            "seed",
            "input-scaling",
            "initial-weights"));

    private ModelDeclarations() {}

    static List<ModelDeclaration> list(String where, JsonNode value) {
        List<ModelDeclaration> out = new ArrayList<>();
        if (ValueType.isNone(value)) {
            return out;
        }
        if (!value.isArray()) {
            throw new ConfigError(
                    String.format("key '%s' must be a list of models, got %s", where, value.getNodeType()));
        }
        Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < value.size(); i++) {
            ModelDeclaration d = declaration(where + "[" + i + "]", value.get(i), true);
            if (!ids.add(d.getModelId())) {
                throw new ConfigError(
                        String.format("%s[%s]: model id '%s' is declared twice", where, i, d.getModelId()));
            }
            out.add(d);
        }
        return out;
    }

    /**
     * Reads one declaration; {@code where} (e.g. {@code models[0]}) prefixes every message.
     *
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    static ModelDeclaration declaration(String where, JsonNode node, boolean needId) {
        if (!node.isObject()) {
            throw new ConfigError(
                    String.format("%s must be a mapping of model keys, got %s", where, node.getNodeType()));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key) || (!needId && key.equals("id"))) {
                throw new ConfigError(
                        String.format("unknown key '%s' in %s; known keys: %s", key, where, new TreeSet<>(KEYS)));
            }
        }
        ModelDeclaration.Builder d = ModelDeclaration.newBuilder()
                .setModelId(needId ? required(node, where, "id") : "default")
                .setSpec(required(node, where, "spec"))
                .setSchedule(required(node, where, "schedule"));
        if (node.hasNonNull("pruning")) {
            d.setPruning(text(node, where, "pruning"));
        }
        if (node.hasNonNull("mask-interval")) {
            d.setMaskInterval((int) (long) read(
                    where,
                    "mask-interval",
                    () -> ValueType.whole(node.get("mask-interval"), 1, Integer.MAX_VALUE, "a positive whole number")));
        }
        if (node.hasNonNull("regrowth")) {
            String v = text(node, where, "regrowth");
            if (!v.equals("true") && !v.equals("false")) {
                throw new ConfigError(String.format("key '%s.regrowth' must be true or false, got '%s'", where, v));
            }
            d.setRegrowth(Boolean.parseBoolean(v));
        }
        OptimizerDeclaration.Builder o = OptimizerDeclaration.newBuilder();
        OptimizerKind kind = OptimizerKind.SGD;
        if (node.hasNonNull("optimizer")) {
            String v = text(node, where, "optimizer");
            try {
                kind = OptimizerKind.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigError(String.format("%s.optimizer must be sgd or adam, got '%s'", where, v), e);
            }
        }
        o.setKind(kind);
        if (node.hasNonNull("learning-rate")) {
            o.setLearningRate(number(node, where, "learning-rate"));
        }
        if (node.hasNonNull("momentum")) {
            o.setMomentum(number(node, where, "momentum"));
        } else if (kind != OptimizerKind.SGD) {
            o.setMomentum(0.0); // Adam has no momentum term of its own
        }
        if (node.hasNonNull("weight-decay")) {
            o.setWeightDecay(number(node, where, "weight-decay"));
        }
        d.setOptimizer(o.build());
        if (node.hasNonNull("seed")) {
            d.setSeed(read(
                    where,
                    "seed",
                    () -> ValueType.whole(node.get("seed"), Long.MIN_VALUE, Long.MAX_VALUE, "a whole number")));
        }
        if (node.hasNonNull("initial-weights")) {
            d.setInitialWeights(text(node, where, "initial-weights"));
        }
        if (node.hasNonNull("input-scaling")) {
            d.setInputScaling(text(node, where, "input-scaling"));
        }
        ModelDeclaration declaration = d.build();
        ModelDefinition.of(declaration, where); // fails naming the field if the strings do not parse
        return declaration;
    }

    private static String required(JsonNode node, String where, String key) {
        if (!node.hasNonNull(key) || text(node, where, key).isBlank()) {
            throw new ConfigError(String.format("key '%s.%s' is required", where, key));
        }
        return text(node, where, key);
    }

    private static String text(JsonNode node, String where, String key) {
        return read(where, key, () -> ValueType.scalar(node.get(key)));
    }

    private static double number(JsonNode node, String where, String key) {
        String v = text(node, where, key);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new ConfigError(String.format("key '%s.%s' must be a number, got '%s'", where, key, v));
        }
    }

    private interface Read<T> {
        T get();
    }

    private static <T> T read(String where, String key, Read<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigError(String.format("key '%s.%s' %s", where, key, e.getMessage()), e);
        }
    }
}
