package ai.diffiml.bench;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.ops.Conv;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link Conv#conv2d} with bias: forward alone (inference, no tape) and forward + backward (gradients of input,
 * weight and bias, as in training). Layers:
 * <ul>
 *   <li>{@code dense3x3_c128_64x64}: 3x3 128 -> 128 channels on 64x64, batch 1, the im2col + GEMM path;
 *   <li>{@code depthwise3x3_c1280_32x32}: the Mix Transformer's 3x3 depthwise conv on 1280 channels at 32x32,
 *       batch 1, the direct depthwise kernel;
 *   <li>{@code stem3x3_c32_128x128_b8}: the noise stem's second conv, 3x3 32 -> 32 on 128x128, batch 8 (the
 *       default training preset);
 *   <li>{@code fine3x3_c64_32x32_b8}: the auxiliary read-out's 3x3 64 -> 64 at 1/4 of 128 px, batch 8;
 *   <li>{@code embed7x7s4_c32_128x128_b8}: the noise stem's 7x7 stride-4 projection 32 -> 32 from 128x128, batch 8;
 *   <li>{@code mitembed7x7s4_c3_128x128_b8}: the MiT-b0's first patch embedding 3 -> 32 from 128x128, batch 8.
 * </ul>
 * {@code path}: {@code auto} (what the library picks), {@code direct} (the direct 3x3 or 7x7 kernel, CPU with
 * AVX-512) or {@code im2col} (im2col + GEMM, the reference): run both on one layer for the ratio. {@code colBudget}: the
 * im2col buffer in floats ({@code default}: {@link Conv#colBudget()} as shipped).
 * Each invocation allocates its output and gradients (as a model step does) and frees them in the same
 * invocation; on CUDA it ends with a device synchronize, so the time covers the queued kernels.
 */
public class ConvBenchmark extends Bench {
    @Param({"cpu", "cuda"})
    public String device;

    @Param({"dense3x3_c128_64x64", "depthwise3x3_c1280_32x32", "stem3x3_c32_128x128_b8", "fine3x3_c64_32x32_b8",
        "embed7x7s4_c32_128x128_b8", "mitembed7x7s4_c3_128x128_b8"})
    public String layer;

    @Param({"auto"})
    public String path;

    @Param({"default"})
    public String colBudget;

    private Device dev;
    private Tensor x, w, bias, gradOut;
    private int groups, stride, pad;

    /** A layer: input [n, c, h, w], o output channels, k x k kernel. */
    record Layer(int c, int h, int w, int groups, int n, int o, int k, int stride, int pad) {}

    static Layer layer(String name) {
        return switch (name) {
            case "dense3x3_c128_64x64" -> new Layer(128, 64, 64, 1, 1, 128, 3, 1, 1);
            case "depthwise3x3_c1280_32x32" -> new Layer(1280, 32, 32, 1280, 1, 1280, 3, 1, 1);
            case "stem3x3_c32_128x128_b8" -> new Layer(32, 128, 128, 1, 8, 32, 3, 1, 1);
            case "fine3x3_c64_32x32_b8" -> new Layer(64, 32, 32, 1, 8, 64, 3, 1, 1);
            case "embed7x7s4_c32_128x128_b8" -> new Layer(32, 128, 128, 1, 8, 32, 7, 4, 3);
            case "mitembed7x7s4_c3_128x128_b8" -> new Layer(3, 128, 128, 1, 8, 32, 7, 4, 3);
            default -> throw new IllegalArgumentException("unknown layer " + name);
        };
    }

    private long savedBudget;
    private Conv.Direct savedDirect;

    @Setup(Level.Trial)
    public void setup() {
        dev = device(device);
        Layer l = layer(layer);
        groups = l.groups();
        stride = l.stride();
        pad = l.pad();
        savedDirect = Conv.direct();
        Conv.direct(switch (path) {
            case "auto" -> Conv.Direct.AUTO;
            case "direct" -> Conv.Direct.ON;
            case "im2col" -> Conv.Direct.OFF;
            default -> throw new IllegalArgumentException("path " + path + ": expected auto, direct or im2col");
        });
        savedBudget = Conv.colBudget();
        if (!colBudget.equals("default")) {
            Conv.colBudget(Long.parseLong(colBudget));
        }
        x = random(dev, 1, l.n(), l.c(), l.h(), l.w()).requiresGrad(true);
        w = random(dev, 2, l.o(), l.c() / groups, l.k(), l.k()).requiresGrad(true);
        bias = random(dev, 3, l.o()).requiresGrad(true);
        int oh = (l.h() + 2 * pad - l.k()) / stride + 1, ow = (l.w() + 2 * pad - l.k()) / stride + 1;
        gradOut = random(dev, 4, l.n(), l.o(), oh, ow);
    }

    @Benchmark
    public void forward() {
        try (GradMode.Guard noGrad = GradMode.disabled(); Scope s = Scope.open()) {
            Conv.conv2d(x, w, bias, stride, stride, pad, pad, groups);
            Backends.synchronize(dev);
        }
    }

    @Benchmark
    public void forwardBackward() {
        try (Scope s = Scope.open()) {
            Tensor y = Conv.conv2d(x, w, bias, stride, stride, pad, pad, groups);
            Tape.backward(y, gradOut);
            Backends.synchronize(dev);
        }
        for (Tensor t : new Tensor[] {x, w, bias}) {
            t.grad().close();
            t.setGrad(null);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Conv.colBudget(savedBudget);
        Conv.direct(savedDirect);
        close(x, w, bias, gradOut);
    }
}
