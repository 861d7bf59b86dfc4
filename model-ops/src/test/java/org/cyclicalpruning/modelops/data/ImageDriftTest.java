package org.cyclicalpruning.modelops.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImageDriftTest {

    @Test
    void aShiftMovesEveryPixelRightAndDownAndLetsZerosIn() {
        int side = 5;
        float[] image = new float[side * side];
        for (int i = 0; i < image.length; i++) {
            image[i] = i + 1;
        }
        float[] shifted = ImageDrift.shift(side, 2).apply(image, 1);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                float expected = x >= 2 && y >= 2 ? image[(y - 2) * side + (x - 2)] : 0f;
                assertThat(shifted[y * side + x]).as("(%s, %s)", x, y).isEqualTo(expected);
            }
        }
    }

    @Test
    void aPermutationMovesEveryPixelSomewhereAndIsTheSameForTheSameSeed() {
        float[] image = new float[784];
        for (int i = 0; i < image.length; i++) {
            image[i] = i;
        }
        float[] a = ImageDrift.permutation(784, 1).apply(image, 1);
        float[] b = ImageDrift.permutation(784, 1).apply(image, 1);
        float[] c = ImageDrift.permutation(784, 2).apply(image, 1);
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
        float[] sorted = a.clone();
        Arrays.sort(sorted);
        assertThat(sorted).containsExactly(image);
    }

    @Test
    void batchesKeepTheirLabelsAndTheTextFormParses() {
        Batch b = new Batch(new float[2 * 784], 2, 784, new int[] {3, 7}, null);
        assertThat(ImageDrift.parse("shift", 28).apply(b).labels()).containsExactly(3, 7);
        assertThat(ImageDrift.parse("shift(3)", 28).toString()).isEqualTo("shift(3)");
        assertThat(ImageDrift.parse("permute", 28).toString()).isEqualTo("permute(1)");
        assertThatThrownBy(() -> ImageDrift.parse("rotate", 28)).hasMessageContaining("expected shift");
        assertThatThrownBy(() -> ImageDrift.shift(28, 28)).hasMessageContaining("[0, 28)");
    }
}
