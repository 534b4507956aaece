package ai.diffiml.eval;

import java.util.Locale;

/**
 * The grid on which a prediction is compared with its ground truth (method.md section 7). Every report records which
 * one was used: scores from the two modes differ and are not comparable.
 */
public enum ScoringMode {
    /**
     * IMDL-BenCo's "resize" mode, the paper's: prediction and ground truth on the model's square input grid
     * (512 x 512 for the paper's model), the ground truth resized by nearest neighbour.
     */
    RESIZE,
    /**
     * MVSS-Net's protocol: the prediction resized back (bilinearly) to the ground truth's own size, the ground truth
     * as it is.
     */
    ORIGINAL;

    /** The name used on the command line and in reports: {@code resize} or {@code original}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** One line saying what the mode does, for reports. */
    public String describe(int resolution) {
        return switch (this) {
            case RESIZE -> "resize: prediction and ground truth at " + resolution + "x" + resolution
                    + " (ground truth resized nearest), IMDL-BenCo's and the paper's";
            case ORIGINAL -> "original: prediction resized (bilinear) to the ground truth's size, MVSS-Net's";
        };
    }

    /** The mode named {@code label} (case-insensitive). */
    public static ScoringMode parse(String label) {
        for (ScoringMode m : values()) {
            if (m.label().equalsIgnoreCase(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + label + "' is not a scoring mode: expected resize or original");
    }
}
