package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of {@code native/include/diffiml/norm.h}: LayerNorm, GroupNorm, BatchNorm and softmax. */
@Properties(inherit = NativeLibrary.class)
public final class NormKernels {
    static {
        Loader.load();
    }

    private NormKernels() {}

    public static native int dml_layernorm_forward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("float*") long y,
            @Cast("float*") long mean, @Cast("float*") long rstd, long rows, long cols, float eps);

    public static native int dml_layernorm_backward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long gamma, @Cast("const float*") long mean, @Cast("const float*") long rstd,
            @Cast("const float*") long dy, @Cast("float*") long dx, @Cast("float*") long dgamma,
            @Cast("float*") long dbeta, long rows, long cols);

    public static native int dml_groupnorm_forward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("float*") long y,
            @Cast("float*") long mean, @Cast("float*") long rstd, long n, long c, long spatial, long groups,
            float eps);

    public static native int dml_groupnorm_backward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long gamma, @Cast("const float*") long mean, @Cast("const float*") long rstd,
            @Cast("const float*") long dy, @Cast("float*") long dx, @Cast("float*") long dgamma,
            @Cast("float*") long dbeta, long n, long c, long spatial, long groups);

    public static native int dml_batchnorm_forward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long gamma, @Cast("const float*") long beta, @Cast("float*") long runningMean,
            @Cast("float*") long runningVar, @Cast("float*") long y, @Cast("float*") long saveMean,
            @Cast("float*") long saveRstd, long n, long c, long spatial, int training, float momentum, float eps);

    public static native int dml_batchnorm_backward(int dev, @Cast("const float*") long x,
            @Cast("const float*") long gamma, @Cast("const float*") long saveMean,
            @Cast("const float*") long saveRstd, @Cast("const float*") long dy, @Cast("float*") long dx,
            @Cast("float*") long dgamma, @Cast("float*") long dbeta, long n, long c, long spatial, int training);

    public static native int dml_softmax_forward(int dev, @Cast("const float*") long x, @Cast("float*") long y,
            long rows, long cols);

    public static native int dml_softmax_backward(int dev, @Cast("const float*") long y,
            @Cast("const float*") long dy, @Cast("float*") long dx, long rows, long cols);
}
