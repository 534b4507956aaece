package ai.diffiml.ops;

import static ai.diffiml.ops.NormSupport.address;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.NormKernels;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;

/** Layer normalisation over the last axis (token layout [..., C], as in the Mix Transformer). */
public final class LayerNorm {
    private LayerNorm() {}

    /**
     * {@code y = (x - mean) / sqrt(var + eps) * gamma + beta}, with the mean and biased variance of each row of
     * the last axis. x: [..., C]; gamma, beta: [C]; y: x's shape. eps is per call (the Mix Transformer uses 1e-6
     * and 1e-5 in different norms). When recording, the row statistics (mean and 1/sqrt(var + eps), one float
     * each per row) are kept for the backward, which gives gradients for x, gamma and beta.
     */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        if (x.rank() < 1 || x.dim(-1) < 1) {
            throw new IllegalArgumentException("layerNorm: x must have a non-empty last axis, got " + x.describe());
        }
        int c = x.dim(-1);
        NormSupport.requireAffine("layerNorm", x, c, gamma, beta);
        NormSupport.requireEps("layerNorm", eps);
        long rows = x.numel() / c;
        int dev = x.device().code;
        String what = "layerNorm " + x.describe() + " eps " + eps;
        boolean record = Tape.wants(x, gamma, beta);
        int[] statShape = Arrays.copyOf(x.shape(), x.rank() - 1);
        Tensor y = Tensor.empty(x.device(), x.shape());
        Tensor mean = record ? Tensor.empty(x.device(), statShape) : null;
        Tensor rstd = record ? Tensor.empty(x.device(), statShape) : null;
        Native.check(NormKernels.dml_layernorm_forward(dev, x.address(), gamma.address(), beta.address(), y.address(),
                address(mean), address(rstd), rows, c, eps), what);
        if (record) {
            NormSupport.recordAffine("layerNorm", what, y, x, gamma, beta, (dy, dx, dgamma, dbeta) ->
                    NormKernels.dml_layernorm_backward(dev, x.address(), gamma.address(), mean.address(),
                            rstd.address(), dy, dx, dgamma, dbeta, rows, c));
        }
        return y;
    }
}
