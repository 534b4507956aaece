package ai.diffiml.data;

import java.util.Locale;

/** The named augmentation sets a training run can choose ({@code --augment}). */
public enum AugmentationPreset {
    /** The release's set, {@link AugmentationSettings#paper()}. */
    PAPER(AugmentationSettings.paper()),
    /** Flips and rot90 only, {@link AugmentationSettings#geometric()}. */
    GEOMETRIC(AugmentationSettings.geometric()),
    /** No augmentation. */
    NONE(AugmentationSettings.none());

    private final AugmentationSettings settings;

    AugmentationPreset(AugmentationSettings settings) {
        this.settings = settings;
    }

    public AugmentationSettings settings() {
        return settings;
    }

    /** The lower-case name used on the command line and in run configs. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The preset named {@code label} (any case); IllegalArgumentException listing the names otherwise. */
    public static AugmentationPreset of(String label) {
        for (AugmentationPreset p : values()) {
            if (p.label().equals(label.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + label + "' is not an augmentation set: expected paper, geometric"
                + " or none");
    }
}
