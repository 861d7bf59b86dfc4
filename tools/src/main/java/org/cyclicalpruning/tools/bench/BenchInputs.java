package org.cyclicalpruning.tools.bench;

import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.cyclicalpruning.kafka.EmbeddedKafka;
import org.cyclicalpruning.kafka.Topics;

/** Writes the benchmark jobs' input topics. */
final class BenchInputs {
    private BenchInputs() {}

    /**
     * Returns a producer for a benchmark's input on the in-process broker: not idempotent, one
     * request in flight. Idempotent producers opened one after another on the in-process broker,
     * while the jobs' transactional sinks come and go beside them, were refused with
     * OutOfOrderSequenceException (the broker tracked a producer id that a later producer was
     * handed again), and the job then waited for input that never came. One request in flight
     * keeps the order idempotence would have guaranteed; nothing is retried into a duplicate on a
     * broker that does not fail.
     */
    static KafkaProducer<String, byte[]> producer(EmbeddedKafka kafka) {
        return Topics.producer(
                kafka.bootstrapServers(),
                Map.of("enable.idempotence", "false", "acks", "all", "max.in.flight.requests.per.connection", "1"));
    }
}
