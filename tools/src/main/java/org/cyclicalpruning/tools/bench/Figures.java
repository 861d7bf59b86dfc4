package org.cyclicalpruning.tools.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The figures of a benchmark, as bench.json writes them. */
final class Figures {
    private Figures() {}

    /** Returns the figures in the order given. */
    @SafeVarargs
    static Map<String, Object> of(Map.Entry<String, ?>... figures) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, ?> f : figures) {
            out.put(f.getKey(), f.getValue());
        }
        return out;
    }
}
