package org.cyclicalpruning.pipeline;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.cyclicalpruning.kafka.EmbeddedKafkaExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the job's integration tests in this JVM run on: a Flink MiniCluster of one TaskManager with
 * two slots (its {@code @InjectMiniCluster} parameters included) and an in-JVM Kafka broker, each
 * started before a test class's first test and stopped after its last.
 */
abstract class KafkaJobTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
}
