package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * Binding of {@code native/include/diffiml/linalg.h} (im2col / col2im, the depthwise convolution) and of the direct
 * CPU convolutions {@code diffiml/conv3x3.h} and {@code diffiml/conv7x7.h}.
 */
@Properties(inherit = NativeLibrary.class)
public final class LinalgKernels {
    static {
        Loader.load();
    }

    private LinalgKernels() {}

    public static native int dml_im2col(int dev, @Cast("const float*") long x, @Cast("float*") long col, long n,
            long c, long h, long w, long kh, long kw, long sh, long sw, long ph, long pw, long row0, long rows);

    public static native int dml_col2im_accumulate(int dev, @Cast("const float*") long col, @Cast("float*") long x,
            long n, long c, long h, long w, long kh, long kw, long sh, long sw, long ph, long pw, long row0,
            long rows);

    public static native int dml_depthwise_conv2d_forward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long wt, @Cast("const float*") long bias, @Cast("float*") long y, long n, long c,
            long h, long w, long kh, long kw, long sh, long sw, long ph, long pw);

    public static native int dml_depthwise_conv2d_backward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long wt, @Cast("const float*") long dy, @Cast("float*") long dx,
            @Cast("float*") long dwt, long n, long c, long h, long w, long kh, long kw, long sh, long sw, long ph,
            long pw);

    /** 1 when the direct 3x3 convolution ({@code diffiml/conv3x3.h}) runs on this CPU (AVX-512F). */
    public static native int dml_conv3x3_supported();

    public static native int dml_conv3x3_forward(int dev, @Cast("const float*") long x, @Cast("const float*") long wt,
            @Cast("const float*") long bias, @Cast("float*") long y, long n, long c, long h, long w, long o);

    public static native int dml_conv3x3_backward_data(int dev, @Cast("const float*") long dy,
            @Cast("const float*") long wt, @Cast("float*") long dx, long n, long c, long h, long w, long o);

    public static native int dml_conv3x3_backward_weight(int dev, @Cast("const float*") long x,
            @Cast("const float*") long dy, @Cast("float*") long dwt, long n, long c, long h, long w, long o);

    /** 1 when the direct 7x7 convolution ({@code diffiml/conv7x7.h}) runs on this CPU (AVX-512F). */
    public static native int dml_conv7x7_supported();

    public static native int dml_conv7x7_forward(int dev, @Cast("const float*") long x, @Cast("const float*") long wt,
            @Cast("const float*") long bias, @Cast("float*") long y, long n, long c, long h, long w, long o,
            long stride, long pad);

    public static native int dml_conv7x7_backward_data(int dev, @Cast("const float*") long dy,
            @Cast("const float*") long wt, @Cast("float*") long dx, long n, long c, long h, long w, long o,
            long stride, long pad);

    public static native int dml_conv7x7_backward_weight(int dev, @Cast("const float*") long x,
            @Cast("const float*") long dy, @Cast("float*") long dwt, long n, long c, long h, long w, long o,
            long stride, long pad);
}
