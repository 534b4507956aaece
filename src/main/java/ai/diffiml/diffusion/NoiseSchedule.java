package ai.diffiml.diffusion;

/**
 * The linear beta schedule of the method (1000 steps, beta 1e-4 .. 2e-2) and its cumulative products
 * abar_t = prod_{s <= t} (1 - beta_s), accumulated in float32 in order, as the PyTorch reference does.
 */
public final class NoiseSchedule {
    private final float[] alphasCumprod;

    public NoiseSchedule(int steps, double betaStart, double betaEnd) {
        if (steps < 2 || !(betaStart > 0) || !(betaEnd < 1) || betaStart > betaEnd) {
            throw new IllegalArgumentException("noise schedule: need steps >= 2 and 0 < betaStart <= betaEnd < 1, got "
                    + steps + ", " + betaStart + ", " + betaEnd);
        }
        alphasCumprod = new float[steps];
        float acc = 1f;
        for (int t = 0; t < steps; t++) {
            float beta = (float) (betaStart + (betaEnd - betaStart) * t / (steps - 1));
            acc *= 1f - beta;
            alphasCumprod[t] = acc;
        }
    }

    /** The method's schedule: 1000 steps, linear beta from 1e-4 to 2e-2. */
    public static NoiseSchedule linear1000() {
        return new NoiseSchedule(1000, 1e-4, 2e-2);
    }

    public int steps() {
        return alphasCumprod.length;
    }

    /** abar_t; t = -1 stands for "after the last step" and gives 1 (DDIM's final alpha set to one). */
    public float alphaCumprod(int t) {
        if (t == -1) {
            return 1f;
        }
        if (t < 0 || t >= alphasCumprod.length) {
            throw new IllegalArgumentException("timestep " + t + " outside [0, " + alphasCumprod.length + ")");
        }
        return alphasCumprod[t];
    }

    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }
}
