package org.cyclicalpruning.tools.bench;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Reads the job's own metrics in a benchmark: a Flink metric reporter, registered in the
 * configuration of a job run in this JVM, that keeps the last value of every counter and gauge
 * of that name, summed over subtasks, as the job removes them at its end.
 */
final class JobMetrics {
    private static final Map<String, Long> FINAL = new ConcurrentHashMap<>();

    private JobMetrics() {}

    /** Registers the reporter in a job's Flink configuration. */
    static Configuration register(Configuration conf) {
        conf.setString("metrics.reporter.bench.factory.class", Factory.class.getName());
        return conf;
    }

    /** Forgets the values of the last job. */
    static void reset() {
        FINAL.clear();
    }

    /**
     * Returns the final value of a metric, summed over subtasks, or 0 if none was reported. A task
     * may hand its metrics over after the job has been reported finished, so this waits up to ten
     * seconds for the first value of the metric to arrive.
     */
    static long get(String name) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (!FINAL.containsKey(name) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return FINAL.getOrDefault(name, 0L);
    }

    /** Creates the reporter. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new Reporter();
        }
    }

    private static final class Reporter implements MetricReporter {
        @Override
        public void open(MetricConfig config) {}

        @Override
        public void close() {}

        @Override
        public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {}

        @Override
        public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
            Long value = null;
            if (metric instanceof Counter c) {
                value = c.getCount();
            } else if (metric instanceof Gauge<?> g && g.getValue() instanceof Number n) {
                value = n.longValue();
            }
            if (value != null) {
                FINAL.merge(name, value, Long::sum);
            }
        }
    }
}
