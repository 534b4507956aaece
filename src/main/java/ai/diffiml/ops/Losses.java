package ai.diffiml.ops;

import static ai.diffiml.backend.jni.ShapeKernels.LOSS_BCE_LOGITS;
import static ai.diffiml.backend.jni.ShapeKernels.LOSS_L1;
import static ai.diffiml.backend.jni.ShapeKernels.LOSS_MSE;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ShapeKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/**
 * Elementwise losses between two tensors of the same shape, mean-reduced to shape [1] (accumulated in double), as
 * PyTorch's functional losses with reduction='mean'. Both inputs get gradients when they require them.
 */
public final class Losses {
    private Losses() {}

    /** mean((pred - target)^2). */
    public static Tensor mse(Tensor pred, Tensor target) {
        return loss("mse", LOSS_MSE, pred, target);
    }

    /** mean(|pred - target|); the subgradient at pred == target is 0 (as PyTorch's sign). */
    public static Tensor l1(Tensor pred, Tensor target) {
        return loss("l1", LOSS_L1, pred, target);
    }

    /**
     * Binary cross-entropy on logits, mean(max(x, 0) - x * t + log1p(exp(-|x|))), the numerically stable form of
     * -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))). Gradients: sigmoid(x) - t for x, -x for t.
     */
    public static Tensor bceWithLogits(Tensor logits, Tensor target) {
        return loss("bceWithLogits", LOSS_BCE_LOGITS, logits, target);
    }

    private static Tensor loss(String name, int op, Tensor pred, Tensor target) {
        Shapes.requireSame(name, pred, target);
        long n = pred.numel();
        if (n == 0) {
            throw new IllegalArgumentException(name + ": mean over zero elements of " + pred.describe());
        }
        Tensor y = Tensor.empty(pred.device(), 1);
        int dev = pred.device().code;
        String what = name + " " + pred.describe() + ", " + target.describe();
        Native.check(ShapeKernels.dml_loss_forward(dev, op, pred.address(), target.address(), y.address(), n), what);
        if (Tape.wants(pred, target)) {
            Tape.record(name, y, new Tensor[] {pred, target}, (dy, grads) -> {
                Tensor dp = grads.needs(0) ? Tensor.empty(pred.device(), pred.shape()) : null;
                Tensor dt = grads.needs(1) ? Tensor.empty(target.device(), target.shape()) : null;
                Native.check(ShapeKernels.dml_loss_backward(dev, op, pred.address(), target.address(), dy.address(),
                        dp == null ? 0 : dp.address(), dt == null ? 0 : dt.address(), n), what + " backward");
                if (dp != null) {
                    grads.add(0, dp);
                }
                if (dt != null) {
                    grads.add(1, dt);
                }
            });
        }
        return y;
    }
}
