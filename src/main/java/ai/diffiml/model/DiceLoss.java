package ai.diffiml.model;

import ai.diffiml.autograd.Tape;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Reduce;
import ai.diffiml.tensor.Tensor;

/**
 * Soft Dice loss on logits, per image then averaged over the batch:
 * {@code 1 - mean_b (2 sum(p t) + s) / (sum(p) + sum(t) + s)} with p = sigmoid(logits), t the {0,1} target and
 * smoothing s = {@value #SMOOTH} (so an authentic image predicted empty scores a perfect 0). The per-pixel work
 * (sigmoid, products, sums) runs in the native ops on the tape; only the final division of the B per-image sums,
 * which no native op offers, is done on the host as a small taped op of its own.
 */
public final class DiceLoss {
    /** Added to numerator and denominator. */
    public static final float SMOOTH = 1f;

    private DiceLoss() {}

    /** The Dice loss ([1]) of logits [B, 1, H, W] against a {0,1} target of the same shape. */
    public static Tensor of(Tensor logits, Tensor target01) {
        int b = logits.dim(0);
        int pixels = Math.toIntExact(logits.numel() / b);
        Tensor p = Layout.reshape(Activations.sigmoid(logits), b, pixels);
        Tensor t = Layout.reshape(target01, b, pixels);
        Tensor smooth = Tensor.full(logits.device(), SMOOTH, 1);
        Tensor num = Arithmetic.addLeading(Arithmetic.scale(Reduce.sum(Arithmetic.mul(p, t), 1), 2f), smooth, 0);
        Tensor den = Arithmetic.addLeading(Arithmetic.add(Reduce.sum(p, 1), Reduce.sum(t, 1)), smooth, 0);
        Tensor ratio = divide(num, den);
        return Arithmetic.addLeading(Arithmetic.scale(Reduce.mean(ratio), -1f), smooth, 0);
    }

    /** a / b elementwise for two small rank-1 tensors, on the tape; gradients 1/b and -a/b^2. */
    public static Tensor divide(Tensor a, Tensor b) {
        if (a.rank() != 1 || !java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException("divide: expected two vectors of one length, got " + a.describe()
                    + " and " + b.describe());
        }
        float[] x = a.toArray(), y = b.toArray(), q = new float[x.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = x[i] / y[i];
        }
        Tensor out = Tensor.of(a.device(), q, q.length);
        if (Tape.wants(a, b)) {
            Tape.record("divide", out, new Tensor[] {a, b}, (dy, grads) -> {
                float[] g = dy.toArray(), da = new float[g.length], db = new float[g.length];
                for (int i = 0; i < g.length; i++) {
                    da[i] = g[i] / y[i];
                    db[i] = -g[i] * x[i] / (y[i] * y[i]);
                }
                if (grads.needs(0)) {
                    grads.add(0, Tensor.of(a.device(), da, da.length));
                }
                if (grads.needs(1)) {
                    grads.add(1, Tensor.of(b.device(), db, db.length));
                }
            });
        }
        return out;
    }
}
