/**
 * Kafka for the command line and the tests: an in-JVM KRaft broker from Kafka's own test kit
 * ({@link org.cyclicalpruning.kafka.EmbeddedKafka}, and {@link
 * org.cyclicalpruning.kafka.EmbeddedKafkaExtension} for JUnit 5), and byte[] producers and
 * read_committed readers ({@link org.cyclicalpruning.kafka.Topics}).
 *
 * <p>Depends on Kafka only. Never a dependency of the job: the cluster jar does not carry it.
 */
package org.cyclicalpruning.kafka;
