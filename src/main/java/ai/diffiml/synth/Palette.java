package ai.diffiml.synth;

import java.util.SplittableRandom;

/**
 * Natural colours (BGR, 0..255) for procedural scenes, drawn as HSV from families seen outdoors and indoors:
 * foliage, earth and rock, sky and water, neutrals, and a smaller share of saturated man-made colours.
 */
final class Palette {
    private Palette() {}

    /** Any family: the colour of an object or a patch. */
    static float[] any(SplittableRandom rng) {
        double u = rng.nextDouble();
        if (u < 0.25) {
            return foliage(rng);
        } else if (u < 0.5) {
            return earth(rng);
        } else if (u < 0.62) {
            return sky(rng);
        } else if (u < 0.85) {
            return neutral(rng);
        }
        return hsv(rng.nextDouble(0, 360), rng.nextDouble(0.35, 0.85), rng.nextDouble(0.3, 0.9));
    }

    /** Ground: foliage, earth or rock. */
    static float[] ground(SplittableRandom rng) {
        double u = rng.nextDouble();
        return u < 0.4 ? foliage(rng) : u < 0.85 ? earth(rng) : neutral(rng);
    }

    static float[] sky(SplittableRandom rng) {
        return hsv(rng.nextDouble(190, 230), rng.nextDouble(0.1, 0.6), rng.nextDouble(0.45, 0.95));
    }

    static float[] neutral(SplittableRandom rng) {
        return hsv(rng.nextDouble(0, 360), rng.nextDouble(0, 0.12), rng.nextDouble(0.12, 0.92));
    }

    private static float[] foliage(SplittableRandom rng) {
        return hsv(rng.nextDouble(60, 150), rng.nextDouble(0.2, 0.7), rng.nextDouble(0.18, 0.7));
    }

    private static float[] earth(SplittableRandom rng) {
        return hsv(rng.nextDouble(12, 48), rng.nextDouble(0.1, 0.55), rng.nextDouble(0.2, 0.85));
    }

    /** {@code a + (b - a) t}. */
    static float[] mix(float[] a, float[] b, float t) {
        return new float[] {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
    }

    /** Hue in degrees, saturation and value in [0, 1], to BGR in [0, 255]. */
    static float[] hsv(double h, double s, double v) {
        double c = v * s, hp = (h % 360) / 60, x = c * (1 - Math.abs(hp % 2 - 1)), m = v - c;
        double r, g, b;
        if (hp < 1) {
            r = c; g = x; b = 0;
        } else if (hp < 2) {
            r = x; g = c; b = 0;
        } else if (hp < 3) {
            r = 0; g = c; b = x;
        } else if (hp < 4) {
            r = 0; g = x; b = c;
        } else if (hp < 5) {
            r = x; g = 0; b = c;
        } else {
            r = c; g = 0; b = x;
        }
        return new float[] {(float) (255 * (b + m)), (float) (255 * (g + m)), (float) (255 * (r + m))};
    }
}
