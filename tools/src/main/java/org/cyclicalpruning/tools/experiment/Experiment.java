package org.cyclicalpruning.tools.experiment;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongFunction;
import me.tongfei.progressbar.ProgressBar;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.data.Metrics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.schedule.CyclicalSparsitySchedule;
import org.cyclicalpruning.modelops.schedule.GradualSparsitySchedule;
import org.cyclicalpruning.modelops.schedule.SparsitySchedule;
import org.cyclicalpruning.modelops.train.Evaluation;
import org.cyclicalpruning.modelops.train.SparseTrainer;
import org.cyclicalpruning.modelops.train.TrainingConfig;
import org.cyclicalpruning.tools.experiment.ExperimentSettings.DatasetKind;

/**
 * Trains dense, GMP and cyclical models with the same budget, data order and initialisation,
 * and measures them on held-out data.
 *
 * <p>Schedules are clocked in batches. GMP (Zhu and Gupta) ramps from 0 to the target over {@code
 * rampFraction} of its pruning window and then fine-tunes with the mask frozen. The window is the
 * budget after any dense pre-training on Fashion-MNIST (a fixed number of epochs); on a synthetic
 * stream, which has no end to plan for, it is one cycle period: GMP and cyclical pruning then run
 * the very same first cycle, and differ only in that cyclical pruning goes on cycling; as in Zhu and Gupta's
 * implementation, pruned weights get no gradient, so its masks only shrink (a study variant lets
 * them regrow by projected gradient descent instead). Cyclical (Srinivas et
 * al.) splits the same window into {@code cycles} cycles, each ramping for {@code rampFraction}
 * of the cycle and holding for the rest.
 */
public final class Experiment {
    /** Rows of Fashion-MNIST's test set used for the curve points (the final figure uses all). */
    private static final int CURVE_EVAL_ROWS = 2000;
    /** Where synthetic test sets start: far from any training batch. */
    private static final long TEST_SAMPLE_OFFSET = 1L << 40;

    private static final int SYNTHETIC_TEST_ROWS = 4000;

    private final ExperimentSettings settings;
    private final Dataset fashionTrain;
    private final Dataset fashionTest;

    private Experiment(ExperimentSettings settings, Dataset fashionTrain, Dataset fashionTest) {
        this.settings = settings;
        this.fashionTrain = fashionTrain;
        this.fashionTest = fashionTest;
    }

    /**
     * Prepares an experiment, loading Fashion-MNIST when it is the dataset.
     *
     * @param settings what to compare
     * @return the experiment
     */
    public static Experiment prepare(ExperimentSettings settings) {
        if (settings.dataset() == DatasetKind.FASHION_MNIST) {
            return new Experiment(
                    settings, FashionMnist.train(settings.dataDir()), FashionMnist.test(settings.dataDir()));
        }
        return new Experiment(settings, null, null);
    }

    /** Returns another experiment over the same loaded data with other settings (for studies). */
    public Experiment withSettings(ExperimentSettings other) {
        return new Experiment(other, fashionTrain, fashionTest);
    }

    /** Returns the settings. */
    public ExperimentSettings settings() {
        return settings;
    }

    /** Returns the number of training steps of each run. */
    public long totalSteps() {
        if (settings.dataset() == DatasetKind.FASHION_MNIST) {
            long perEpoch = (fashionTrain.rows() + settings.batchSize() - 1) / settings.batchSize();
            return perEpoch * settings.epochs();
        }
        return settings.streamSteps();
    }

    /** Returns the number of runs {@link #runAll} makes. */
    public int runCount() {
        int perSeed = 0;
        for (String m : settings.methods()) {
            perSeed += m.equals("dense") ? 1 : settings.sparsities().size();
        }
        return perSeed * settings.seeds().size();
    }

    /**
     * Runs every method at every sparsity for every seed.
     *
     * @param progress advanced by one per training step
     * @return one result per run
     */
    public List<RunResult> runAll(ProgressBar progress) {
        List<RunResult> results = new ArrayList<>();
        for (long seed : settings.seeds()) {
            for (String method : settings.methods()) {
                if (method.equals("dense")) {
                    results.add(run(method, 0.0, seed, progress));
                } else {
                    for (double s : settings.sparsities()) {
                        results.add(run(method, s, seed, progress));
                    }
                }
            }
        }
        return results;
    }

