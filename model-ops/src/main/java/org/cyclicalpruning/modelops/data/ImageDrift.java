package org.cyclicalpruning.modelops.data;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A change in how square greyscale images look, applied from some point of a stream on: the
 * drift a deployed image model meets.
 *
 * <ul>
 *   <li>{@code shift(d)}: every image moves {@code d} pixels right and {@code d} down, zeros coming
 *       in: a camera mounted a little off, a new crop. The pixels the model relied on move, so a
 *       mask frozen on them no longer covers the object, while the task and the classes stay.
 *   <li>{@code permute}: a fixed random permutation of the pixels, as in continual-learning
 *       benchmarks (permuted MNIST): every input weight must move, a harsher test that no real
 *       camera produces.
 * </ul>
 *
 * <p>Both map pixels to pixels, so byte-valued images stay byte-valued and travel as uint8.
 * Immutable.
 */
public final class ImageDrift {
    private static final Pattern SHIFT = Pattern.compile("shift(?:\\((\\d+)\\))?");
    private static final Pattern PERMUTE = Pattern.compile("permute(?:\\((\\d+)\\))?");

    private final String text;
    /** source[i] is the pixel of the original image that lands at pixel i, or -1 for zero. */
    private final int[] source;

    private ImageDrift(String text, int[] source) {
        this.text = text;
        this.source = source;
    }

    /**
     * Returns a shift of {@code side x side} images by {@code pixels} right and down.
     *
     * @param side the image's width and height
     * @param pixels how far, in [0, side)
     */
    public static ImageDrift shift(int side, int pixels) {
        checkArgument(side > 0, "image side must be positive, got %s", side);
        checkArgument(pixels >= 0 && pixels < side, "a shift must be in [0, %s), got %s", side, pixels);
        int[] source = new int[side * side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int fromX = x - pixels;
                int fromY = y - pixels;
                source[y * side + x] = fromX >= 0 && fromY >= 0 ? fromY * side + fromX : -1;
            }
        }
        return new ImageDrift("shift(" + pixels + ")", source);
    }

    /**
     * Returns a fixed random permutation of {@code pixels} pixels.
     *
     * @param pixels the image's pixel count
     * @param seed decides the permutation
     */
    public static ImageDrift permutation(int pixels, long seed) {
        checkArgument(pixels > 0, "pixel count must be positive, got %s", pixels);
        int[] source = new int[pixels];
        for (int i = 0; i < pixels; i++) {
            source[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = pixels - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = source[i];
            source[i] = source[j];
            source[j] = t;
        }
        return new ImageDrift("permute(" + seed + ")", source);
    }

    /**
     * Parses {@code shift} (6 pixels), {@code shift(N)}, {@code permute} (seed 1) or {@code
     * permute(SEED)} for images of {@code side x side} pixels.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static ImageDrift parse(String text, int side) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHIFT.matcher(t);
        if (m.matches()) {
            return shift(side, m.group(1) == null ? 6 : Integer.parseInt(m.group(1)));
        }
        m = PERMUTE.matcher(t);
        if (m.matches()) {
            return permutation(side * side, m.group(1) == null ? 1 : Long.parseLong(m.group(1)));
        }
        throw new IllegalArgumentException(
                "invalid drift '" + text + "'; expected shift, shift(PIXELS), permute or permute(SEED)");
    }

    /** Returns the pixels per image this drift applies to. */
    public int pixels() {
        return source.length;
    }

    /** Returns the drifted copy of {@code rows} images, row-major. */
    public float[] apply(float[] images, int rows) {
        checkArgument(
                images.length == (long) rows * source.length,
                "%s images of %s pixels need %s values, got %s",
                rows,
                source.length,
                (long) rows * source.length,
                images.length);
        float[] out = new float[images.length];
        int n = source.length;
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            for (int i = 0; i < n; i++) {
                out[base + i] = source[i] < 0 ? 0f : images[base + source[i]];
            }
        }
        return out;
    }

    /** Returns the batch with every image drifted, labels as they were. */
    public Batch apply(Batch batch) {
        return new Batch(
                apply(batch.features(), batch.rows()), batch.rows(), batch.dim(), batch.labels(), batch.targets());
    }

    /** Returns the dataset with every image drifted. */
    public Dataset apply(Dataset data) {
        Batch all = data.slice(0, data.rows());
        return Dataset.of(
                data.name() + " " + text, apply(all.features(), all.rows()), data.dim(), all.labels(), data.classes());
    }

    @Override
    public String toString() {
        return text;
    }
}
