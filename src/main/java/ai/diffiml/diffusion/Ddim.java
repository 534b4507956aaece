package ai.diffiml.diffusion;

import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.DiffusionKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * DDIM (eta 0) for an x0-predicting model with "leading" timestep spacing: for S steps over T training steps,
 * t = (S-1)k, ..., k, 0 with k = T / S (integer division), e.g. 875, 750, ..., 0 for S = 8; the step after t = 0
 * lands on abar = 1. The predicted x0 is clamped to [-1, 1] after eps is derived from the unclamped prediction.
 */
public final class Ddim {
    private final NoiseSchedule schedule;
    private final int[] timesteps;
    private final boolean clip;

    public Ddim(NoiseSchedule schedule, int steps, boolean clip) {
        if (steps < 1 || steps > schedule.steps()) {
            throw new IllegalArgumentException("DDIM steps must be in [1, " + schedule.steps() + "], got " + steps);
        }
        this.schedule = schedule;
        this.clip = clip;
        int ratio = schedule.steps() / steps;
        timesteps = new int[steps];
        for (int i = 0; i < steps; i++) {
            timesteps[i] = (steps - 1 - i) * ratio;
        }
    }

    /** The timesteps visited, from noisiest to 0. */
    public int[] timesteps() {
        return timesteps.clone();
    }

    /** The timestep after step {@code i}, or -1 after the last. */
    public int previous(int i) {
        return i + 1 < timesteps.length ? timesteps[i + 1] : -1;
    }

    /**
     * One step from y_t to y_prev given the model's x0 prediction, all chains at timestep index {@code i}. Returns a
     * new tensor; inference only (records nothing on the tape).
     */
    public Tensor step(Tensor yT, Tensor x0, int i) {
        Shapes.requireSame("ddim step", yT, x0);
        float abarT = schedule.alphaCumprod(timesteps[i]);
        float abarPrev = schedule.alphaCumprod(previous(i));
        Tensor yPrev = Tensor.empty(yT.device(), yT.shape());
        Native.check(DiffusionKernels.dml_ddim_step(yT.device().code, yT.address(), x0.address(), yPrev.address(),
                yT.numel(), (float) Math.sqrt(abarT), (float) Math.sqrt(1.0 - abarT), (float) Math.sqrt(abarPrev),
                (float) Math.sqrt(1.0 - abarPrev), clip ? 1 : 0), "ddim step t=" + timesteps[i] + " " + yT.describe());
        return yPrev;
    }
}
