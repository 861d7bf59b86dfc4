package org.cyclicalpruning.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.cyclicalpruning.modelops.util.Durations;
import org.cyclicalpruning.schemas.ModelDeclaration;

/**
 * The type of a {@link JobOption}: how its value is read from YAML, checked, and written back as
 * the YAML text that sets it. The readers throw {@link IllegalArgumentException}s that name the
 * problem but not the key, which {@link JobOption} adds.
 *
 * @param parser reads a YAML value
 * @param formatter writes a value as YAML text
 * @param <T> the value's type
 */
record ValueType<T>(Parser<T> parser, Function<T, String> formatter) {
    /** Turns a YAML value into the option's type, or throws naming the problem (not the key). */
    @FunctionalInterface
    interface Parser<T> {
        T parse(JsonNode value);
    }

    static final ValueType<String> STRING = new ValueType<>(ValueType::nonEmpty, s -> s);

    static final ValueType<Optional<String>> OPTIONAL_STRING =
            new ValueType<>(v -> isNone(v) ? Optional.empty() : Optional.of(nonEmpty(v)), o -> o.orElse("none"));

    static final ValueType<Boolean> BOOLEAN = new ValueType<>(ValueType::bool, String::valueOf);

    static final ValueType<Integer> POSITIVE_INT =
            new ValueType<>(v -> (int) whole(v, 1, Integer.MAX_VALUE, "a positive whole number"), String::valueOf);

    static final ValueType<Optional<Integer>> OPTIONAL_POSITIVE_INT = new ValueType<>(
            v -> isNone(v)
                    ? Optional.empty()
                    : Optional.of((int) whole(v, 1, Integer.MAX_VALUE, "a positive whole number")),
            o -> o.map(String::valueOf).orElse("none"));

    static final ValueType<Integer> NON_NEGATIVE_INT =
            new ValueType<>(v -> (int) whole(v, 0, Integer.MAX_VALUE, "a whole number >= 0"), String::valueOf);

    static final ValueType<Long> POSITIVE_LONG =
            new ValueType<>(v -> whole(v, 1, Long.MAX_VALUE, "a positive whole number"), String::valueOf);

    static final ValueType<Optional<Long>> OPTIONAL_POSITIVE_LONG = new ValueType<>(
            v -> isNone(v) ? Optional.empty() : Optional.of(whole(v, 1, Long.MAX_VALUE, "a positive whole number")),
            o -> o.map(String::valueOf).orElse("none"));

    static final ValueType<Double> POSITIVE_DOUBLE = new ValueType<>(
            ValueType::positiveFinite,
            d -> d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf(d.longValue()) : String.valueOf(d));

    static final ValueType<Duration> POSITIVE_DURATION = new ValueType<>(v -> durationOf(v, true), Durations::format);

    static final ValueType<Duration> NON_NEGATIVE_DURATION =
            new ValueType<>(v -> durationOf(v, false), Durations::format);

    static final ValueType<Optional<Duration>> OPTIONAL_DURATION = new ValueType<>(
            v -> isNone(v) ? Optional.empty() : Optional.of(durationOf(v, true)),
            o -> o.map(Durations::format).orElse("none"));

    /** Kafka client properties, whose secrets are never printed. */
    static final ValueType<Map<String, String>> PROPERTIES = new ValueType<>(
            ValueType::properties, m -> m.isEmpty() ? "{}" : Secrets.redacted(m).toString());

    static final ValueType<List<ModelDeclaration>> MODELS = new ValueType<>(
            value -> ModelDeclarations.list("models", value), list -> list.isEmpty() ? "[]" : list.size() + " models");

    /** A declaration without an id, or none. */
    static final ValueType<Optional<ModelDeclaration>> DEFAULT_MODEL = new ValueType<>(
            value -> isNone(value)
                    ? Optional.empty()
                    : Optional.of(ModelDeclarations.declaration("default-model", value, false)),
            d -> d.isEmpty() ? "none" : "a model");

    /** Returns the type of an enum's constants, written in lower case and read in any case. */
    static <E extends Enum<E>> ValueType<E> enumOf(Class<E> type) {
        Function<E, String> text = e -> e.name().toLowerCase(Locale.ROOT);
        return new ValueType<>(
                v -> {
                    String t = scalar(v);
                    for (E e : type.getEnumConstants()) {
                        if (text.apply(e).equals(t.toLowerCase(Locale.ROOT))) {
                            return e;
                        }
                    }
                    throw new IllegalArgumentException("must be one of "
                            + Arrays.stream(type.getEnumConstants()).map(text).toList() + ", got '" + t + "'");
                },
                text);
    }

    // ------------- value readers --------------

    static boolean isNone(JsonNode v) {
        return v == null
                || v.isNull()
                || (v.isValueNode() && (v.asText().isBlank() || v.asText().equals("none")));
    }

    static String scalar(JsonNode v) {
        if (v == null || v.isNull() || !v.isValueNode()) {
            throw new IllegalArgumentException(
                    "must be a single value, got " + (v == null ? "nothing" : v.getNodeType()));
        }
        return v.asText().trim();
    }

    private static String nonEmpty(JsonNode v) {
        String t = scalar(v);
        if (t.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        return t;
    }

    private static boolean bool(JsonNode v) {
        String t = scalar(v);
        if (!t.equals("true") && !t.equals("false")) {
            throw new IllegalArgumentException("must be true or false, got '" + t + "'");
        }
        return Boolean.parseBoolean(t);
    }

    private static double positiveFinite(JsonNode v) {
        String t = scalar(v);
        double d;
        try {
            d = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a positive number, got '" + t + "'");
        }
        if (!(d > 0) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("must be a positive finite number, got " + t);
        }
        return d;
    }

    static long whole(JsonNode v, long min, long max, String what) {
        String t = scalar(v);
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be " + what + ", got '" + t + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be " + what + ", got " + n);
        }
        return n;
    }

    private static Duration durationOf(JsonNode v, boolean positive) {
        Duration d;
        try {
            d = Durations.parse(scalar(v));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "must be a duration such as " + Durations.FORMS + ", got '" + scalar(v) + "'", e);
        }
        if (d.isNegative() || (positive && d.isZero())) {
            throw new IllegalArgumentException("must be " + (positive ? "positive" : ">= 0") + ", got " + scalar(v));
        }
        return d;
    }

    private static Map<String, String> properties(JsonNode v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (isNone(v)) {
            return out;
        }
        if (!v.isObject()) {
            throw new IllegalArgumentException("must be a mapping of Kafka client properties");
        }
        v.fields().forEachRemaining(f -> {
            if (!f.getValue().isValueNode()) {
                throw new IllegalArgumentException("." + f.getKey() + " must be a single value");
            }
            out.put(f.getKey(), f.getValue().asText());
        });
        return out;
    }
}
