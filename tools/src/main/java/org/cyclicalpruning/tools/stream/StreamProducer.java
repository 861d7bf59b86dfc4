package org.cyclicalpruning.tools.stream;

import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import me.tongfei.progressbar.ProgressBar;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.pipeline.source.TrainingBatches;

/** Writes a stream of batches to the input topic, one record per batch and model, with event times and an optional rate limit. */
public final class StreamProducer {
    private StreamProducer() {}

    /**
     * Produces {@code count} batches for every model.
     *
     * @param eventStepMillis event time between consecutive batches
     * @param ratePerSecond batches per second per model, 0 for as fast as possible
     * @param progress whether to show a progress bar
     * @param uint8Divisor if present, features go as bytes over this divisor; else as float32
     * @return records written
     */
    public static long produce(
            KafkaProducer<String, byte[]> producer,
            String topic,
            List<String> modelIds,
            Iterator<Batch> batches,
            int count,
            long startMillis,
            long eventStepMillis,
            double ratePerSecond,
            boolean progress,
            Optional<Float> uint8Divisor)
            throws Exception {
        long written = 0;
        long began = System.nanoTime();
        Future<RecordMetadata> last = null;
        try (ProgressBar bar =
                progress ? Progress.bar("produce", count).setUnit(" batches", 1).build() : null) {
            for (int i = 0; i < count; i++) {
                if (ratePerSecond > 0) {
                    long due = began + (long) (i * 1e9 / ratePerSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                Batch b = batches.next();
                long eventTime = startMillis + i * eventStepMillis;
                for (String id : modelIds) {
                    byte[] value = TrainingBatches.toBytes(
                            uint8Divisor.isEmpty()
                                    ? TrainingBatches.packed(id, i, eventTime, b)
                                    : TrainingBatches.quantized(id, i, eventTime, b, uint8Divisor.get()));
                    // the record's Kafka timestamp stays the time of writing: replayed history with old
                    // event times would otherwise fall to the topic's retention at once
                    last = producer.send(new ProducerRecord<>(topic, id, value));
                    written++;
                }
                if (bar != null) {
                    bar.step();
                }
            }
            producer.flush();
            if (last != null) {
                last.get(); // surfaces a send failure instead of exiting as if all went well
            }
        }
        return written;
    }
}
