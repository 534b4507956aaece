package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of {@code native/include/diffiml/elementwise.h}. */
@Properties(inherit = NativeLibrary.class)
public final class ElementwiseKernels {
    static {
        Loader.load();
    }

    private ElementwiseKernels() {}

    public static final int RELU = 0, SILU = 1, GELU = 2, SIGMOID = 3, TANH = 4, LOG1P = 5, LOG_SIGMOID = 6;
    public static final int ADD = 0, MUL = 1, MAX = 2;

    public static native int dml_unary_forward(int dev, int op, @Cast("const float*") long x, @Cast("float*") long y,
            long n);

    public static native int dml_unary_backward(int dev, int op, @Cast("const float*") long x,
            @Cast("const float*") long y, @Cast("const float*") long dy, @Cast("float*") long dx, long n);

    public static native int dml_binary_forward(int dev, int op, @Cast("const float*") long x,
            @Cast("const float*") long v, @Cast("float*") long y, long outer, long mid, long inner);

    public static native int dml_binary_backward(int dev, int op, @Cast("const float*") long x,
            @Cast("const float*") long v, @Cast("const float*") long dy, @Cast("float*") long dx,
            @Cast("float*") long dv, long outer, long mid, long inner);

    public static native int dml_scale(int dev, @Cast("const float*") long x, @Cast("float*") long y, long n,
            float alpha);

    public static native int dml_accumulate(int dev, @Cast("const float*") long x, @Cast("float*") long y, long n,
            float alpha);
}
