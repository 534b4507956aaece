package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ActivationsTest {
    enum Act {
        RELU(Activations::relu, x -> Math.max(0, x)),
        SILU(Activations::silu, x -> x / (1 + Math.exp(-x))),
        GELU(Activations::gelu, x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)))),
        SIGMOID(Activations::sigmoid, x -> 1 / (1 + Math.exp(-x))),
        TANH(Activations::tanh, Math::tanh),
        // log1p is defined for x > -1: its samples are shifted into [0.5, 8.5].
        LOG1P(Activations::log1p, Math::log1p, 4.5f),
        LOG_SIGMOID(Activations::logSigmoid, x -> -Math.log1p(Math.exp(-x)));

        final UnaryOperator<Tensor> op;
        final DoubleUnaryOperator reference;
        /** Added to the samples (drawn symmetric around 0) to keep them in the function's domain. */
        final float shift;

        Act(UnaryOperator<Tensor> op, DoubleUnaryOperator reference) {
            this(op, reference, 0);
        }

        Act(UnaryOperator<Tensor> op, DoubleUnaryOperator reference, float shift) {
            this.op = op;
            this.reference = reference;
            this.shift = shift;
        }
    }

    @ParameterizedTest
    @EnumSource(Act.class)
    void forwardMatchesDoubleReference(Act act) {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(1).tensorIn(-4 + act.shift, 4 + act.shift, 3, 7, 13);
            float[] xs = x.toArray();
            double[] expected = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                expected[i] = act.reference.applyAsDouble(xs[i]);
            }
            assertClose(act.name(), act.op.apply(x).toArray(), expected, 1e-6);
        }
    }

    @ParameterizedTest
    @EnumSource(Act.class)
    void gradientMatchesFiniteDifferences(Act act) {
        try (Scope s = Scope.open()) {
            // ReLU's kink: keep samples at least 0.05 from zero so the central difference never straddles it.
            float[] v = new Rand(2).uniform(5 * 9, 0.05, 3);
            Rand signs = new Rand(3);
            for (int i = 0; i < v.length; i++) {
                v[i] = (signs.nextBoolean() ? v[i] : -v[i]) + act.shift;
            }
            Tensor x = Tensor.of(ai.diffiml.backend.Device.CPU, v, 5, 9).requiresGrad(true);
            new GradCheck().eps(1e-3).samples(45).check(act.name(), in -> act.op.apply(in[0]), x);
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        for (Act act : Act.values()) {
            try (Scope s = Scope.open()) {
                Tensor x = new Rand(4).tensorIn(-4 + act.shift, 4 + act.shift, 3, 17, 31).requiresGrad(true);
                DeviceParity.check(act.name(), in -> act.op.apply(in[0]), x);
            }
        }
    }

    /**
     * GELU on a tensor large enough for the threaded vector path (AVX-512 where present) with a partial last vector,
     * against double precision: forward and gradient, and in the left tail (down to -12, where x Phi(x) ~ 1e-32)
     * element by element, where 1 + erf(x / sqrt 2) would cancel to zero.
     */
    @Test
    void geluMatchesDoubleOnLargeTensorsAndInItsTails() {
        float[] v = new Rand(5).uniform(40_003, -12, 12);
        float[] special = {-12f, -10f, -5f, -1e-3f, 0f, 1e-30f, -1e-30f, 5f, 10f, 12f};
        System.arraycopy(special, 0, v, 0, special.length);
        float[] g = new Rand(6).uniform(v.length, -1, 1);
        double[] y = new double[v.length];
        double[] dx = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double x = v[i];
            double cdf = 0.5 * erfc(-x / Math.sqrt(2));
            y[i] = x * cdf;
            dx[i] = g[i] * (cdf + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI));
        }
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(ai.diffiml.backend.Device.CPU, v, v.length).requiresGrad(true);
            Tensor out = Activations.gelu(x);
            float[] got = out.toArray();
            assertClose("gelu", got, y, 1e-6);
            ai.diffiml.autograd.Tape.backward(out, Tensor.of(ai.diffiml.backend.Device.CPU, g, g.length));
            assertClose("gelu gradient", x.grad().toArray(), dx, 1e-6);
            for (int i = 0; i < v.length; i++) {
                if (v[i] < -1) {
                    double rel = Math.abs(got[i] - y[i]) / Math.abs(y[i]);
                    // 3e-5: near x = -12 the exponent -x^2 / 2 ~ -72 carries its float rounding (~1e-5 relative)
                    assertTrue(rel < 3e-5, "gelu(" + v[i] + ") = " + got[i] + ", expected " + y[i]);
                }
            }
        }
    }

    /**
     * SiLU on a tensor large enough for the threaded vector path (AVX-512 where present) with a partial last vector,
     * against double precision, forward and gradient, out to |x| = 100, where e^-x overflows a float.
     */
    @Test
    void siluMatchesDoubleOnLargeTensors() {
        float[] v = new Rand(7).uniform(40_003, -30, 30);
        float[] special = {-100f, -88.5f, -87f, -20f, -1e-3f, 0f, 1e-30f, 20f, 88.5f, 100f};
        System.arraycopy(special, 0, v, 0, special.length);
        float[] g = new Rand(8).uniform(v.length, -1, 1);
        double[] y = new double[v.length];
        double[] dx = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double x = v[i];
            double sig = 1 / (1 + Math.exp(-x));
            y[i] = x * sig;
            dx[i] = g[i] * sig * (1 + x * (1 - sig));
        }
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(ai.diffiml.backend.Device.CPU, v, v.length).requiresGrad(true);
            Tensor out = Activations.silu(x);
            float[] got = out.toArray();
            assertClose("silu", got, y, 1e-6);
            ai.diffiml.autograd.Tape.backward(out, Tensor.of(ai.diffiml.backend.Device.CPU, g, g.length));
            float[] grad = x.grad().toArray();
            assertClose("silu gradient", grad, dx, 1e-6);
            for (int i = 0; i < special.length; i++) {
                assertTrue(Math.abs(got[i] - y[i]) <= 1e-6 * Math.max(1, Math.abs(y[i])),
                        "silu(" + v[i] + ") = " + got[i] + ", expected " + y[i]);
                assertTrue(Math.abs(grad[i] - dx[i]) <= 1e-6, "silu'(" + v[i] + ") = " + grad[i] + ", expected "
                        + dx[i]);
            }
        }
    }

    /** erfc in double without cancellation for large positive x (the continued fraction), erfc = 1 - erf below 1. */
    static double erfc(double x) {
        if (x < 1) {
            return 1 - erf(x);
        }
        double f = 0;
        for (int k = 80; k >= 1; k--) {
            f = k / 2.0 / (x + f);
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
    }

    /** Abramowitz-Stegun 7.1.26 is too coarse (1e-7 abs); use the series / continued fraction in double. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
                if (Math.abs(term) < 1e-17) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // Continued fraction for erfc, accurate for large |x|.
            double f = 0;
            for (int k = 60; k >= 1; k--) {
                f = k / 2.0 / (ax + f);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}
