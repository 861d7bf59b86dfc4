/**
 * The streams the command line produces into Kafka: dataset options shared by {@code produce},
 * {@code demo} and {@code bench} ({@link org.cyclicalpruning.tools.stream.DataOptions}) and the
 * rate-limited producer ({@link org.cyclicalpruning.tools.stream.StreamProducer}).
 */
package org.cyclicalpruning.tools.stream;
