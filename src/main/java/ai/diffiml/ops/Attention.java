package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Blas;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.AttentionKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;

/**
 * Multi-head scaled-dot-product attention on token layout, built from batched GEMMs and the softmax kernel.
 *
 * <p>Head h of a [B, L, C] tensor is the column block [h*D, (h+1)*D) of every token (D = C / heads): a
 * row-major L x D matrix with leading dimension C, and consecutive heads are D floats apart. So every
 * per-head product is one {@link Blas#gemmBatched} call per sample (batch = heads, matrix stride D, leading
 * dimension C) and no permute is needed.
 *
 * <p>Memory: the attention probabilities, B * heads * Lq * Lk floats, are materialised. With the tape
 * recording they are kept from the forward to the backward, and the backward allocates one more buffer of the
 * same size (the score gradient) while it runs; without the tape they are freed before the forward returns.
 * E.g. the Mix Transformer's first stage at 512 x 512 (Lq = 128 * 128, spatial reduction 8, Lk = 256, one
 * head) keeps 4 Mi floats = 16 MiB per image.
 *
 * <p>On CUDA, for head dims the fused kernel has (8, 16, 32, 64: {@code dml_attention_supported}), the
 * flash-style kernel of {@link #fused} runs instead: online softmax, no probability tensor, the backward
 * recomputes the probabilities from a saved log-sum-exp ([B, heads, Lq] floats). The UNet's mid-block attention
 * at 512 px (16 heads, 4096 x 4096) thus never writes its 1 GiB score tensor per chain. {@code
 * -Ddiffiml.fusedAttention=false} keeps CUDA on the GEMM path. Status of the CUDA kernel: compiled, not yet run
 * on a GPU; its CPU twin (the same algorithm) is tested against the GEMM path.
 *
 * <p>On the CPU, for the same head dims and with AVX-512F, {@link #cpuVectorised} runs instead (see {@link CpuPath}):
 * the same algorithm, tiled and vectorised (4 query rows against blocks of 64 keys in registers).
 */
public final class Attention {
    private static final boolean FUSED_ON_CUDA =
            Boolean.parseBoolean(System.getProperty("diffiml.fusedAttention", "true"));

    private Attention() {}

    /** Whether {@link #multiHead} takes the fused kernel on {@code device} for heads of {@code headDim}. */
    public static boolean usesFused(Device device, int headDim) {
        return device == Device.CUDA && FUSED_ON_CUDA
                && AttentionKernels.dml_attention_supported(device.code, headDim) == 1;
    }

    /**
     * The same function as {@link #multiHead} through the fused kernel of {@code q}'s device (on the CPU its
     * scalar twin, which exists to test the algorithm; {@link #cpuVectorised} is the CPU's fast one). Gradients for
     * q, k and v.
     */
    public static Tensor fused(Tensor q, Tensor k, Tensor v, int heads) {
        Dims dm = Dims.of(q, k, v, heads);
        Device device = q.device();
        if (AttentionKernels.dml_attention_supported(device.code, dm.d) != 1) {
            throw new IllegalArgumentException("fused attention: no " + device + " kernel for head dim " + dm.d
                    + " (q " + q.describe() + ", " + heads + " heads)");
        }
        return fused(Kernel.DEVICE, q, k, v, dm, "fused attention");
    }

    /**
     * The same function through the CPU's vectorised fused kernel (AVX-512F, head dims 8, 16, 32 and 64: {@link
     * #cpuVectorSupported}): tiles of 4 query rows against blocks of 64 keys, online softmax, no probability tensor.
     */
    public static Tensor cpuVectorised(Tensor q, Tensor k, Tensor v, int heads) {
        Dims dm = Dims.of(q, k, v, heads);
        if (q.device() != Device.CPU || !cpuVectorSupported(dm.d)) {
            throw new IllegalArgumentException("vectorised CPU attention: needs CPU tensors, AVX-512F and head dim 8,"
                    + " 16, 32 or 64; got q " + q.describe() + " on " + q.device() + ", " + heads + " heads");
        }
        return fused(Kernel.CPU_VECTOR, q, k, v, dm, "vectorised CPU attention");
    }

    /** Whether this CPU has the vectorised fused kernel for heads of {@code headDim}. */
    public static boolean cpuVectorSupported(int headDim) {
        return AttentionKernels.dml_attention_cpu_vector_supported(headDim) == 1;
    }

    /**
     * How {@link #multiHead} runs on the CPU: AUTO takes the vectorised fused kernel (head dims 8, 16, 32, 64 with
     * AVX-512F) where it measured faster ({@link #cpuFusedWins}), FUSED wherever it exists, GEMM never (the GEMM path
     * is the reference the tests compare against). {@code -Ddiffiml.cpuAttention=auto|fused|gemm} sets it for a run.
     */
    public enum CpuPath { AUTO, FUSED, GEMM }

    private static volatile CpuPath cpuPath = CpuPath.valueOf(
            System.getProperty("diffiml.cpuAttention", "auto").toUpperCase(java.util.Locale.ROOT));