    /**
     * Trains and evaluates one model.
     *
     * @param method dense, gmp or cyclical
     * @param target final sparsity (ignored for dense)
     * @param seed seeds initialisation, data order and the synthetic teacher
     * @param progress advanced by one per step, may be null
     * @return the run's figures
     */
    public RunResult run(String method, double target, long seed, ProgressBar progress) {
        long total = totalSteps();
        long pretrain = Math.round(settings.pretrainFraction() * total);
        SparseTeacher teacher = teacher(seed, total);
        ModelSpec model = teacher == null
                ? ModelSpec.LENET_300_100
                : ModelSpec.linear(teacher.config().dimension());
        SparsitySchedule schedule = schedule(method, target, pretrain, total);
        LearningRate lr = settings.lrSchedule() == LearningRate.Kind.CONSTANT
                ? LearningRate.constant(settings.learningRate())
                : method.equals("cyclical") && settings.lrRestart()
                        ? LearningRate.cosineWithRestarts(settings.learningRate(), cycleLength(pretrain, total))
                        : LearningRate.cosine(settings.learningRate(), total);
        TrainingConfig config = TrainingConfig.builder()
                .setModel(model)
                .setSchedule(schedule)
                .optPruningMode(settings.pruningMode())
                .optMaskUpdateInterval(settings.maskInterval())
                .optOptimizer(settings.optimizer())
                .optLearningRate(lr)
                .optDevice(settings.device())
                .optSeed(seed)
                .optRegrowth(!method.equals("gmp") || settings.gmpRegrowth())
                .build();

        LongFunction<Batch> batches = batchSource(seed, teacher);
        Dataset test = teacher == null ? fashionTest : teacher.sample(TEST_SAMPLE_OFFSET, SYNTHETIC_TEST_ROWS);
        Dataset curveTest = teacher == null ? fashionTest.head(CURVE_EVAL_ROWS) : test;
        int[] support = teacher == null ? null : teacher.support(TEST_SAMPLE_OFFSET);
        long curveEvery = Math.max(1, total / (settings.curvePoints() - 1));

        List<RunResult.CurvePoint> curve = new ArrayList<>();
        long trainNanos = 0;
        long samples = 0;
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            for (long step = 0; step < total; step++) {
                Batch batch = batches.apply(step);
                long start = System.nanoTime();
                trainer.step(batch, step);
                trainNanos += System.nanoTime() - start;
                samples += batch.rows();
                if (step % curveEvery == 0 || step == total - 1) {
                    double quality = support != null
                            ? Metrics.supportRecall(trainer.weights()[0], support)
                            : trainer.evaluate(curveTest).accuracy();
                    curve.add(new RunResult.CurvePoint(
                            step + 1, schedule.sparsityAt(step), trainer.masks().sparsity(), quality));
                }
                if (progress != null) {
                    progress.step();
                }
            }
            Evaluation eval = trainer.evaluate(test);
            float[][] weights = trainer.weights();
            double recall = support == null ? Double.NaN : Metrics.supportRecall(weights[0], support);
            return new RunResult(
                    label(method),
                    method.equals("dense") ? 0.0 : target,
                    seed,
                    achievedSparsity(model.layout(), weights),
                    eval.accuracy(),
                    eval.mse(),
                    recall,
                    trainer.masks().recoveredCount(),
                    samples / (trainNanos / 1e9),
                    curve);
        }
    }

    // ------------- private helpers --------------

    private String label(String method) {
        return settings.label().isEmpty() || method.equals("dense") ? method : method + "[" + settings.label() + "]";
    }

    /** Counts zeros in the prunable tensors themselves, so the figure is what a snapshot ships. */
    private static double achievedSparsity(ModelLayout layout, float[][] w) {
        long zeros = 0;
        long n = 0;
        for (int p : layout.prunable()) {
            for (float v : w[p]) {
                if (v == 0f) {
                    zeros++;
                }
            }
            n += w[p].length;
        }
        return (double) zeros / n;
    }

    private long cycleLength(long pretrain, long total) {
        return Math.max(1, (total - pretrain) / settings.cycles());
    }

    private SparsitySchedule schedule(String method, double target, long pretrain, long total) {
        switch (method) {
            case "dense":
                return SparsitySchedule.constant(0.0);
            case "gmp": {
                // A stream has no end to plan for: GMP's horizon is one cycle period, after which it
                // holds its mask for good. A dataset read for a fixed number of epochs gives GMP the
                // whole budget, as Zhu and Gupta do.
                long window = settings.dataset() == DatasetKind.FASHION_MNIST
                        ? total - pretrain
                        : cycleLength(pretrain, total);
                return GradualSparsitySchedule.builder()
                        .setStart(pretrain)
                        .setDuration(Math.max(1, Math.round(settings.rampFraction() * window)))
                        .setFinalSparsity(target)
                        .build();
            }
            default:
                return CyclicalSparsitySchedule.builder()
                        .optStart(pretrain)
                        .setCycleLength(cycleLength(pretrain, total))
                        .optCycles(settings.cycles())
                        .optRampFraction(settings.rampFraction())
                        .optFirstSparsity(settings.firstSparsity())
                        .optRestartSparsity(Math.min(settings.restartSparsity(), target))
                        .setFinalSparsity(target)
                        .build();
        }
    }

    private SparseTeacher teacher(long seed, long total) {
        switch (settings.dataset()) {
            case SYNTHETIC:
                return new SparseTeacher(
                        SparseTeacher.Config.defaults().withSeed(seed).withCorrelation(settings.correlation()));
            case SYNTHETIC_DRIFT: {
                long driftAt = Math.round(settings.driftFraction() * total) * settings.batchSize();
                return new SparseTeacher(SparseTeacher.Config.defaults()
                        .withSeed(seed)
                        .withCorrelation(settings.correlation())
                        .withDriftAtSample(driftAt));
            }
            default:
                return null;
        }
    }

    private LongFunction<Batch> batchSource(long seed, SparseTeacher teacher) {
        if (teacher != null) {
            return step -> teacher.batch(step, settings.batchSize());
        }
        Iterator<Batch> it = fashionTrain.batches(settings.batchSize(), seed, true);
        return step -> it.next();
    }
}
