package org.cyclicalpruning.kafka;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One in-JVM Kafka broker for a test class, started before its first test and stopped after its
 * last, like Flink's {@code MiniClusterExtension}:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();
 * ... KAFKA.bootstrapServers() ...
 * }</pre>
 */
public final class EmbeddedKafkaExtension implements BeforeAllCallback, AfterAllCallback {
    private EmbeddedKafka kafka;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    /** Returns the broker; only between the class's first and last test. */
    public EmbeddedKafka broker() {
        if (kafka == null) {
            throw new IllegalStateException("the broker runs from beforeAll to afterAll of the test class");
        }
        return kafka;
    }

    /** Returns the broker's address. */
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }
}
