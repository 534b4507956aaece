package ai.diffiml.bench;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.ops.Attention;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link Attention#multiHead} on the CPU: forward alone (inference, no tape) and forward + backward (gradients of
 * q, k and v, as in training), on the models' shapes:
 * <ul>
 *   <li>{@code unet_mid_512}: the UNet's mid attention at 512 px, batch 1: 4096 tokens, 16 heads of 8 dims;
 *   <li>{@code unet_mid_128_b8}: the same at the default preset's 128 px and batch 8: 256 tokens;
 *   <li>{@code mit_b3_stage1_512}: the Mix Transformer's first stage at 512 px (16384 queries against the 256 keys of
 *       its spatial reduction: MiT-b3 has 64 channels in one head there);
 *   <li>{@code mit_b0_stage1_128_b8}: MiT-b0's first stage at 128 px, batch 8: 1024 queries, 16 keys, one head of 32.
 * </ul>
 * {@code path}: {@code gemm} (batched GEMMs + softmax, the probabilities stored: the reference) or {@code fused} (the
 * vectorised fused kernel, AVX-512F); run both on one shape for the ratio.
 */
public class AttentionBenchmark extends Bench {
    @Param({"unet_mid_512", "unet_mid_128_b8", "mit_b3_stage1_512", "mit_b0_stage1_128_b8"})
    public String shape;

    @Param({"gemm", "fused"})
    public String path;

    private Tensor q, k, v, gradOut;
    private int heads;

    /** {B, Lq, Lk, heads, head dim} of a shape name. */
    static int[] sizes(String shape) {
        return switch (shape) {
            case "unet_mid_512" -> new int[] {1, 4096, 4096, 16, 8};
            case "unet_mid_128_b8" -> new int[] {8, 256, 256, 16, 8};
            case "mit_b3_stage1_512" -> new int[] {1, 16384, 256, 1, 64};
            case "mit_b0_stage1_128_b8" -> new int[] {8, 1024, 16, 1, 32};
            default -> throw new IllegalArgumentException("unknown shape " + shape);
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        int[] s = sizes(shape);
        heads = s[3];
        int c = heads * s[4];
        Attention.cpuPath(switch (path) {
            case "gemm" -> Attention.CpuPath.GEMM;
            case "fused" -> Attention.CpuPath.FUSED;
            default -> throw new IllegalArgumentException("path " + path + ": expected gemm or fused");
        });
        if (path.equals("fused") && !Attention.cpuVectorSupported(s[4])) {
            throw new IllegalStateException("this CPU has no vectorised attention kernel (AVX-512F)");
        }
        q = random(Device.CPU, 1, s[0], s[1], c).requiresGrad(true);
        k = random(Device.CPU, 2, s[0], s[2], c).requiresGrad(true);
        v = random(Device.CPU, 3, s[0], s[2], c).requiresGrad(true);
        gradOut = random(Device.CPU, 4, s[0], s[1], c);
    }

    @Benchmark
    public void forward() {
        try (GradMode.Guard noGrad = GradMode.disabled(); Scope s = Scope.open()) {
            Attention.multiHead(q, k, v, heads);
        }
    }

    @Benchmark
    public void forwardBackward() {
        try (Scope s = Scope.open()) {
            Tape.backward(Attention.multiHead(q, k, v, heads), gradOut);
        }
        for (Tensor t : new Tensor[] {q, k, v}) {
            t.grad().close();
            t.setGrad(null);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Attention.cpuPath(Attention.CpuPath.AUTO);
        close(q, k, v, gradOut);
    }
}
