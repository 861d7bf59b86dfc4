package org.cyclicalpruning.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.cyclicalpruning.pipeline.config.JobConfig;
import org.cyclicalpruning.pipeline.config.JobOption;
import org.cyclicalpruning.pipeline.config.JobOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before the job is submitted, that its three topics exist. Without the input topic the
 * Kafka source fails the job over and over until the restart attempts run out; a missing output
 * topic would be created by the broker (with {@code auto.create.topics.enable}) without compaction.
 * A broker the submitting process cannot reach is not an error here (it may be reachable from the
 * cluster only): the check is skipped with a warning.
 */
final class TopicCheck {
    private static final Logger LOG = LoggerFactory.getLogger(TopicCheck.class);
    private static final int TIMEOUT_MS = 15_000;

    private TopicCheck() {}

    /**
     * Fails if a topic of the job does not exist.
     *
     * @param config the job's configuration
     * @throws IllegalStateException naming each missing topic and the key that names it
     */
    static void requireTopics(JobConfig config) {
        Map<String, JobOption<String>> topics = new LinkedHashMap<>();
        for (JobOption<String> o :
                List.of(JobOptions.INPUT_TOPIC, JobOptions.SNAPSHOT_TOPIC, JobOptions.DEAD_LETTER_TOPIC)) {
            topics.putIfAbsent(config.get(o), o);
        }
        Properties props = new Properties();
        props.putAll(config.get(JobOptions.KAFKA_PROPERTIES));
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.get(JobOptions.BOOTSTRAP_SERVERS));
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
        List<String> missing = new ArrayList<>();
        // closed before the job starts: an admin client's thread left running would hold this job's
        // class loader in a session cluster's JobManager, where main runs, after the job has ended
        try (Admin admin = Admin.create(props)) {
            Map<String, KafkaFuture<?>> described = new LinkedHashMap<>();
            admin.describeTopics(topics.keySet()).topicNameValues().forEach(described::put);
            for (Map.Entry<String, KafkaFuture<?>> e : described.entrySet()) {
                try {
                    e.getValue().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw ex;
                    }
                    missing.add(topics.get(e.getKey()).key() + " '" + e.getKey() + "'");
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("could not check that the job's topics exist (the job starts anyway): {}", e.toString());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("topic(s) missing on " + config.get(JobOptions.BOOTSTRAP_SERVERS) + ": "
                    + String.join(", ", missing)
                    + "; create them first (the snapshot topic compacted, see the README's Topics section)");
        }
    }
}
