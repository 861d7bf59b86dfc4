package org.cyclicalpruning.tools.experiment;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongFunction;
import me.tongfei.progressbar.ProgressBar;
import org.cyclicalpruning.modelops.data.Batch;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.data.ImageDrift;
import org.cyclicalpruning.modelops.data.Metrics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.drift.HoeffdingDriftDetector;
import org.cyclicalpruning.modelops.model.InputScaling;
import org.cyclicalpruning.modelops.model.ModelLayout;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.optim.LearningRate;
import org.cyclicalpruning.modelops.schedule.CyclicalSparsitySchedule;
import org.cyclicalpruning.modelops.schedule.DriftAwareSchedule;
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
 * budget after any dense pre-training on Fashion-MNIST (a fixed number of epochs, drifting or
 * not); on a synthetic stream, which has no end to plan for, it is one cycle period: GMP and
 * cyclical pruning then run the very same first cycle, and differ only in that cyclical pruning
 * goes on cycling. As in Zhu and Gupta's implementation, GMP's pruned weights get no gradient, so
 * its masks only shrink; {@code gmp-regrowth} lets them regrow by projected gradient descent
 * instead. Cyclical (Srinivas et al.) splits the same window into {@code cycles} cycles, each
 * ramping for {@code rampFraction} of the cycle and holding for the rest.
 *
 * <p>On a drifting dataset the test set is the one after the drift: {@code testAccuracy} is what a
 * model serves once the data have changed. Each run also reports its accuracy just before the
 * drift (on the data of then) and how many cycle ends after the drift it takes to come back within
 * one point of that.
 */
public final class Experiment {
    /** Rows of Fashion-MNIST's test set used for the curve points (the final figure uses all). */
    private static final int CURVE_EVAL_ROWS = 2000;
    /** Where synthetic test sets start: far from any training batch. */
    private static final long TEST_SAMPLE_OFFSET = 1L << 40;

    private static final int SYNTHETIC_TEST_ROWS = 4000;
    /** How close to its pre-drift accuracy a model must come back to count as recovered. */
    private static final double RECOVERY_MARGIN = 0.01;

    private final ExperimentSettings settings;
    private final Dataset fashionTrain;
    private final Dataset fashionTest;
    private final ImageDrift drift;
    private final Dataset driftedTest;
    private final InputScaling trainSetScaling;

    private Experiment(ExperimentSettings settings, Dataset fashionTrain, Dataset fashionTest) {
        this.settings = settings;
        this.fashionTrain = fashionTrain;
        this.fashionTest = fashionTest;
        this.drift = settings.dataset() == DatasetKind.FASHION_MNIST_DRIFT
                ? ImageDrift.parse(settings.drift(), FashionMnist.SIDE)
                : null;
        this.driftedTest = drift == null ? null : drift.apply(fashionTest);
        this.trainSetScaling = fashionTrain == null ? InputScaling.none() : standardizationOf(fashionTrain);
    }