    public static void cpuPath(CpuPath path) {
        cpuPath = java.util.Objects.requireNonNull(path, "path");
    }

    public static CpuPath cpuPath() {
        return cpuPath;
    }

    /** The two fused kernels {@link #fused(Kernel, Tensor, Tensor, Tensor, Dims, String)} can call. */
    private enum Kernel { DEVICE, CPU_VECTOR }

    private static Tensor fused(Kernel kernel, Tensor q, Tensor k, Tensor v, Dims dm, String name) {
        Device device = q.device();
        String what = name + " q " + q.describe() + " k " + k.describe() + " v " + v.describe() + " heads "
                + dm.heads;
        float scale = (float) (1.0 / Math.sqrt(dm.d));
        Tensor out = Tensor.empty(device, dm.b, dm.lq, dm.c);
        Tensor lse = Tensor.empty(device, dm.b, dm.heads, dm.lq);
        Native.check(kernel == Kernel.DEVICE
                ? AttentionKernels.dml_attention_forward(device.code, q.address(), k.address(), v.address(),
                        out.address(), lse.address(), dm.b, dm.heads, dm.lq, dm.lk, dm.d, scale)
                : AttentionKernels.dml_attention_cpu_vector_forward(q.address(), k.address(), v.address(),
                        out.address(), lse.address(), dm.b, dm.heads, dm.lq, dm.lk, dm.d, scale), what);
        if (!Tape.wants(q, k, v)) {
            lse.close();
            return out;
        }
        Tape.record(kernel == Kernel.DEVICE ? "fusedAttention" : "cpuFusedAttention", out, new Tensor[] {q, k, v},
                (dOut, grads) -> {
            NormSupport.GradBuffers g = new NormSupport.GradBuffers(grads, q, k, v);
            try (Tensor delta = Tensor.detachedEmpty(device, dm.b, dm.heads, dm.lq)) {
                Native.check(kernel == Kernel.DEVICE
                        ? AttentionKernels.dml_attention_backward(device.code, q.address(), k.address(),
                                v.address(), out.address(), dOut.address(), lse.address(), delta.address(),
                                g.address(0), g.address(1), g.address(2), dm.b, dm.heads, dm.lq, dm.lk, dm.d, scale)
                        : AttentionKernels.dml_attention_cpu_vector_backward(q.address(), k.address(), v.address(),
                                out.address(), dOut.address(), lse.address(), delta.address(), g.address(0),
                                g.address(1), g.address(2), dm.b, dm.heads, dm.lq, dm.lk, dm.d, scale),
                        what + " backward");
            }
            g.deliver();
        });
        return out;
    }

