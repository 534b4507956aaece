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
 * {@link Conv#conv2d} with bias, batch 1, stride 1, padding 1: forward alone (inference, no tape) and forward +
 * backward (gradients of input, weight and bias, as in training). Layers:
 * <ul>
 *   <li>{@code dense3x3_c128_64x64}: 3x3 128 -> 128 channels on 64x64, the im2col + GEMM path;
 *   <li>{@code depthwise3x3_c1280_32x32}: the Mix Transformer's 3x3 depthwise conv on 1280 channels at 32x32,
 *       the direct depthwise kernel.
 * </ul>
 * Each invocation allocates its output and gradients (as a model step does) and frees them in the same
 * invocation; on CUDA it ends with a device synchronize, so the time covers the queued kernels.
 */
public class ConvBenchmark extends Bench {
    @Param({"cpu", "cuda"})
    public String device;

    @Param({"dense3x3_c128_64x64", "depthwise3x3_c1280_32x32"})
    public String layer;

    private Device dev;
    private Tensor x, w, bias, gradOut;
    private int groups;

    /** Input [1, C, H, W], weight and groups of a layer name. */
    static int[] layerShape(String layer) {
        switch (layer) {
            case "dense3x3_c128_64x64":
                return new int[] {128, 64, 64, 1};
            case "depthwise3x3_c1280_32x32":
                return new int[] {1280, 32, 32, 1280};
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
        x = random(dev, 1, 1, c, h, wd).requiresGrad(true);
        w = random(dev, 2, c, c / groups, 3, 3).requiresGrad(true);
        bias = random(dev, 3, c).requiresGrad(true);
        gradOut = random(dev, 4, 1, c, h, wd);
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
