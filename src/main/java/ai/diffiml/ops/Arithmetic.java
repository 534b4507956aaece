package ai.diffiml.ops;

import static ai.diffiml.backend.jni.ElementwiseKernels.ADD;
import static ai.diffiml.backend.jni.ElementwiseKernels.MAX;
import static ai.diffiml.backend.jni.ElementwiseKernels.MUL;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ElementwiseKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * Add and multiply, same-shape or broadcast along one axis, and scaling. Broadcasting has one form: x viewed as
 * [outer, mid, inner] and v as [mid], which covers biases (per channel of NCHW or per feature of tokens) and
 * per-sample-per-channel terms such as the UNet's time embedding.
 */
public final class Arithmetic {
    private Arithmetic() {}

    public static Tensor add(Tensor a, Tensor b) {
        Shapes.requireSame("add", a, b);
        return binary("add", ADD, a, b, 1, a.numel(), 1);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Shapes.requireSame("mul", a, b);
        return binary("mul", MUL, a, b, 1, a.numel(), 1);
    }

    /** Elementwise max; the gradient goes to the larger operand (to {@code a} on ties). */
    public static Tensor maximum(Tensor a, Tensor b) {
        Shapes.requireSame("maximum", a, b);
        return binary("maximum", MAX, a, b, 1, a.numel(), 1);
    }

    /**
     * {@code x + v} with v broadcast over x's axes other than {@code axis}: v has x.dim(axis) elements. E.g. conv
     * bias: axis 1 of NCHW; linear bias: the last axis.
     */
    public static Tensor addAlong(Tensor x, Tensor v, int axis) {
        return along("addAlong", ADD, x, v, axis);
    }

    /** {@code x * v} with v broadcast as in {@link #addAlong}. */
    public static Tensor mulAlong(Tensor x, Tensor v, int axis) {
        return along("mulAlong", MUL, x, v, axis);
    }

    /**
     * {@code x + v} where v covers x's leading axes [0, axes) and is broadcast over the rest, e.g. an [N, C] time
     * embedding added to [N, C, H, W] features ({@code axes = 2}).
     */
    public static Tensor addLeading(Tensor x, Tensor v, int axes) {
        int[] s = x.shape();
        long mid = Shapes.prod(s, 0, axes);
        if (v.numel() != mid) {
            throw new IllegalArgumentException("addLeading: " + v.describe() + " does not cover the first " + axes
                    + " axes of " + x.describe());
        }
        return binary("addLeading", ADD, x, v, 1, mid, Shapes.prod(s, axes, s.length));
    }

    private static Tensor along(String name, int op, Tensor x, Tensor v, int axis) {
        int[] s = x.shape();
        int ax = axis < 0 ? s.length + axis : axis;
        if (ax < 0 || ax >= s.length || v.numel() != s[ax]) {
            throw new IllegalArgumentException(name + ": " + v.describe() + " cannot broadcast along axis " + axis
                    + " of " + x.describe());
        }
        return binary(name, op, x, v, Shapes.prod(s, 0, ax), s[ax], Shapes.prod(s, ax + 1, s.length));
    }

    private static Tensor binary(String name, int op, Tensor x, Tensor v, long outer, long mid, long inner) {
        Shapes.requireSameDevice(name, x, v);
        Tensor y = Tensor.empty(x.device(), x.shape());
        int dev = x.device().code;
        String what = name + " " + x.describe() + ", " + v.describe();
        Native.check(ElementwiseKernels.dml_binary_forward(dev, op, x.address(), v.address(), y.address(), outer, mid,
                inner), what);
        if (Tape.wants(x, v)) {
            Tape.record(name, y, new Tensor[] {x, v}, (dy, grads) -> {
                Tensor dx = grads.needs(0) ? Tensor.empty(x.device(), x.shape()) : null;
                Tensor dv = grads.needs(1) ? Tensor.empty(v.device(), v.shape()) : null;
                Native.check(ElementwiseKernels.dml_binary_backward(dev, op, x.address(), v.address(), dy.address(),
                        dx == null ? 0 : dx.address(), dv == null ? 0 : dv.address(), outer, mid, inner),
                        what + " backward");
                if (dx != null) {
                    grads.add(0, dx);
                }
                if (dv != null) {
                    grads.add(1, dv);
                }
            });
        }
        return y;
    }

    /** {@code alpha * x}. */
    public static Tensor scale(Tensor x, float alpha) {
        Tensor y = Tensor.empty(x.device(), x.shape());
        int dev = x.device().code;
        Native.check(ElementwiseKernels.dml_scale(dev, x.address(), y.address(), x.numel(), alpha),
                "scale " + x.describe());
        if (Tape.wants(x)) {
            Tape.record("scale", y, new Tensor[] {x}, (dy, grads) -> {
                Tensor dx = Tensor.empty(x.device(), x.shape());
                Native.check(ElementwiseKernels.dml_scale(dev, dy.address(), dx.address(), x.numel(), alpha),
                        "scale backward " + x.describe());
                grads.add(0, dx);
            });
        }
        return y;
    }
}
