package org.cyclicalpruning.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cyclicalpruning.modelops.model.InputStandardization;
import org.cyclicalpruning.modelops.model.ModelSpec;
import org.cyclicalpruning.modelops.snapshot.ModelFiles;
import org.cyclicalpruning.modelops.snapshot.ModelSnapshots;
import org.cyclicalpruning.modelops.snapshot.TestSnapshots;
import org.cyclicalpruning.schemas.SparseModelSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot's input standardisation travels to every reader: both predictors apply it, the
 * {@code .npz} archive carries it, and a model started from a file takes it over.
 */
class InputScalingReadersTest {
    private static final ModelSpec MLP = ModelSpec.parse("mlp:20-8-3");
    private static final InputStandardization SCALE = new InputStandardization(0.3f, 0.4f);

    private static SparseModelSnapshot scaled(long version) {
        SparseModelSnapshot s = TestSnapshots.snapshot("m", version, MLP, TestSnapshots.params(MLP, 0.6, version));
        s.setInputScaling(ModelSnapshots.inputScaling(Optional.of(SCALE)));
        return s;
    }

    @Test
    void bothPredictorsStandardiseTheFeaturesFirst() {
        SparseModelSnapshot s = scaled(1);
        SparseModelSnapshot plain =
                SparseModelSnapshot.newBuilder(s).setInputScaling(null).build();
        float[] x = TestSnapshots.features(6, MLP.inputs(), 3);
        float[] expected = SparsePredictor.of(plain).predict(SCALE.apply(x), 6);
        assertThat(SparsePredictor.of(s).predict(x, 6)).containsExactly(expected);
        try (SnapshotPredictor djl = SnapshotPredictor.load(s)) {
            assertThat(djl.predict(x, 6)).containsExactly(expected, within(1e-5f));
        }
        assertThat(ModelSnapshots.inputStandardization(plain)).isEmpty();
    }

    @Test
    void aSnapshotWithAnythingButOneMeanAndOneDeviationIsRefused() {
        SparseModelSnapshot s = scaled(1);
        s.getInputScaling().setMean(List.of(0.1f, 0.2f));
        assertThatThrownBy(() -> SparsePredictor.of(s)).hasMessageContaining("needs one mean and one std");
    }

    @Test
    void npzArchivesCarryItAndModelsStartFromThemOrFromSnapshotFiles(@TempDir Path dir) throws IOException {
        SparseModelSnapshot s = scaled(2);
        float[][] params = ModelSnapshots.decodeTensors(s);
        for (NpzExport.Layout layout : NpzExport.Layout.values()) {
            Path npz = dir.resolve(layout + ".npz");
            assertThat(NpzExport.write(s, layout, npz)).contains("input_mean.npy", "input_std.npy");
            ModelFiles.Weights w = ModelFiles.read(npz, MLP);
            assertThat(w.params()).as("%s", layout).isDeepEqualTo(params);
            assertThat(w.scale()).contains(SCALE);
        }

        Path avro = dir.resolve("snapshots.avro");
        try (DataFileWriter<SparseModelSnapshot> writer =
                new DataFileWriter<>(new SpecificDatumWriter<>(SparseModelSnapshot.class))) {
            writer.create(SparseModelSnapshot.getClassSchema(), avro.toFile());
            writer.append(scaled(1));
            writer.append(s);
        }
        ModelFiles.Weights latest = ModelFiles.read(avro, MLP);
        assertThat(latest.params()).isDeepEqualTo(params);
        assertThat(latest.source()).contains("v2");
        assertThatThrownBy(() -> ModelFiles.read(avro, ModelSpec.parse("mlp:20-9-3")))
                .hasMessageContaining("not of mlp:20-9-3");
    }
}
