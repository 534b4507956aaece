package ai.diffiml.ops;

import static ai.diffiml.backend.jni.ShapeKernels.RESIZE_BILINEAR;
import static ai.diffiml.backend.jni.ShapeKernels.RESIZE_NEAREST;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ShapeKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * Spatial resizing of NCHW tensors to a given output size, as PyTorch's {@code F.interpolate(x, size=(outH,
 * outW), mode=...)}. Per axis the scale is in / out (single precision, as PyTorch):
 * <ul>
 *   <li>{@link #nearest}: source index floor(dst * scale), clamped to in - 1;</li>
 *   <li>{@link #bilinear} (align_corners=False): source coordinate (dst + 0.5) * scale - 0.5 clamped at 0, blended
 *       between floor(src) and the next index (clamped to in - 1).</li>
 * </ul>
 * Both are linear in x; the backward scatters each output gradient back onto the pixels it was read from.
 */
public final class Resize {
    private Resize() {}

    /** Bilinear resize of [N, C, H, W] to [N, C, outH, outW] (align_corners=False). */
    public static Tensor bilinear(Tensor x, int outH, int outW) {
        return resize("bilinear", RESIZE_BILINEAR, x, outH, outW);
    }

    /** Nearest-neighbour resize of [N, C, H, W] to [N, C, outH, outW] (PyTorch 'nearest'). */
    public static Tensor nearest(Tensor x, int outH, int outW) {
        return resize("nearest", RESIZE_NEAREST, x, outH, outW);
    }

    private static Tensor resize(String name, int mode, Tensor x, int outH, int outW) {
        Shapes.requireRank(name, x, 4);
        int[] s = x.shape();
        if (outH < 1 || outW < 1 || s[2] < 1 || s[3] < 1) {
            throw new IllegalArgumentException(name + ": cannot resize " + x.describe() + " to " + outH + "x" + outW);
        }
        long planes = (long) s[0] * s[1];
        int inH = s[2], inW = s[3];
        Tensor y = Tensor.empty(x.device(), s[0], s[1], outH, outW);
        int dev = x.device().code;
        String what = name + " " + x.describe() + " to " + outH + "x" + outW;
        Native.check(ShapeKernels.dml_resize_forward(dev, mode, x.address(), y.address(), planes, inH, inW, outH,
                outW), what);
        if (Tape.wants(x)) {
            Tape.record(name, y, new Tensor[] {x}, (dy, grads) -> {
                Tensor dx = Tensor.empty(x.device(), s);
                Native.check(ShapeKernels.dml_resize_backward(dev, mode, dy.address(), dx.address(), planes, inH, inW,
                        outH, outW), what + " backward");
                grads.add(0, dx);
            });
        }
        return y;
    }
}
