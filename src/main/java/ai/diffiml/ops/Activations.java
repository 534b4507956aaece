package ai.diffiml.ops;

import static ai.diffiml.backend.jni.ElementwiseKernels.GELU;
import static ai.diffiml.backend.jni.ElementwiseKernels.LOG1P;
import static ai.diffiml.backend.jni.ElementwiseKernels.LOG_SIGMOID;
import static ai.diffiml.backend.jni.ElementwiseKernels.RELU;
import static ai.diffiml.backend.jni.ElementwiseKernels.SIGMOID;
import static ai.diffiml.backend.jni.ElementwiseKernels.SILU;
import static ai.diffiml.backend.jni.ElementwiseKernels.TANH;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ElementwiseKernels;
import ai.diffiml.tensor.Tensor;

/** Pointwise functions: ReLU, SiLU, GELU (exact erf form), sigmoid, tanh, log(1 + x), log(sigmoid(x)). */
public final class Activations {
    private Activations() {}

    public static Tensor relu(Tensor x) {
        return apply("relu", RELU, x);
    }

    public static Tensor silu(Tensor x) {
        return apply("silu", SILU, x);
    }

    public static Tensor gelu(Tensor x) {
        return apply("gelu", GELU, x);
    }

    public static Tensor sigmoid(Tensor x) {
        return apply("sigmoid", SIGMOID, x);
    }

    public static Tensor tanh(Tensor x) {
        return apply("tanh", TANH, x);
    }

    /** log(1 + x), for x > -1 (the noise stem's log local energies). */
    public static Tensor log1p(Tensor x) {
        return apply("log1p", LOG1P, x);
    }

    /** log(sigmoid(x)), computed stably for any x; its gradient is sigmoid(-x). */
    public static Tensor logSigmoid(Tensor x) {
        return apply("logSigmoid", LOG_SIGMOID, x);
    }

    private static Tensor apply(String name, int op, Tensor x) {
        Tensor y = Tensor.empty(x.device(), x.shape());
        int dev = x.device().code;
        Native.check(ElementwiseKernels.dml_unary_forward(dev, op, x.address(), y.address(), x.numel()),
                name + " " + x.describe());
        if (Tape.wants(x)) {
            Tape.record(name, y, new Tensor[] {x}, (dy, grads) -> {
                Tensor dx = Tensor.empty(x.device(), x.shape());
                Native.check(ElementwiseKernels.dml_unary_backward(dev, op, x.address(), y.address(), dy.address(),
                        dx.address(), x.numel()), name + " backward " + x.describe());
                grads.add(0, dx);
            });
        }
        return y;
    }
}
