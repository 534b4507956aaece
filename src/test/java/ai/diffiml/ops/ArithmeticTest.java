package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class ArithmeticTest {
    @Test
    void addAndMulMatchReference() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(1);
            Tensor a = r.tensor(3, 5, 7), b = r.tensor(3, 5, 7);
            float[] av = a.toArray(), bv = b.toArray();
            double[] sum = new double[av.length], prod = new double[av.length];
            for (int i = 0; i < av.length; i++) {
                sum[i] = (double) av[i] + bv[i];
                prod[i] = (double) av[i] * bv[i];
            }
            assertClose("add", Arithmetic.add(a, b).toArray(), sum, 1e-7);
            assertClose("mul", Arithmetic.mul(a, b).toArray(), prod, 1e-7);
            assertClose("scale", Arithmetic.scale(a, -2.5f).toArray(), scaled(av, -2.5), 1e-7);
        }
    }

    @Test
    void maximumMatchesReferenceAndRoutesGradientsToTheLarger() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(6);
            float[] av = r.uniform(3 * 7 * 5, -1, 1), gap = r.uniform(av.length, 0.05, 1);
            float[] bv = new float[av.length];
            for (int i = 0; i < av.length; i++) {
                // keep the operands at least 0.05 apart so finite differences never cross a tie
                bv[i] = av[i] + (r.nextBoolean() ? gap[i] : -gap[i]);
            }
            Tensor a = Tensor.of(ai.diffiml.backend.Device.CPU, av, 3, 7, 5).requiresGrad(true);
            Tensor b = Tensor.of(ai.diffiml.backend.Device.CPU, bv, 3, 7, 5).requiresGrad(true);
            double[] expected = new double[av.length];
            for (int i = 0; i < av.length; i++) {
                expected[i] = Math.max(av[i], bv[i]);
            }
            assertClose("maximum", Arithmetic.maximum(a, b).toArray(), expected, 0);
            ai.diffiml.autograd.Tape.clear();
            new GradCheck().check("maximum", in -> Arithmetic.maximum(in[0], in[1]), a, b);
            Tensor tie = Tensor.of(ai.diffiml.backend.Device.CPU, new float[] {1, 2}, 2).requiresGrad(true);
            Tensor same = Tensor.of(ai.diffiml.backend.Device.CPU, new float[] {1, 3}, 2).requiresGrad(true);
            ai.diffiml.autograd.Tape.backward(Arithmetic.maximum(tie, same),
                    Tensor.of(ai.diffiml.backend.Device.CPU, new float[] {5, 7}, 2));
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {5, 0}, tie.grad().toArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0, 7}, same.grad().toArray());
        }
    }

    @Test
    void broadcastAlongAxisMatchesReference() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            int n = 2, c = 5, h = 3, w = 7;
            Tensor x = r.tensor(n, c, h, w), v = r.tensor(c), lead = r.tensor(n, c);
            float[] xv = x.toArray(), vv = v.toArray(), lv = lead.toArray();
            double[] add = new double[xv.length], mul = new double[xv.length], addLead = new double[xv.length];
            for (int i = 0; i < xv.length; i++) {
                int ch = (i / (h * w)) % c, nc = i / (h * w);
                add[i] = (double) xv[i] + vv[ch];
                mul[i] = (double) xv[i] * vv[ch];
                addLead[i] = (double) xv[i] + lv[nc];
            }
            assertClose("addAlong", Arithmetic.addAlong(x, v, 1).toArray(), add, 1e-7);
            assertClose("mulAlong", Arithmetic.mulAlong(x, v, 1).toArray(), mul, 1e-7);
            assertClose("addLeading", Arithmetic.addLeading(x, lead, 2).toArray(), addLead, 1e-7);
        }
    }

    /**
     * Same-shape and last-axis operands (inner size 1: the row-tiled path) on sizes past the threading threshold and
     * the 4096-element tile, odd: forward and both gradients element for element, exactly (each is one float
     * operation), and the last-axis broadcast's summed gradient against double.
     */
    @Test
    void elementwiseAndLastAxisPathsAreExactOnLargeOddSizes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(11);
            int n = 70_001;
            float[] av = r.uniform(n, -2, 2), bv = r.uniform(n, -2, 2), g = r.uniform(n, -1, 1);
            Tensor dy = Tensor.of(ai.diffiml.backend.Device.CPU, g, n);
            for (String op : new String[] {"add", "mul", "maximum"}) {
                Tensor a = Tensor.of(ai.diffiml.backend.Device.CPU, av, n).requiresGrad(true);
                Tensor b = Tensor.of(ai.diffiml.backend.Device.CPU, bv, n).requiresGrad(true);
                Tensor y = switch (op) {
                    case "add" -> Arithmetic.add(a, b);
                    case "mul" -> Arithmetic.mul(a, b);
                    default -> Arithmetic.maximum(a, b);
                };
                float[] got = y.toArray();
                ai.diffiml.autograd.Tape.backward(y, dy);
                float[] ga = a.grad().toArray(), gb = b.grad().toArray();
                for (int i = 0; i < n; i++) {
                    boolean left = av[i] >= bv[i];
                    float want = switch (op) {
                        case "add" -> av[i] + bv[i];
                        case "mul" -> av[i] * bv[i];
                        default -> left ? av[i] : bv[i];
                    };
                    float wa = switch (op) {
                        case "add" -> g[i];
                        case "mul" -> g[i] * bv[i];
                        default -> left ? g[i] : 0f;
                    };
                    float wb = switch (op) {
                        case "add" -> g[i];
                        case "mul" -> g[i] * av[i];
                        default -> left ? 0f : g[i];
                    };
                    if (got[i] != want || ga[i] != wa || gb[i] != wb) {
                        throw new AssertionError(op + " at " + i + ": y " + got[i] + " / " + want + ", da " + ga[i]
                                + " / " + wa + ", db " + gb[i] + " / " + wb);
                    }
                }
            }
            int rows = 9, c = 4099; // a row longer than one tile
            float[] xv = r.uniform(rows * c, -1, 1), vv = r.uniform(c, -1, 1), gr = r.uniform(rows * c, -1, 1);
            Tensor x = Tensor.of(ai.diffiml.backend.Device.CPU, xv, rows, c).requiresGrad(true);
            Tensor v = Tensor.of(ai.diffiml.backend.Device.CPU, vv, c).requiresGrad(true);
            Tensor y = Arithmetic.mulAlong(x, v, 1);
            float[] got = y.toArray();
            ai.diffiml.autograd.Tape.backward(y, Tensor.of(ai.diffiml.backend.Device.CPU, gr, rows, c));
            float[] gx = x.grad().toArray();
            double[] gv = new double[c];
            for (int i = 0; i < rows * c; i++) {
                if (got[i] != xv[i] * vv[i % c] || gx[i] != gr[i] * vv[i % c]) {
                    throw new AssertionError("mulAlong last axis at " + i);
                }
                gv[i % c] += (double) gr[i] * xv[i];
            }
            assertClose("mulAlong last-axis dv", v.grad().toArray(), gv, 1e-6);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(3);
            Tensor a = r.param(3, 4, 5), b = r.param(3, 4, 5), v = r.param(4), lead = r.param(3, 4);
            GradCheck gc = new GradCheck();
            gc.check("add", in -> Arithmetic.add(in[0], in[1]), a, b);
            gc.check("mul", in -> Arithmetic.mul(in[0], in[1]), a, b);
            gc.check("scale", in -> Arithmetic.scale(in[0], 1.7f), a);
            gc.check("addAlong", in -> Arithmetic.addAlong(in[0], in[1], 1), a, v);
            gc.check("mulAlong", in -> Arithmetic.mulAlong(in[0], in[1], 1), a, v);
            gc.check("addLeading", in -> Arithmetic.addLeading(in[0], in[1], 2), a, lead);
            // One tensor used twice: gradients of both uses must add up.
            gc.check("mul(x, x)", in -> Arithmetic.mul(in[0], in[0]), a);
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            Tensor a = r.param(3, 17, 31), b = r.param(3, 17, 31), v = r.param(17), lead = r.param(3, 17);
            DeviceParity.check("add", in -> Arithmetic.add(in[0], in[1]), a, b);
            DeviceParity.check("mul", in -> Arithmetic.mul(in[0], in[1]), a, b);
            DeviceParity.check("mulAlong", in -> Arithmetic.mulAlong(in[0], in[1], 1), a, v);
            DeviceParity.check("addLeading", in -> Arithmetic.addLeading(in[0], in[1], 2), a, lead);
            DeviceParity.check("scale", in -> Arithmetic.scale(in[0], 0.3f), a);
            DeviceParity.check("maximum", in -> Arithmetic.maximum(in[0], in[1]), a, b);
        }
    }

    private static double[] scaled(float[] a, double k) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] * k;
        }
        return d;
    }
}
