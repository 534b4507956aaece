package ai.diffiml.optim;

import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ElementwiseKernels;
import ai.diffiml.backend.jni.OptimKernels;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient-norm clipping as torch.nn.utils.clip_grad_norm_: the global L2 norm over the gradients of all given
 * parameters, and, when it exceeds the limit, every gradient scaled in place by {@code maxNorm / (norm + 1e-6)}.
 * Each gradient's sum of squares comes from the native {@code dml_sum_squares} kernel (double accumulation) into
 * one float per tensor on the gradients' device; the few partial sums are added in double on the host.
 */
public final class GradClip {
    /** Added to the norm before dividing, as PyTorch does. */
    public static final double EPS = 1e-6;

    private GradClip() {}

    /** Global L2 norm of the gradients of {@code params}; parameters without a gradient are skipped (0 if none). */
    public static double gradNorm(Iterable<Tensor> params) {
        List<Tensor> grads = gradients(params);
        if (grads.isEmpty()) {
            return 0;
        }
        Device device = grads.get(0).device();
        float[] sums;
        try (Tensor partial = Tensor.detachedEmpty(device, grads.size())) {
            for (int i = 0; i < grads.size(); i++) {
                Tensor g = grads.get(i);
                Native.check(OptimKernels.dml_sum_squares(device.code, g.address(), g.numel(),
                        partial.address() + 4L * i), "gradNorm: sum of squares of " + g.describe());
            }
            sums = partial.toArray();
        }
        double total = 0;
        for (float s : sums) {
            total += s;
        }
        return Math.sqrt(total);
    }

    /**
     * Scales all gradients of {@code params} by {@code maxNorm / (norm + 1e-6)} when that factor is below 1 (the
     * norm exceeds maxNorm); returns the norm before clipping. A non-finite norm (NaN or infinite gradients) is
     * returned with the gradients left as they are, so the caller can see it and skip the step.
     */
    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be positive and finite, got " + maxNorm);
        }
        double norm = gradNorm(params);
        double coef = maxNorm / (norm + EPS);
        if (Double.isFinite(norm) && coef < 1) {
            for (Tensor g : gradients(params)) {
                Native.check(ElementwiseKernels.dml_scale(g.device().code, g.address(), g.address(), g.numel(),
                        (float) coef), "clipGradNorm: scale " + g.describe());
            }
        }
        return norm;
    }

    private static List<Tensor> gradients(Iterable<Tensor> params) {
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g != null) {
                if (!grads.isEmpty() && g.device() != grads.get(0).device()) {
                    throw new IllegalArgumentException("clipGradNorm: gradients on different devices: "
                            + grads.get(0).describe() + " and " + g.describe());
                }
                grads.add(g);
            }
        }
        return grads;
    }
}
