package org.cyclicalpruning.pipeline.validate;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.cyclicalpruning.pipeline.source.Received;
import org.cyclicalpruning.schemas.DeadLetter;
import org.cyclicalpruning.schemas.DeadLetterCause;

/**
 * Sends the batches the source accepted on to training and the records it rejected to {@link
 * DeadLetters#TAG}, counting them per cause in the metric group {@value #METRIC_GROUP} (one
 * counter per cause, such as {@code deadLetters.BAD_HEADER}), which the training operator's
 * rejections join.
 */
public final class DeadLetterRouter extends ProcessFunction<Received, ValidBatch> {
    private static final long serialVersionUID = 1L;

    /** The metric group of the dead-letter counters, one per cause. */
    public static final String METRIC_GROUP = "deadLetters";

    private transient DeadLetterCounters counters;

    @Override
    public void open(OpenContext context) {
        counters = new DeadLetterCounters(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void processElement(Received r, Context ctx, Collector<ValidBatch> out) {
        if (r.batch != null) {
            out.collect(r.batch);
            return;
        }
        DeadLetter letter = DeadLetters.of(r.topic, r.partition, r.offset, r.modelId, r.failure, r.message, r.raw);
        counters.count(r.failure);
        ctx.output(DeadLetters.TAG, letter);
    }

    /** Counters of dead letters per cause, registered on first use. */
    public static final class DeadLetterCounters {
        private final MetricGroup group;
        private final Map<DeadLetterCause, Counter> byCause = new EnumMap<>(DeadLetterCause.class);

        /** @param parent the operator's metric group; the counters go in its {@value DeadLetterRouter#METRIC_GROUP} group */
        public DeadLetterCounters(MetricGroup parent) {
            this.group = parent.addGroup(METRIC_GROUP);
        }

        /** Counts one dead letter of this cause. */
        public void count(DeadLetterCause cause) {
            byCause.computeIfAbsent(cause, c -> group.counter(c.name())).inc();
        }
    }
}
