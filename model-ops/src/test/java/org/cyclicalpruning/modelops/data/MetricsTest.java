package org.cyclicalpruning.modelops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void accuracyAndMse() {
        assertThat(Metrics.accuracy(new int[] {1, 2, 3, 4}, new int[] {1, 0, 3, 0}))
                .isEqualTo(0.5);
        assertThat(Metrics.mse(new float[] {1, 2}, new float[] {0, 4})).isCloseTo(2.5, within(1e-12));
        assertThatThrownBy(() -> Metrics.accuracy(new int[2], new int[3]))
                .hasMessageContaining("same non-zero length, got 2 and 3");
        assertThatThrownBy(() -> Metrics.mse(new float[0], new float[0])).hasMessageContaining("got 0 and 0");
    }

    @Test
    void supportRecallCountsNonZeroSupportWeights() {
        float[] w = {0f, 0.5f, 0f, -0.1f, 2f};
        assertThat(Metrics.supportRecall(w, new int[] {1, 2, 3, 0})).isEqualTo(0.5);
        assertThat(Metrics.supportRecall(w, new int[] {4})).isEqualTo(1.0);
        assertThatThrownBy(() -> Metrics.supportRecall(w, new int[] {5}))
                .hasMessageContaining("[0, weights.length = 5), got 5");
        assertThatThrownBy(() -> Metrics.supportRecall(w, new int[0])).hasMessageContaining("must not be empty");
    }

    @Test
    void argmaxPicksTheLowestIndexOfTheLargestLogit() {
        float[] logits = {0f, 3f, 3f, -1f, -2f, -0.5f};
        assertThat(Metrics.argmaxRow(logits, 0, 3)).isEqualTo(1);
        assertThat(Metrics.argmaxRow(logits, 1, 3)).isEqualTo(2);
        assertThat(Metrics.argmax(logits, 3)).containsExactly(1, 2);
        assertThat(Metrics.argmax(logits, 2)).containsExactly(1, 0, 1);
    }
}
