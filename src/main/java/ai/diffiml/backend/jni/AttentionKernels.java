package ai.diffiml.backend.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Properties;

/** Binding of {@code native/include/diffiml/attention.h} (fused multi-head attention). */
@Properties(inherit = NativeLibrary.class)
public final class AttentionKernels {
    static {
        Loader.load();
    }

    private AttentionKernels() {}

    public static native int dml_attention_supported(int dev, long headDim);

    public static native int dml_attention_forward(int dev, @Cast("const float*") long q, @Cast("const float*") long k,
            @Cast("const float*") long v, @Cast("float*") long out, @Cast("float*") long lse, long batch, long heads,
            long lq, long lk, long headDim, float scale);

    public static native int dml_attention_backward(int dev, @Cast("const float*") long q, @Cast("const float*") long k,
            @Cast("const float*") long v, @Cast("const float*") long out, @Cast("const float*") long dout,
            @Cast("const float*") long lse, @Cast("float*") long delta, @Cast("float*") long dq, @Cast("float*") long dk,
            @Cast("float*") long dv, long batch, long heads, long lq, long lk, long headDim, float scale);

    public static native int dml_attention_cpu_vector_supported(long headDim);

    public static native int dml_attention_cpu_vector_forward(@Cast("const float*") long q,
            @Cast("const float*") long k, @Cast("const float*") long v, @Cast("float*") long out,
            @Cast("float*") long lse, long batch, long heads, long lq, long lk, long headDim, float scale);

    public static native int dml_attention_cpu_vector_backward(@Cast("const float*") long q,
            @Cast("const float*") long k, @Cast("const float*") long v, @Cast("const float*") long out,
            @Cast("const float*") long dout, @Cast("const float*") long lse, @Cast("float*") long delta,
            @Cast("float*") long dq, @Cast("float*") long dk, @Cast("float*") long dv, long batch, long heads, long lq,
            long lk, long headDim, float scale);
}
