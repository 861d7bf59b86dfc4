package org.cyclicalpruning.serving;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.List;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.cyclicalpruning.schemas.SparseTensor;

/** Checks shared by the predictors: a snapshot's tensors against its spec, inputs against a model. */
final class SnapshotChecks {
    private SnapshotChecks() {}

    /**
     * Checks names and shapes of every tensor against the spec: weights (out, in), biases (out),
     * as DJL's Linear stores them. ModelSnapshots.decodeTensors checks names only, and a tensor of
     * the right size but the wrong shape would silently transpose a layer.
     */
    static ModelSpec checkedSpec(SparseModelSnapshot snapshot) {
        checkArgument(snapshot != null, "snapshot must not be null");
        ModelSpec spec = ModelSpec.fromAvro(snapshot.getSpec());
        List<String> names = spec.tensorNames();
        List<SparseTensor> tensors = snapshot.getTensors();
        String model = snapshot.getModelId() + " v" + snapshot.getVersion();
        checkArgument(
                tensors != null && tensors.size() == names.size(),
                "snapshot of %s has %s tensors, its spec %s needs %s",
                model,
                tensors == null ? 0 : tensors.size(),
                spec,
                names.size());
        int[] widths = spec.layerWidths();
        for (int p = 0; p < names.size(); p++) {
            SparseTensor t = tensors.get(p);
            checkArgument(
                    names.get(p).equals(t.getName()),
                    "tensor %s of %s is '%s', expected '%s'",
                    p,
                    model,
                    t.getName(),
                    names.get(p));
            int layer = p / 2;
            List<Integer> expected =
                    p % 2 == 0 ? List.of(widths[layer + 1], widths[layer]) : List.of(widths[layer + 1]);
            checkArgument(
                    expected.equals(t.getShape()),
                    "tensor '%s' of %s has shape %s, %s needs %s",
                    t.getName(),
                    model,
                    t.getShape(),
                    spec,
                    expected);
        }
        return spec;
    }

    /** Checks that {@code features} holds {@code rows} examples of {@code spec}. */
    static void checkFeatures(ModelSpec spec, float[] features, int rows) {
        checkArgument(features != null, "features must not be null");
        checkArgument(rows > 0, "rows must be positive, got %s", rows);
        checkArgument(
                (long) rows * spec.inputs() == features.length,
                "%s rows of %s take %s features, got %s",
                rows,
                spec,
                (long) rows * spec.inputs(),
                features.length);
    }
}
