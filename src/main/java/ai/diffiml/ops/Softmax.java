package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.NormKernels;
import ai.diffiml.tensor.Tensor;

/** Softmax over the last axis. */
public final class Softmax {
    private Softmax() {}

    /**
     * {@code y = exp(x - max) / sum(exp(x - max))} over each row of the last axis (subtracting the row max keeps
     * it finite for any finite input). x: [..., L] with L >= 1; y: x's shape. The backward uses the output:
     * {@code dx = y * (dy - sum(dy * y))}.
     */
    public static Tensor softmax(Tensor x) {
        if (x.rank() < 1 || x.dim(-1) < 1) {
            throw new IllegalArgumentException("softmax: x must have a non-empty last axis, got " + x.describe());
        }
        long cols = x.dim(-1), rows = x.numel() / cols;
        String what = "softmax " + x.describe();
        Tensor y = Tensor.empty(x.device(), x.shape());
        forward(x.device(), x.address(), y.address(), rows, cols, what);
        if (Tape.wants(x)) {
            Tape.record("softmax", y, new Tensor[] {x}, (dy, grads) -> {
                Tensor dx = Tensor.empty(x.device(), x.shape());
                backward(x.device(), y.address(), dy.address(), dx.address(), rows, cols, what + " backward");
                grads.add(0, dx);
            });
        }
        return y;
    }

    /** Row softmax of raw memory [rows, cols] on {@code device}; y may equal x (in place). */
    static void forward(Device device, long x, long y, long rows, long cols, String what) {
        Native.check(NormKernels.dml_softmax_forward(device.code, x, y, rows, cols), what);
    }

    /** Row softmax gradient of raw memory [rows, cols]; dx may equal dy (in place). */
    static void backward(Device device, long y, long dy, long dx, long rows, long cols, String what) {
        Native.check(NormKernels.dml_softmax_backward(device.code, y, dy, dx, rows, cols), what);
    }
}
