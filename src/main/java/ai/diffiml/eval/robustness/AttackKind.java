package ai.diffiml.eval.robustness;

import java.util.Locale;

/**
 * The distortions of the robustness protocol (method.md section 7; IMDL-BenCo's robustness test), each with the
 * meaning of its strength, the strengths allowed and the default step of a range.
 */
public enum AttackKind {
    /** JPEG round trip (OpenCV's encoder, 4:2:0) at the strength as quality, 1..100; default step 10. */
    JPEG("quality", 1, 100, 10),
    /**
     * Gaussian blur with a strength x strength kernel, odd, 1..255, sigma from the kernel size by OpenCV's rule
     * (sigma 0, as albumentations' {@code GaussianBlur}); default step 4 (3, 7, ..., 23).
     */
    BLUR("kernel size", 1, 255, 4),
    /**
     * Additive Gaussian noise, independent per pixel and channel, whose <b>variance</b> in 8-bit units is the
     * strength (standard deviation its square root, as albumentations' {@code GaussNoise(var_limit)} that
     * IMDL-BenCo's robustness test uses), 1..10000, the result rounded and clipped to 0..255; default step 4.
     */
    NOISE("variance", 1, 10000, 4);

    private final String strengthName;
    private final int min, max, defaultStep;

    AttackKind(String strengthName, int min, int max, int defaultStep) {
        this.strengthName = strengthName;
        this.min = min;
        this.max = max;
        this.defaultStep = defaultStep;
    }

    /** Lower-case name as written in a robustness spec: jpeg, blur, noise. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What the strength is (quality, kernel size, variance). */
    public String strengthName() {
        return strengthName;
    }

    /** Step between strengths of a range written without one. */
    public int defaultStep() {
        return defaultStep;
    }

    /** Null when {@code strength} is allowed, else why not. */
    String check(int strength) {
        if (strength < min || strength > max) {
            return label() + " " + strengthName + " must be in " + min + ".." + max + ", got " + strength;
        }
        if (this == BLUR && strength % 2 == 0) {
            return "blur kernel size must be odd, got " + strength;
        }
        return null;
    }

    /** The kind written {@code label} (case-insensitive), or null. */
    static AttackKind byLabel(String label) {
        for (AttackKind k : values()) {
            if (k.label().equalsIgnoreCase(label)) {
                return k;
            }
        }
        return null;
    }
}
