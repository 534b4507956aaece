package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of {@code native/include/diffiml/optim.h}. */
@Properties(inherit = NativeLibrary.class)
public final class OptimKernels {
    static {
        Loader.load();
    }

    private OptimKernels() {}

    public static native int dml_adamw_step(int dev, @Cast("float*") long p, @Cast("const float*") long g,
            @Cast("float*") long m, @Cast("float*") long v, long n, float lr, float beta1, float beta2, float eps,
            float weightDecay, long step);

    public static native int dml_sum_squares(int dev, @Cast("const float*") long x, long n, @Cast("float*") long out);
}
