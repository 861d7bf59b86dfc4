package org.cyclicalpruning.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * One setting of the job, in the style of Flink's {@code ConfigOption}: its key, the keys it was
 * known by before, its type (a parser from YAML and a formatter back), its default and its
 * description, in one place. {@link JobOptions} holds them all; the README's table of keys is
 * tested against them.
 *
 * @param <T> the value's type; optional settings use {@link java.util.Optional}
 */
public final class JobOption<T> {
    private final String key;
    private final List<String> deprecatedKeys;
    private final ValueType<T> type;
    private final T defaultValue;
    private final String description;

    JobOption(String key, List<String> deprecatedKeys, ValueType<T> type, T defaultValue, String description) {
        this.key = key;
        this.deprecatedKeys = List.copyOf(deprecatedKeys);
        this.type = type;
        this.defaultValue = Objects.requireNonNull(defaultValue, key);
        this.description = description;
    }

    /** Returns the key, hierarchical with dots: {@code kafka.bootstrap-servers}. */
    public String key() {
        return key;
    }

    /** Returns the flat keys of earlier releases that still set this option. */
    public List<String> deprecatedKeys() {
        return deprecatedKeys;
    }

    /** Returns the default value. */
    public T defaultValue() {
        return defaultValue;
    }

    /** Returns what the option means, its unit and its range. */
    public String description() {
        return description;
    }

    /** Returns {@code value} as the YAML text that sets it ({@code none} for an empty optional). */
    public String format(T value) {
        return type.formatter().apply(value);
    }

    /** Returns the default as {@link #format} writes it. */
    public String formattedDefault() {
        return format(defaultValue);
    }

    /**
     * Reads a value from YAML.
     *
     * @param value the YAML node
     * @param where the key as written, for the message
     * @return the value
     * @throws IllegalArgumentException naming {@code where} and what is allowed
     */
    T parse(JsonNode value, String where) {
        try {
            return type.parser().parse(value);
        } catch (ConfigError e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(String.format("key '%s' %s", where, e.getMessage()), e);
        }
    }

    @Override
    public String toString() {
        return key;
    }
}
