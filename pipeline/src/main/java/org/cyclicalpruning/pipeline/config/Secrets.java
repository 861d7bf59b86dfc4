package org.cyclicalpruning.pipeline.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Keeps credentials out of logs and messages. */
final class Secrets {
    private Secrets() {}

    /** Returns the properties with the value of every key that names a secret hidden. */
    static Map<String, String> redacted(Map<String, String> properties) {
        Map<String, String> out = new LinkedHashMap<>();
        properties.forEach((k, v) -> out.put(k, isSecret(k) ? "[hidden]" : v));
        return out;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password")
                || k.contains("jaas")
                || k.contains("secret")
                || k.contains("key")
                || k.contains("token")
                || k.contains("credential")
                || k.contains("user.info")
                || k.contains("auth");
    }
}
