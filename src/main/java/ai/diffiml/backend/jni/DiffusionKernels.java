package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of {@code native/include/diffiml/diffusion.h}. */
@Properties(inherit = NativeLibrary.class)
public final class DiffusionKernels {
    static {
        Loader.load();
    }

    private DiffusionKernels() {}

    public static native int dml_diffusion_noise(int dev, @Cast("const float*") long y0, @Cast("const float*") long xi,
            @Cast("const float*") long eps, @Cast("const float*") long a, @Cast("const float*") long s,
            @Cast("float*") long yT, long batch, long inner, float gamma);

    public static native int dml_ddim_step(int dev, @Cast("const float*") long yT, @Cast("const float*") long x0,
            @Cast("float*") long yPrev, long n, float sqrtAbarT, float sqrt1mAbarT, float sqrtAbarPrev,
            float sqrt1mAbarPrev, int clip);
}
