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
 * {@link Conv#conv2d} with bias, stride 1, padding 1: forward alone (inference, no tape) and forward +
 * backward (gradients of input, weight and bias, as in training). Layers:
 * <ul>
 *   <li>{@code dense3x3_c128_64x64}: 3x3 128 -> 128 channels on 64x64, batch 1, the im2col + GEMM path;
 *   <li>{@code depthwise3x3_c1280_32x32}: the Mix Transformer's 3x3 depthwise conv on 1280 channels at 32x32,
 *       batch 1, the direct depthwise kernel;
 *   <li>{@code stem3x3_c32_128x128_b8}: the noise stem's second conv, 3x3 32 -> 32 on 128x128, batch 8 (the
 *       default training preset).
 * </ul>
 * {@code path}: {@code auto} (what the library picks), {@code direct} (the direct 3x3 kernel, CPU with AVX-512)
 * or {@code im2col} (im2col + GEMM, the reference): run both on one layer for the ratio.
 * Each invocation allocates its output and gradients (as a model step does) and frees them in the same
 * invocation; on CUDA it ends with a device synchronize, so the time covers the queued kernels.
 */
public class ConvBenchmark extends Bench {
    @Param({"cpu", "cuda"})
    public String device;

    @Param({"dense3x3_c128_64x64", "depthwise3x3_c1280_32x32", "stem3x3_c32_128x128_b8"})
    public String layer;

    @Param({"auto"})
    public String path;

    private Device dev;
    private Tensor x, w, bias, gradOut;
    private int groups;

    /** Input [N, C, H, W] as {C, H, W, groups, N} of a layer name. */
    static int[] layerShape(String layer) {
        switch (layer) {
            case "dense3x3_c128_64x64":
                return new int[] {128, 64, 64, 1, 1};
            case "depthwise3x3_c1280_32x32":
                return new int[] {1280, 32, 32, 1280, 1};
            case "stem3x3_c32_128x128_b8":
                return new int[] {32, 128, 128, 1, 8};
            default:
                throw new IllegalArgumentException("unknown layer " + layer);
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        dev = device(device);
        int[] s = layerShape(layer);
        int c = s[0], h = s[1], wd = s[2];
        groups = s[3];
        int n = s[4];
        Conv.direct3x3(switch (path) {
            case "auto" -> Conv.Direct3x3.AUTO;
            case "direct" -> Conv.Direct3x3.ON;
            case "im2col" -> Conv.Direct3x3.OFF;
            default -> throw new IllegalArgumentException("path " + path + ": expected auto, direct or im2col");
        });
        x = random(dev, 1, n, c, h, wd).requiresGrad(true);
        w = random(dev, 2, c, c / groups, 3, 3).requiresGrad(true);
        bias = random(dev, 3, c).requiresGrad(true);
        gradOut = random(dev, 4, n, c, h, wd);
    }

    @Benchmark
    public void forward() {
        try (GradMode.Guard noGrad = GradMode.disabled(); Scope s = Scope.open()) {
            Conv.conv2d(x, w, bias, 1, 1, 1, 1, groups);
            Backends.synchronize(dev);
        }
    }

    @Benchmark
    public void forwardBackward() {
        try (Scope s = Scope.open()) {
            Tensor y = Conv.conv2d(x, w, bias, 1, 1, 1, 1, groups);
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
        close(x, w, bias, gradOut);
    }
}
