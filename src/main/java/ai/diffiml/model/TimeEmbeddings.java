package ai.diffiml.model;

/**
 * The sinusoidal timestep embedding shared by the diffusion models (DiffIML's UNet, DiffForensics' decoder); each
 * puts its own time-embedding MLP on top.
 */
public final class TimeEmbeddings {
    /** Width of the embedding. */
    public static final int DIM = 128;

    private TimeEmbeddings() {}

    /** Sinusoidal embedding [B, 128] in [cos | sin] order, frequencies exp(-ln(10000) i / 64). */
    public static float[] sinusoid(int[] t) {
        int half = DIM / 2;
        float[] e = new float[t.length * DIM];
        for (int b = 0; b < t.length; b++) {
            for (int i = 0; i < half; i++) {
                // The argument in float32 steps, as diffusers computes it (exponent, exp, product with t): at t ~ 1000
                // a different rounding of the argument moves cos/sin by up to ~5e-5.
                float exponent = (float) -Math.log(10000.0) * i / half;
                float arg = t[b] * (float) Math.exp(exponent);
                e[b * DIM + i] = (float) Math.cos(arg);
                e[b * DIM + half + i] = (float) Math.sin(arg);
            }
        }
        return e;
    }
}
