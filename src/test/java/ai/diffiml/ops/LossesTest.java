package ai.diffiml.ops;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.DeviceParity;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class LossesTest {
    @Test
    void forwardMatchesDoubleReference() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(1);
            Tensor pred = r.tensorIn(-6, 6, 3, 7, 11), target = r.tensor(3, 7, 11), prob = r.tensorIn(0, 1, 3, 7, 11);
            float[] p = pred.toArray(), t = target.toArray(), q = prob.toArray();
            double mse = 0, l1 = 0, bce = 0;
            for (int i = 0; i < p.length; i++) {
                mse += (p[i] - (double) t[i]) * (p[i] - (double) t[i]);
                l1 += Math.abs(p[i] - (double) t[i]);
                double sig = 1 / (1 + Math.exp(-p[i]));
                bce += -(q[i] * Math.log(sig) + (1 - q[i]) * Math.log(1 - sig));
            }
            int n = p.length;
            Tensor y = Losses.mse(pred, target);
            assertArrayEquals(new int[] {1}, y.shape());
            assertClose("mse", y.toArray(), new double[] {mse / n}, 1e-6);
            assertClose("l1", Losses.l1(pred, target).toArray(), new double[] {l1 / n}, 1e-6);
            assertClose("bceWithLogits", Losses.bceWithLogits(pred, prob).toArray(), new double[] {bce / n}, 1e-6);
        }
    }

    @Test
    void bceWithLogitsIsFiniteAndExactForLargeLogits() {
        try (Scope s = Scope.open()) {
            float[] x = {100, -100, 30, -30, 0};
            float[] t = {1, 1, 0, 0.5f, 0.3f};
            Tensor logits = Tensor.of(Device.CPU, x, 5).requiresGrad(true);
            Tensor target = Tensor.of(Device.CPU, t, 5);
            // Per element max(x,0) - x t + log1p(exp(-|x|)): 0, 100, 30, 15, log 2 (exp(-30) and below vanish).
            double expected = (0 + 100 + 30 + 15 + Math.log(2)) / 5;
            Tensor loss = Losses.bceWithLogits(logits, target);
            assertClose("bce large logits", loss.toArray(), new double[] {expected}, 1e-6);
            Tape.backward(loss);
            double[] grad = new double[5];
            for (int i = 0; i < 5; i++) {
                grad[i] = (1 / (1 + Math.exp(-x[i])) - t[i]) / 5;
            }
            assertClose("bce large logits gradient", logits.grad().toArray(), grad, 1e-6);
        }
    }

    @Test
    void gradientsOfBothInputsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            GradCheck gc = new GradCheck();
            Tensor pred = r.param(3, 5, 7), target = r.param(3, 5, 7);
            Tensor logits = r.tensorIn(-4, 4, 3, 5, 7).requiresGrad(true);
            Tensor prob = r.tensorIn(0, 1, 3, 5, 7).requiresGrad(true);
            gc.check("mse", in -> Losses.mse(in[0], in[1]), pred, target);
            gc.check("bceWithLogits", in -> Losses.bceWithLogits(in[0], in[1]), logits, prob);
            // L1's kink: keep |pred - target| >= 0.05 so central differences of step 1e-2 never straddle it.
            float[] tv = target.toArray(), gap = r.uniform(tv.length, 0.05, 1);
            Rand signs = new Rand(3);
            float[] pv = new float[tv.length];
            for (int i = 0; i < pv.length; i++) {
                pv[i] = tv[i] + (signs.nextBoolean() ? gap[i] : -gap[i]);
            }
            Tensor apart = Tensor.of(Device.CPU, pv, 3, 5, 7).requiresGrad(true);
            gc.check("l1", in -> Losses.l1(in[0], in[1]), apart, target);
        }
    }

    @Test
    void l1SubgradientIsZeroWherePredictionEqualsTarget() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(4);
            float[] t = r.uniform(9, -1, 1);
            float[] p = t.clone();
            p[1] += 0.5f;
            p[4] -= 0.25f;
            Tensor pred = Tensor.of(Device.CPU, p, 9).requiresGrad(true);
            Tensor target = Tensor.of(Device.CPU, t, 9).requiresGrad(true);
            Tape.backward(Losses.l1(pred, target));
            float[] dp = pred.grad().toArray(), dt = target.grad().toArray();
            for (int i = 0; i < 9; i++) {
                float expected = i == 1 ? 1f / 9 : i == 4 ? -1f / 9 : 0f;
                assertEquals(expected, dp[i], 1e-7, "dpred " + i);
                assertEquals(-expected, dt[i], 1e-7, "dtarget " + i);
            }
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(5);
            assertThrows(IllegalArgumentException.class, () -> Losses.mse(r.tensor(3, 4), r.tensor(4, 3)));
        }
    }

    @CudaTest
    void cudaMatchesCpuOnOddShapes() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(6);
            Tensor pred = r.param(3, 17, 31), target = r.param(3, 17, 31);
            Tensor logits = r.tensorIn(-8, 8, 3, 17, 31).requiresGrad(true);
            Tensor prob = r.tensorIn(0, 1, 3, 17, 31).requiresGrad(true);
            DeviceParity.check("mse", in -> Losses.mse(in[0], in[1]), pred, target);
            DeviceParity.check("l1", in -> Losses.l1(in[0], in[1]), pred, target);
            DeviceParity.check("bceWithLogits", in -> Losses.bceWithLogits(in[0], in[1]), logits, prob);
        }
    }
}
