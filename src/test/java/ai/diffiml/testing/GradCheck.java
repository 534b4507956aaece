package ai.diffiml.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.function.Function;

/**
 * Finite-difference gradient check. The scalar is L = sum(f(inputs) * w) for a fixed random w, accumulated in
 * double on the host; the analytic gradient comes from the tape (f's output seeded with w). Each input that
 * requires grad is checked at up to {@code samples} elements with central differences of step {@code eps}.
 * float32 limits the agreement to about 1e-2 relative, which is still far tighter than any real backward bug.
 */
public final class GradCheck {
    private double eps = 1e-2;
    private double tol = 2e-2;
    private int samples = 48;
    private long seed = 7;

    public GradCheck eps(double e) {
        this.eps = e;
        return this;
    }

    public GradCheck tolerance(double t) {
        this.tol = t;
        return this;
    }

    public GradCheck samples(int s) {
        this.samples = s;
        return this;
    }

    /** Checks every input that requires grad; inputs must be CPU leaf tensors. */
    public void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        Rand rand = new Rand(seed);
        float[] w;
        try (Scope scope = Scope.open()) {
            for (Tensor in : inputs) {
                if (in.grad() != null) {
                    in.grad().close();
                    in.setGrad(null);
                }
            }
            Tensor y = f.apply(inputs);
            w = rand.uniform(y.numel(), -1, 1);
            Tensor wt = Tensor.of(Device.CPU, w, y.shape());
            Tape.backward(y, wt);
        }
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (!in.requiresGrad()) {
                continue;
            }
            assertNotNull(in.grad(), name + ": input " + k + " got no gradient");
            float[] analytic = in.grad().toArray();
            float[] x = in.toArray();
            int n = x.length;
            int count = Math.min(samples, n);
            double maxErr = 0, maxRef = 1e-3;
            double[] numeric = new double[count];
            int[] idx = new int[count];
            for (int s = 0; s < count; s++) {
                idx[s] = count == n ? s : rand.nextInt(0, n - 1);
                float orig = x[idx[s]];
                x[idx[s]] = (float) (orig + eps);
                in.copyFrom(x);
                double plus = loss(f, inputs, w);
                x[idx[s]] = (float) (orig - eps);
                in.copyFrom(x);
                double minus = loss(f, inputs, w);
                x[idx[s]] = orig;
                in.copyFrom(x);
                numeric[s] = (plus - minus) / (2 * eps);
                maxRef = Math.max(maxRef, Math.abs(numeric[s]));
            }
            int worst = 0;
            for (int s = 0; s < count; s++) {
                double err = Math.abs(analytic[idx[s]] - numeric[s]);
                if (err > maxErr) {
                    maxErr = err;
                    worst = s;
                }
            }
            double rel = maxErr / maxRef;
            int ws = worst;
            int kk = k;
            assertTrue(rel <= tol, () -> String.format("%s: gradient of input %d differs from finite differences:"
                    + " rel err %.3g > %.3g (element %d: analytic %.6g, numeric %.6g)", name, kk, rel, tol, idx[ws],
                    analytic[idx[ws]], numeric[ws]));
        }
    }

    private static double loss(Function<Tensor[], Tensor> f, Tensor[] inputs, float[] w) {
        try (Scope scope = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            float[] y = f.apply(inputs).toArray();
            double sum = 0;
            for (int i = 0; i < y.length; i++) {
                sum += (double) y[i] * w[i];
            }
            return sum;
        }
    }
}
