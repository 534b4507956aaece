package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of {@code native/include/diffiml/shape.h}: layout, resize, axis sums, losses, dropout. */
@Properties(inherit = NativeLibrary.class)
public final class ShapeKernels {
    static {
        Loader.load();
    }

    private ShapeKernels() {}

    public static final int RESIZE_NEAREST = 0, RESIZE_BILINEAR = 1;
    public static final int LOSS_MSE = 0, LOSS_L1 = 1, LOSS_BCE_LOGITS = 2;

    public static native int dml_copy_block(int dev, @Cast("const float*") long src, long srcAxis, long srcStart,
            @Cast("float*") long dst, long dstAxis, long dstStart, long outer, long len, long inner);

    public static native int dml_flip(int dev, @Cast("const float*") long x, @Cast("float*") long y, long outer,
            long len, long inner);

    /** {@code shape} and {@code perm} are host arrays of {@code rank} entries on either device. */
    public static native int dml_permute(int dev, @Cast("const float*") long x, @Cast("float*") long y, int rank,
            @Cast("const int64_t*") long[] shape, @Cast("const int64_t*") long[] perm);

    public static native int dml_resize_forward(int dev, int mode, @Cast("const float*") long x,
            @Cast("float*") long y, long planes, long inH, long inW, long outH, long outW);

    public static native int dml_resize_backward(int dev, int mode, @Cast("const float*") long dy,
            @Cast("float*") long dx, long planes, long inH, long inW, long outH, long outW);

    public static native int dml_sum_axis(int dev, @Cast("const float*") long x, @Cast("float*") long y, long outer,
            long len, long inner, double alpha);

    public static native int dml_broadcast_axis(int dev, @Cast("const float*") long y, @Cast("float*") long x,
            long outer, long len, long inner, float alpha);

    public static native int dml_loss_forward(int dev, int op, @Cast("const float*") long pred,
            @Cast("const float*") long target, @Cast("float*") long loss, long n);

    public static native int dml_loss_backward(int dev, int op, @Cast("const float*") long pred,
            @Cast("const float*") long target, @Cast("const float*") long dloss, @Cast("float*") long dpred,
            @Cast("float*") long dtarget, long n);

    public static native int dml_dropout(int dev, @Cast("const float*") long x, @Cast("float*") long y, long n,
            long group, float p, @Cast("uint64_t") long seed);
}
