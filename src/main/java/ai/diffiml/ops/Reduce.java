package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ShapeKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * Sums and means, over all elements (result shape [1]) or over one axis (x viewed as [outer, axis, inner], result
 * [outer, inner] in x's shape with the axis removed; a rank-1 input gives [1]). Accumulated in double. The
 * backward broadcasts the output gradient (divided by the count for means) back over the reduced elements.
 */
public final class Reduce {
    private Reduce() {}

    /** Sum of all elements, shape [1]. */
    public static Tensor sum(Tensor x) {
        return reduce("sum", x, 1, x.numel(), 1, 1.0, new int[] {1});
    }

    /** Mean of all elements, shape [1]. */
    public static Tensor mean(Tensor x) {
        requireElements("mean", x, x.numel());
        return reduce("mean", x, 1, x.numel(), 1, 1.0 / x.numel(), new int[] {1});
    }

    /** Sum over {@code axis} (negative counts from the end); the axis is removed from the shape. */
    public static Tensor sum(Tensor x, int axis) {
        return alongAxis("sum", x, axis, false);
    }

    /** Mean over {@code axis} (negative counts from the end); the axis is removed from the shape. */
    public static Tensor mean(Tensor x, int axis) {
        return alongAxis("mean", x, axis, true);
    }

    private static Tensor alongAxis(String name, Tensor x, int axis, boolean mean) {
        int ax = Layout.axis(name, x, axis);
        int[] s = x.shape();
        int len = s[ax];
        if (mean) {
            requireElements(name, x, len);
        }
        int[] out = new int[Math.max(1, s.length - 1)];
        out[0] = 1;
        for (int d = 0, j = 0; d < s.length; d++) {
            if (d != ax) {
                out[j++] = s[d];
            }
        }
        return reduce(name, x, Shapes.prod(s, 0, ax), len, Shapes.prod(s, ax + 1, s.length),
                mean ? 1.0 / len : 1.0, out);
    }

    private static void requireElements(String name, Tensor x, long count) {
        if (count == 0) {
            throw new IllegalArgumentException(name + ": mean over zero elements of " + x.describe());
        }
    }

    private static Tensor reduce(String name, Tensor x, long outer, long len, long inner, double alpha, int[] shape) {
        Tensor y = Tensor.empty(x.device(), shape);
        int dev = x.device().code;
        Native.check(ShapeKernels.dml_sum_axis(dev, x.address(), y.address(), outer, len, inner, alpha),
                name + " " + x.describe());
        if (Tape.wants(x)) {
            Tape.record(name, y, new Tensor[] {x}, (dy, grads) -> {
                Tensor dx = Tensor.empty(x.device(), x.shape());
                Native.check(ShapeKernels.dml_broadcast_axis(dev, dy.address(), dx.address(), outer, len, inner,
                        (float) alpha), name + " backward " + x.describe());
                grads.add(0, dx);
            });
        }
        return y;
    }
}
