package org.cyclicalpruning.tools.cli;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.cyclicalpruning.modelops.data.Dataset;
import org.cyclicalpruning.modelops.data.FashionMnist;
import org.cyclicalpruning.modelops.data.ImageDrift;
import org.cyclicalpruning.modelops.data.Metrics;
import org.cyclicalpruning.modelops.data.SparseTeacher;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.serving.SparsePredictor;
import org.cyclicalpruning.tools.stream.DataOptions;

/**
 * How good a snapshot is on held-out data of the stream it was trained on, for the last column
 * of {@code demo}'s and {@code inspect}'s lines: support recall against a synthetic teacher, or
 * test accuracy on Fashion-MNIST's test set as the data are at the snapshot's last sample (shifted
 * once the stream has drifted).
 *
 * @param name the column's name
 * @param figure the figure for one snapshot, or "" where it does not apply
 */
record SnapshotQuality(String name, Function<SparseModelSnapshot, String> figure) {
    /** No figure. */
    static final SnapshotQuality NONE = new SnapshotQuality("", s -> "");

    /** Returns the figure for one snapshot, or "" where it does not apply. */
    String of(SparseModelSnapshot s) {
        return figure.apply(s);
    }

    /** Returns the figure that fits the stream {@code data} describes. */
    static SnapshotQuality of(DataOptions data) {
        Optional<SparseTeacher> teacher = data.teacher();
        if (teacher.isPresent()) {
            return supportRecall(teacher.get());
        }
        Dataset test = FashionMnist.test(data.fashionDir());
        Optional<ImageDrift> drift = data.imageDrift();
        long driftSample = data.driftBatch().map(b -> b * data.batchSize).orElse(Long.MAX_VALUE);
        return testAccuracy(test, drift.map(d -> d.apply(test)).orElse(test), driftSample);
    }

    /** The share of the teacher's support (the one in force at the snapshot's last sample) the model kept. */
    static SnapshotQuality supportRecall(SparseTeacher teacher) {
        return new SnapshotQuality("recall", s -> {
            if (!s.getSpec().getHidden().isEmpty()
                    || s.getSpec().getInputs() != teacher.config().dimension()) {
                return "";
            }
            int[] support = teacher.support(Math.max(0, s.getSamples() - 1));
            return String.format(
                    Locale.ROOT, "%.2f", Metrics.supportRecall(ModelSnapshots.decodeTensors(s)[0], support));
        });
    }

    /** Accuracy on {@code before} until the stream's sample {@code driftSample}, on {@code after} from then on. */
    static SnapshotQuality testAccuracy(Dataset before, Dataset after, long driftSample) {
        return new SnapshotQuality("test acc", s -> {
            if (s.getSpec().getInputs() != before.dim()) {
                return "";
            }
            Dataset test = s.getSamples() > driftSample ? after : before;
            return String.format(Locale.ROOT, "%.4f", accuracy(s, test));
        });
    }

    /** Returns the accuracy of a snapshot on a labelled dataset. */
    static double accuracy(SparseModelSnapshot s, Dataset test) {
        SparsePredictor predictor = SparsePredictor.of(s);
        var all = test.slice(0, test.rows());
        int[] predicted = predictor.predictClass(all.features(), all.rows());
        long correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            correct += predicted[i] == all.labels()[i] ? 1 : 0;
        }
        return (double) correct / predicted.length;
    }
}
