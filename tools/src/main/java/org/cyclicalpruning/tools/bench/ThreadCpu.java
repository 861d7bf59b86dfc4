package org.cyclicalpruning.tools.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time per group of threads over a span, sampled in the background so that threads which end
 * within the span (Flink's task threads end with the job) are still counted.
 */
final class ThreadCpu implements AutoCloseable {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> startCpu = new HashMap<>();
    private final Map<Long, Long> lastCpu = new HashMap<>();
    private final Map<Long, String> names = new HashMap<>();
    private final Thread sampler;
    private volatile boolean running = true;

    ThreadCpu() {
        sample(true);
        sampler = new Thread(
                () -> {
                    while (running) {
                        sample(false);
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "thread-cpu-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private synchronized void sample(boolean first) {
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu < 0) {
                continue;
            }
            if (first) {
                startCpu.put(info.getThreadId(), cpu);
            }
            lastCpu.put(info.getThreadId(), cpu);
            names.put(info.getThreadId(), group(info.getThreadName()));
        }
    }

    /** Seconds of CPU per thread group since construction, largest first. */
    synchronized Map<String, Double> secondsByGroup() {
        Map<String, Double> byGroup = new TreeMap<>();
        lastCpu.forEach(
                (id, cpu) -> byGroup.merge(names.get(id), (cpu - startCpu.getOrDefault(id, 0L)) / 1e9, Double::sum));
        Map<String, Double> sorted = new LinkedHashMap<>();
        byGroup.entrySet().stream()
                .filter(e -> e.getValue() > 0.005)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), Math.round(e.getValue() * 1000) / 1000.0));
        return sorted;
    }

    private static String group(String name) {
        String g = name.replaceAll("\\d+", "N");
        return g.length() > 70 ? g.substring(0, 70) : g;
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        sample(false);
    }
}
