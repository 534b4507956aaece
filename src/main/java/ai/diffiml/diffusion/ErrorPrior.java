package ai.diffiml.diffusion;

import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.DiffusionKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * Training-time noising with the release's error prior: y_t = sqrt(abar_t) (y0 + gamma xi) + sqrt(1 - abar_t) eps,
 * t per sample. gamma (the "prior rate", 0.1 by default) models the sampling chain's own error; gamma = 0 is plain
 * DDPM noising. No gradient flows through it (y0 comes from the frozen LightVAE).
 */
public final class ErrorPrior {
    private ErrorPrior() {}

    public static Tensor noise(NoiseSchedule schedule, Tensor y0, Tensor xi, Tensor eps, int[] t, float gamma) {
        Shapes.requireSame("error prior (xi)", y0, xi);
        Shapes.requireSame("error prior (eps)", y0, eps);
        int batch = y0.dim(0);
        if (t.length != batch) {
            throw new IllegalArgumentException(
                    "error prior: " + t.length + " timesteps for a batch of " + batch + " (" + y0.describe() + ")");
        }
        float[] a = new float[batch], s = new float[batch];
        for (int b = 0; b < batch; b++) {
            float abar = schedule.alphaCumprod(t[b]);
            a[b] = (float) Math.sqrt(abar);
            s[b] = (float) Math.sqrt(1.0 - abar);
        }
        Tensor ta = Tensor.of(y0.device(), a, batch), ts = Tensor.of(y0.device(), s, batch);
        Tensor yT = Tensor.empty(y0.device(), y0.shape());
        try {
            Native.check(DiffusionKernels.dml_diffusion_noise(y0.device().code, y0.address(), xi.address(),
                    eps.address(), ta.address(), ts.address(), yT.address(), batch, y0.numel() / batch, gamma),
                    "error prior " + y0.describe());
        } finally {
            ta.close();
            ts.close();
        }
        return yT;
    }
}
