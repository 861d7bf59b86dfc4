package org.cyclicalpruning.tools.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.cyclicalpruning.modelops.train.DeviceChoice;
import org.cyclicalpruning.tools.experiment.ExperimentSettings.DatasetKind;
import org.junit.jupiter.api.Test;

/**
 * The planted-support case: decoy features that early magnitude pruning prefers. GMP decides in
 * its first (and only) ramp and keeps a decoy for good; cyclical pruning re-decides every cycle.
 * Real DJL training on the synthetic teacher, same settings as {@code experiment --dataset synthetic}.
 */
class PlantedSupportTest {

    @Test
    void cyclicalRecoversSupportThatGmpMissesForGood() {
        Experiment experiment = Experiment.prepare(settings(DatasetKind.SYNTHETIC));

        RunResult gmp = experiment.run("gmp", 0.98, 1, null);
        RunResult cyclical = experiment.run("cyclical", 0.98, 1, null);

        assertThat(gmp.supportRecall()).isLessThan(0.9); // decoys hold slots for good
        assertThat(cyclical.supportRecall()).isEqualTo(1.0); // later cycles undo them
        assertThat(cyclical.testMse()).isLessThan(0.1 * gmp.testMse());
        assertThat(cyclical.achievedSparsity()).isEqualTo(0.98);
    }

    @Test
    void afterDriftOnlyCyclicalFindsTheNewSupport() {
        Experiment experiment = Experiment.prepare(settings(DatasetKind.SYNTHETIC_DRIFT));

        RunResult gmp = experiment.run("gmp", 0.98, 1, null);
        RunResult cyclical = experiment.run("cyclical", 0.98, 1, null);

        assertThat(gmp.supportRecall()).isLessThan(0.2);
        assertThat(cyclical.supportRecall()).isGreaterThanOrEqualTo(0.9);
        assertThat(cyclical.recoveredWeights()).isPositive();
    }

    /** The command line's defaults for synthetic streams, on one seed and the CPU. */
    private static ExperimentSettings settings(DatasetKind kind) {
        return ExperimentSettings.builder(kind)
                .dataDir(Path.of("."))
                .seeds(List.of(1L))
                .methods(List.of("gmp", "cyclical"))
                .device(DeviceChoice.CPU)
                .curvePoints(5)
                .build();
    }
}