    /**
     * Prepares an experiment, loading Fashion-MNIST when it is the dataset.
     *
     * @param settings what to compare
     * @return the experiment
     */
    public static Experiment prepare(ExperimentSettings settings) {
        if (settings.dataset().isFashionMnist()) {
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
        if (settings.dataset().isFashionMnist()) {
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
     * Returns the model a run trains: the one asked for, or the dataset's default.
     *
     * @throws IllegalArgumentException if the model asked for does not fit the data
     */
    private ModelSpec model(SparseTeacher teacher) {
        if (teacher == null) {
            ModelSpec model = settings.model().orElse(ModelSpec.LENET_300_100);
            checkArgument(
                    model.inputs() == FashionMnist.PIXELS
                            && model.isClassifier()
                            && model.classes() == FashionMnist.CLASSES,
                    "--model %s does not fit %s: it needs 784 inputs (28 x 28 pixels) and 10 classes",
                    model,
                    settings.dataset().text());
            return model;
        }
        ModelSpec linear = ModelSpec.linear(teacher.config().dimension());
        ModelSpec model = settings.model().orElse(linear);
        checkArgument(
                model.equals(linear),
                "--model %s does not fit %s: a sparse linear teacher is learnt by %s (its support is what is measured)",
                model,
                settings.dataset().text(),
                linear);
        return model;
    }

    /**
     * Trains and evaluates one model.
     *
     * @param method dense, gmp, gmp-regrowth or cyclical
     * @param target final sparsity (ignored for dense)
     * @param seed seeds initialisation, data order and the synthetic teacher
     * @param progress advanced by one per step, may be null
     * @return the run's figures
     */
    public RunResult run(String method, double target, long seed, ProgressBar progress) {
        long total = totalSteps();
        long pretrain = Math.round(settings.pretrainFraction() * total);
        long driftStep = settings.dataset().drifts() ? Math.round(settings.driftFraction() * total) : Long.MAX_VALUE;
        SparseTeacher teacher = teacher(seed, total);
        ModelSpec model = model(teacher);
        SparsitySchedule schedule = schedule(method, target, pretrain, total);
        TrainingConfig config = TrainingConfig.builder()
                .setModel(model)
                .setSchedule(schedule)
                .optPruningMode(settings.pruningMode())
                .optMaskUpdateInterval(settings.maskInterval())
                .optOptimizer(settings.optimizer())
                .optLearningRate(learningRate(method, pretrain, total))
                .optDevice(settings.device())
                .optSeed(seed)
                .optRegrowth(!method.equals("gmp"))
                .optInputScaling(inputScaling())
                .build();

        LongFunction<Batch> batches = batchSource(seed, teacher, driftStep);
        Dataset before = teacher == null ? fashionTest : teacher.sample(TEST_SAMPLE_OFFSET, SYNTHETIC_TEST_ROWS);
        Dataset test = driftedTest != null ? driftedTest : before;
        int[] support = teacher == null ? null : teacher.support(TEST_SAMPLE_OFFSET);
        long curveEvery = Math.max(1, total / (settings.curvePoints() - 1));
        List<Long> cycleEnds = cycleEnds(pretrain, total);

        List<RunResult.CurvePoint> curve = new ArrayList<>();
        List<Long> detections = new ArrayList<>();
        double preDrift = Double.NaN;
        int recoveredAfter = -1;
        int cycleEndsAfterDrift = 0;
        long trainNanos = 0;
        long samples = 0;
        try (SparseTrainer trainer = SparseTrainer.create(config)) {
            for (long step = 0; step < total; step++) {
                if (step == driftStep && teacher == null) {
                    preDrift = trainer.evaluate(before).accuracy();
                }
                Batch batch = batches.apply(step);
                long start = System.nanoTime();
                if (trainer.step(batch, step).driftDetected()) {
                    detections.add(step);
                }
                trainNanos += System.nanoTime() - start;
                samples += batch.rows();
                if (step % curveEvery == 0 || step == total - 1) {
                    Dataset now = step >= driftStep && driftedTest != null ? driftedTest : before;
                    double quality = support != null
                            ? Metrics.supportRecall(trainer.weights()[0], support)
                            : trainer.evaluate(now.head(CURVE_EVAL_ROWS)).accuracy();
                    curve.add(new RunResult.CurvePoint(
                            step + 1, schedule.sparsityAt(step), trainer.masks().sparsity(), quality));
                }
                if (!Double.isNaN(preDrift) && recoveredAfter < 0 && cycleEnds.contains(step + 1)) {
                    cycleEndsAfterDrift++;
                    if (trainer.evaluate(driftedTest).accuracy() >= preDrift - RECOVERY_MARGIN) {
                        recoveredAfter = cycleEndsAfterDrift;
                    }
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
                    preDrift,
                    recoveredAfter,
                    detections,
                    driftStep == Long.MAX_VALUE ? -1 : driftStep,
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

    private InputScaling inputScaling() {
        switch (settings.inputScaling()) {
            case STANDARDIZE:
                return trainSetScaling.mode() == InputScaling.Mode.NONE ? InputScaling.none() : trainSetScaling;
            case ONLINE:
                return InputScaling.online();
            default:
                return InputScaling.none();
        }
    }

    /** The training set's mean and standard deviation over all pixels, as image pipelines standardise. */
    private static InputScaling standardizationOf(Dataset train) {
        Batch all = train.slice(0, train.rows());
        double sum = 0;
        double squares = 0;
        for (float v : all.features()) {
            sum += v;
            squares += (double) v * v;
        }
        double n = all.features().length;
        double mean = sum / n;
        return InputScaling.standardize((float) mean, (float) Math.sqrt(squares / n - mean * mean));
    }

    private LearningRate learningRate(String method, long pretrain, long total) {
        if (settings.lrSchedule() == LearningRate.Kind.CONSTANT) {
            return LearningRate.constant(settings.learningRate());
        }
        return method.equals("cyclical") && settings.lrRestart()
                ? LearningRate.cosineWithRestarts(settings.learningRate(), cycleLength(pretrain, total))
                : LearningRate.cosine(settings.learningRate(), total);
    }

    private long cycleLength(long pretrain, long total) {
        return Math.max(1, (total - pretrain) / settings.cycles());
    }

    /** Steps at which the cyclical schedule's cycles end, the checkpoints of a drift's recovery for every method. */
    private List<Long> cycleEnds(long pretrain, long total) {
        List<Long> ends = new ArrayList<>();
        long length = cycleLength(pretrain, total);
        for (int c = 1; c <= settings.cycles(); c++) {
            ends.add(Math.min(total, pretrain + c * length));
        }
        if (!ends.contains(total)) {
            ends.add(total);
        }
        return ends;
    }

    private SparsitySchedule schedule(String method, double target, long pretrain, long total) {
        switch (method) {
            case "dense":
                return SparsitySchedule.constant(0.0);
            case "gmp":
            case "gmp-regrowth": {
                // A stream has no end to plan for: GMP's horizon is one cycle period, after which it
                // holds its mask for good. A dataset read for a fixed number of epochs gives GMP the
                // whole budget, as Zhu and Gupta do.
                long window = settings.dataset().isFashionMnist() ? total - pretrain : cycleLength(pretrain, total);
                return GradualSparsitySchedule.builder()
                        .setStart(pretrain)
                        .setDuration(Math.max(1, Math.round(settings.rampFraction() * window)))
                        .setFinalSparsity(target)
                        .build();
            }
            case "drift-aware":
                return driftAware(target, pretrain, total);
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

    /**
     * The drift-aware default: {@code driftAwareCycles} cycles, then the mask held until the
     * model's error rises; a detection's cycle ramps over {@code driftRamp} of the budget. On
     * Fashion-MNIST the cycles split GMP's window (one cycle by default: GMP's ramp, with
     * regrowth), on synthetic streams they are the cyclical method's first cycles.
     */
    private SparsitySchedule driftAware(double target, long pretrain, long total) {
        int cycles = settings.driftAwareCycles();
        long period = settings.dataset().isFashionMnist()
                ? Math.max(1, (total - pretrain) / cycles)
                : cycleLength(pretrain, total);
        CyclicalSparsitySchedule base = CyclicalSparsitySchedule.builder()
                .optStart(pretrain)
                .setCycleLength(period)
                .optCycles(cycles)
                .optRampFraction(settings.rampFraction())
                .optFirstSparsity(settings.firstSparsity())
                .optRestartSparsity(Math.min(settings.restartSparsity(), target))
                .setFinalSparsity(target)
                .build();
        long ramp = Math.max(1, Math.round(settings.driftRamp() * total));
        return new DriftAwareSchedule(
                base, ramp, DriftAwareSchedule.defaultCooldown(ramp), HoeffdingDriftDetector.DEFAULT_ALPHA);
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

    private LongFunction<Batch> batchSource(long seed, SparseTeacher teacher, long driftStep) {
        if (teacher != null) {
            return step -> teacher.batch(step, settings.batchSize());
        }
        Iterator<Batch> it = fashionTrain.batches(settings.batchSize(), seed, true);
        return step -> step >= driftStep ? drift.apply(it.next()) : it.next();
    }
}
