package org.cyclicalpruning.pipeline.train;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.StepResult;
import org.cyclicalpruning.schemas.SparseModelSnapshot;

/**
 * Flink metrics of one model, under the group {@code model=<id>}: loss, prequential accuracy,
 * current and target sparsity, cycle, churn, recovered weights, snapshot version, rejected
 * batches, batches/s and samples/s, and for a drift-aware schedule the detections so far, the
 * detector's statistic and the event time of the last detection.
 */
final class ModelMetrics {
    private volatile double loss = Double.NaN;
    private volatile double accuracy = Double.NaN;
    private volatile double sparsity;
    private volatile double targetSparsity;
    private volatile long cycle;
    private volatile long churn;
    private volatile long recovered;
    private volatile long version;
    private volatile long rejected;
    private volatile long driftDetections;
    private volatile double driftStatistic;
    private volatile long lastDriftEventTime = Long.MIN_VALUE;
    private final SimpleCounter batches = new SimpleCounter();
    private final SimpleCounter samples = new SimpleCounter();

    /** Whether these are in Flink's registry: false beyond {@code metrics.max-models}. */
    final boolean registered;

    private ModelMetrics(boolean registered) {
        this.registered = registered;
    }

    static ModelMetrics register(MetricGroup group) {
        ModelMetrics m = new ModelMetrics(true);
        group.gauge("loss", (Gauge<Double>) () -> m.loss);
        group.gauge("prequentialAccuracy", (Gauge<Double>) () -> m.accuracy);
        group.gauge("sparsity", (Gauge<Double>) () -> m.sparsity);
        group.gauge("targetSparsity", (Gauge<Double>) () -> m.targetSparsity);
        group.gauge("cycle", (Gauge<Long>) () -> m.cycle);
        group.gauge("churn", (Gauge<Long>) () -> m.churn);
        group.gauge("recoveredWeights", (Gauge<Long>) () -> m.recovered);
        group.gauge("snapshotVersion", (Gauge<Long>) () -> m.version);
        group.gauge("rejectedBatches", (Gauge<Long>) () -> m.rejected);
        group.gauge("driftDetections", (Gauge<Long>) () -> m.driftDetections);
        group.gauge("driftStatistic", (Gauge<Double>) () -> m.driftStatistic);
        group.gauge("lastDriftEventTime", (Gauge<Long>) () -> m.lastDriftEventTime);
        group.meter("batchesPerSecond", new MeterView(m.batches));
        group.meter("samplesPerSecond", new MeterView(m.samples));
        return m;
    }

    static ModelMetrics unregistered() {
        return new ModelMetrics(false);
    }

    void stepped(StepResult r, HotModel m, SparseTrainer trainer) {
        loss = r.loss();
        if (trainer.config().model().isClassifier()) {
            accuracy = (double) r.correct() / r.samples();
        }
        targetSparsity = r.point().sparsity();
        cycle = r.point().cycle();
        if (r.maskUpdate() != null) {
            sparsity = r.maskUpdate().sparsity();
            churn = r.maskUpdate().churn();
            recovered = r.maskUpdate().recovered();
        }
        driftDetections = trainer.drift().detections();
        driftStatistic = trainer.driftStatistic();
        lastDriftEventTime = trainer.drift().lastDetectionEventTime();
        batches.inc();
        samples.inc(r.samples());
    }

    void snapshot(SparseModelSnapshot s) {
        version = s.getVersion();
    }

    void rejected() {
        rejected++;
    }
}
