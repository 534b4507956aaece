package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ShapeKernels;
import ai.diffiml.tensor.Tensor;

/**
 * Dropout and stochastic depth. Survivors are scaled by 1 / (1 - p). The mask is not drawn from a stateful
 * generator but computed from a counter-based hash of (seed, element or sample index), identically by the CPU and
 * CUDA kernels: the same seed drops the same elements on both devices, and the backward recomputes the mask from
 * the seed instead of storing it. Callers pass a fresh seed per call (e.g. mixed from step and layer).
 * When not training, or when p == 0, both ops return {@code x} itself.
 */
public final class Dropout {
    private Dropout() {}

    /** Zeroes each element independently with probability p, scaling the others by 1 / (1 - p). */
    public static Tensor dropout(Tensor x, float p, boolean training, long seed) {
        checkP("dropout", x, p);
        if (!training || p == 0f) {
            return x;
        }
        return apply("dropout", x, 1, p, seed);
    }

    /**
     * Stochastic depth: drops whole samples (one decision per index of dim 0) with probability p, scaling the
     * kept samples by 1 / (1 - p). Meant for a residual branch: {@code x + dropPath(branch(x), ...)}.
     */
    public static Tensor dropPath(Tensor x, float p, boolean training, long seed) {
        checkP("dropPath", x, p);
        if (x.rank() < 1) {
            throw new IllegalArgumentException("dropPath: " + x.describe() + " has no sample axis");
        }
        if (!training || p == 0f) {
            return x;
        }
        long perSample = x.dim(0) == 0 ? 1 : x.numel() / x.dim(0);
        return apply("dropPath", x, Math.max(1, perSample), p, seed);
    }

    private static void checkP(String name, Tensor x, float p) {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException(name + ": p = " + p + " is not in [0, 1] (for " + x.describe() + ")");
        }
    }

    private static Tensor apply(String name, Tensor x, long group, float p, long seed) {
        Tensor y = Tensor.empty(x.device(), x.shape());
        int dev = x.device().code;
        String what = name + " p=" + p + " " + x.describe();
        Native.check(ShapeKernels.dml_dropout(dev, x.address(), y.address(), x.numel(), group, p, seed), what);
        if (Tape.wants(x)) {
            Tape.record(name, y, new Tensor[] {x}, (dy, grads) -> {
                // y = x * mask * scale is linear in x: its backward is the same masked scaling of dy.
                Tensor dx = Tensor.empty(x.device(), x.shape());
                Native.check(ShapeKernels.dml_dropout(dev, dy.address(), dx.address(), x.numel(), group, p, seed),
                        what + " backward");
                grads.add(0, dx);
            });
        }
        return y;
    }
}