    /**
     * {@code out_h = softmax(q_h k_h^T / sqrt(D)) v_h} for every head h, heads concatenated back along C.
     * q: [B, Lq, C]; k, v: [B, Lk, C] (Lk may differ from Lq, as in spatial-reduction attention); out:
     * [B, Lq, C]; C must be divisible by {@code heads}. Gradients for q, k and v.
     */
    public static Tensor multiHead(Tensor q, Tensor k, Tensor v, int heads) {
        Dims dm = Dims.of(q, k, v, heads);
        Device device = q.device();
        if (usesFused(device, dm.d)) {
            return fused(q, k, v, heads);
        }
        if (device == Device.CPU && cpuPath != CpuPath.GEMM && cpuVectorSupported(dm.d)
                && (cpuPath == CpuPath.FUSED || cpuFusedWins(dm.lk, dm.d, Tape.wants(q, k, v)))) {
            return fused(Kernel.CPU_VECTOR, q, k, v, dm, "vectorised CPU attention");
        }
        Blas blas = Backends.blas(device);
        String what = "multiHead q " + q.describe() + " k " + k.describe() + " v " + v.describe() + " heads " + heads;
        float scale = (float) (1.0 / Math.sqrt(dm.d));
        Tensor probs = Tensor.empty(device, dm.b, heads, dm.lq, dm.lk);
        Tensor out = Tensor.empty(device, dm.b, dm.lq, dm.c);
        for (int i = 0; i < dm.b; i++) {
            // S_h = scale * Q_h K_h^T: [Lq, Lk] per head.
            blas.gemmBatched(false, true, dm.lq, dm.lk, dm.d, scale, q.address() + dm.q(i), dm.c, dm.d,
                    k.address() + dm.kv(i), dm.c, dm.d, 0f, probs.address() + dm.p(i), dm.lk, dm.pStride(), heads);
        }
        Softmax.forward(device, probs.address(), probs.address(), dm.rows(), dm.lk, what);
        for (int i = 0; i < dm.b; i++) {
            // O_h = P_h V_h: [Lq, D] per head, written into the head's columns of out.
            blas.gemmBatched(false, false, dm.lq, dm.d, dm.lk, 1f, probs.address() + dm.p(i), dm.lk, dm.pStride(),
                    v.address() + dm.kv(i), dm.c, dm.d, 0f, out.address() + dm.q(i), dm.c, dm.d, heads);
        }
        if (!Tape.wants(q, k, v)) {
            probs.close();
            return out;
        }
        Tape.record("multiHead", out, new Tensor[] {q, k, v}, (dOut, grads) -> {
            NormSupport.GradBuffers g = new NormSupport.GradBuffers(grads, q, k, v);
            Tensor dq = g.get(0), dk = g.get(1), dv = g.get(2);
            Tensor ds = dq != null || dk != null ? Tensor.empty(device, dm.b, heads, dm.lq, dm.lk) : null;
            for (int i = 0; i < dm.b; i++) {
                long p = probs.address() + dm.p(i), go = dOut.address() + dm.q(i);
                if (dv != null) {
                    // dV_h = P_h^T dO_h: [Lk, D].
                    blas.gemmBatched(true, false, dm.lk, dm.d, dm.lq, 1f, p, dm.lk, dm.pStride(), go, dm.c, dm.d, 0f,
                            dv.address() + dm.kv(i), dm.c, dm.d, heads);
                }
                if (ds != null) {
                    // dP_h = dO_h V_h^T: [Lq, Lk].
                    blas.gemmBatched(false, true, dm.lq, dm.lk, dm.d, 1f, go, dm.c, dm.d, v.address() + dm.kv(i),
                            dm.c, dm.d, 0f, ds.address() + dm.p(i), dm.lk, dm.pStride(), heads);
                }
            }
            if (ds != null) {
                // dS = P * (dP - rowsum(dP * P)), in place.
                Softmax.backward(device, probs.address(), ds.address(), ds.address(), dm.rows(), dm.lk,
                        what + " backward");
                for (int i = 0; i < dm.b; i++) {
                    long s = ds.address() + dm.p(i);
                    if (dq != null) {
                        // dQ_h = scale * dS_h K_h: [Lq, D].
                        blas.gemmBatched(false, false, dm.lq, dm.d, dm.lk, scale, s, dm.lk, dm.pStride(),
                                k.address() + dm.kv(i), dm.c, dm.d, 0f, dq.address() + dm.q(i), dm.c, dm.d, heads);
                    }
                    if (dk != null) {
                        // dK_h = scale * dS_h^T Q_h: [Lk, D].
                        blas.gemmBatched(true, false, dm.lk, dm.d, dm.lq, scale, s, dm.lk, dm.pStride(),
                                q.address() + dm.q(i), dm.c, dm.d, 0f, dk.address() + dm.kv(i), dm.c, dm.d, heads);
                    }
                }
                ds.close();
            }
            g.deliver();
        });
        return out;
    }

    /**
     * Where the vectorised fused kernel beat the GEMM path in {@code AttentionBenchmark} (benchmarks/RESULTS.md,
     * 2026-12-04, 2 threads): forward alone with at least one block of 64 keys (the UNet's mid attention at 512 px
     * 6.8x, MiT-b3's first stage 2.1x; with 16 keys, MiT-b0 at 128 px, 1.1x slower); with the backward only for the
     * UNet's 8-dim heads (3.4x at 512 px, 3.8x at 128 px), while for MiT's 32- and 64-dim heads over long query
     * rows the fused backward (its dK/dV pass streams all queries for every 4 keys) is 2x slower.
     */
    static boolean cpuFusedWins(int lk, int headDim, boolean backward) {
        return lk >= 64 && (!backward || headDim == 8);
    }

    /** Sizes of one call and the byte offsets of sample i in q/out, k/v and the probabilities. */
    private record Dims(int b, int lq, int lk, int c, int heads, int d) {
        static Dims of(Tensor q, Tensor k, Tensor v, int heads) {
            Shapes.requireRank("multiHead q", q, 3);
            Shapes.requireRank("multiHead k", k, 3);
            Shapes.requireRank("multiHead v", v, 3);
            Shapes.requireSameDevice("multiHead", q, k, v);
            if (!Arrays.equals(k.shape(), v.shape()) || k.dim(0) != q.dim(0) || k.dim(2) != q.dim(2)) {
                throw new IllegalArgumentException("multiHead: expected q [B, Lq, C] and k, v [B, Lk, C], got q "
                        + q.describe() + ", k " + k.describe() + ", v " + v.describe());
            }
            int c = q.dim(2);
            if (heads < 1 || c % heads != 0) {
                throw new IllegalArgumentException("multiHead: " + c + " channels of q " + q.describe()
                        + " cannot be split into " + heads + " heads");
            }
            if (q.numel() == 0 || k.numel() == 0) {
                throw new IllegalArgumentException("multiHead: empty input, q " + q.describe() + ", k " + k.describe());
            }
            return new Dims(q.dim(0), q.dim(1), k.dim(1), c, heads, c / heads);
        }

        long q(int i) {
            return 4L * i * lq * c;
        }

        long kv(int i) {
            return 4L * i * lk * c;
        }

        long pStride() {
            return (long) lq * lk;
        }

        long p(int i) {
            return 4L * i * heads * pStride();
        }

        /** Rows of the probabilities: one softmax over Lk per (sample, head, query). */
        long rows() {
            return (long) b * heads * lq;
        }
    }
}
