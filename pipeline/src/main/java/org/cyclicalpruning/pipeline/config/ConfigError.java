package org.cyclicalpruning.pipeline.config;

/** A configuration error whose message already names the key, so callers pass it on as it is. */
final class ConfigError extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ConfigError(String message) {
        super(message);
    }

    ConfigError(String message, Throwable cause) {
        super(message, cause);
    }
}
