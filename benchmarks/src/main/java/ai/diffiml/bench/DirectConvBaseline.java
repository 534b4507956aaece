package ai.diffiml.bench;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Baseline for {@link ConvBenchmark#forward} on the CPU: the same layers (bias, stride 1, padding 1) as a naive
 * direct convolution in plain Java over float arrays, output channels spread over all cores (parallel stream),
 * taps and input channels in the innermost loops. Only the ratio to the library's forward in the same run means
 * anything; this is not something the library runs.
 */
public class DirectConvBaseline extends Bench {
    @Param({"dense3x3_c128_64x64", "depthwise3x3_c1280_32x32"})
    public String layer;

    private int c, h, w, groups;
    private float[] x, wt, bias, y;

    @Setup(Level.Trial)
    public void setup() {
        ConvBenchmark.Layer l = ConvBenchmark.layer(layer);
        c = l.c();
        h = l.h();
        w = l.w();
        groups = l.groups();
        SplittableRandom r = new SplittableRandom(1);
        x = fill(r, c * h * w);
        wt = fill(r, c * (c / groups) * 9);
        bias = fill(r, c);
        y = new float[c * h * w];
    }

    private static float[] fill(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * r.nextDouble() - 1);
        }
        return a;
    }

    @Benchmark
    public float[] directForward() {
        int cg = c / groups, og = c / groups;
        IntStream.range(0, c).parallel().forEach(o -> {
            int g = o / og;
            for (int r = 0; r < h; r++) {
                for (int q = 0; q < w; q++) {
                    float acc = bias[o];
                    for (int cl = 0; cl < cg; cl++) {
                        int ci = g * cg + cl;
                        for (int i = 0; i < 3; i++) {
                            int ih = r - 1 + i;
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            for (int j = 0; j < 3; j++) {
                                int iw = q - 1 + j;
                                if (iw >= 0 && iw < w) {
                                    acc += wt[((o * cg + cl) * 3 + i) * 3 + j] * x[(ci * h + ih) * w + iw];
                                }
                            }
                        }
                    }
                    y[(o * h + r) * w + q] = acc;
                }
            }
        });
        return y;
    }
}
