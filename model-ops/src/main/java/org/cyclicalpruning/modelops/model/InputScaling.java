package org.cyclicalpruning.modelops.model;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model scales its features before its first layer, as declared: not at all, standardised
 * with a given mean and standard deviation ({@code x' = (x - mean) / std}, in float32, the same
 * for every feature, as image pipelines do), or standardised with a mean and deviation estimated
 * online from every feature value the model has trained on.
 *
 * <p>Standardised inputs train markedly better with SGD: centred, unit-scale inputs condition the
 * first layer's gradient (LeCun et al., "Efficient BackProp", 1998). What a model actually applied
 * at a snapshot travels in the snapshot ({@code SparseModelSnapshot.inputScaling}), so every
 * reader applies the same transform.
 *
 * @param mode none, given or online
 * @param mean the given mean (given mode only)
 * @param std the given standard deviation, positive (given mode only)
 */
public record InputScaling(Mode mode, float mean, float std) {
    private static final Pattern GIVEN =
            Pattern.compile("standardi[sz]e\\(\\s*mean\\s*=\\s*([^,\\s]+)\\s*,\\s*std\\s*=\\s*([^)\\s]+)\\s*\\)");
    private static final Pattern ONLINE = Pattern.compile("standardi[sz]e\\(\\s*online\\s*\\)");

    /** Where the mean and deviation come from. */
    public enum Mode {
        /** Features go in as they are. */
        NONE,
        /** A mean and deviation given in the declaration. */
        GIVEN,
        /** A running mean and deviation over every feature value trained on so far. */
        ONLINE
    }

    public InputScaling {
        checkArgument(mode != null, "input scaling mode must be set");
        if (mode == Mode.GIVEN) {
            checkArgument(Float.isFinite(mean), "input scaling mean must be finite, got %s", mean);
            checkArgument(Float.isFinite(std) && std > 0, "input scaling std must be positive and finite, got %s", std);
        }
    }

    /** Features as they are. */
    public static InputScaling none() {
        return new InputScaling(Mode.NONE, 0f, 1f);
    }

    /** Features standardised with the given mean and standard deviation. */
    public static InputScaling standardize(float mean, float std) {
        return new InputScaling(Mode.GIVEN, mean, std);
    }

    /** Features standardised with a running estimate over every value trained on. */
    public static InputScaling online() {
        return new InputScaling(Mode.ONLINE, 0f, 1f);
    }

    /**
     * Parses {@code none}, {@code standardize(mean=0.286, std=0.353)} or {@code
     * standardize(online)}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static InputScaling parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none")) {
            return none();
        }
        if (ONLINE.matcher(t).matches()) {
            return online();
        }
        Matcher m = GIVEN.matcher(t);
        if (m.matches()) {
            try {
                return standardize(Float.parseFloat(m.group(1)), Float.parseFloat(m.group(2)));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException(String.format(
                "invalid input scaling '%s'; expected none, standardize(mean=M, std=S) or standardize(online)", text));
    }

    /** Returns the text {@link #parse} reads back. */
    public String toText() {
        switch (mode) {
            case NONE:
                return "none";
            case ONLINE:
                return "standardize(online)";
            default:
                return "standardize(mean=" + mean + ", std=" + std + ")";
        }
    }

    @Override
    public String toString() {
        return toText();
    }
}
