package ai.diffiml.ops;

import static ai.diffiml.ops.NormSupport.address;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.NormKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/** Batch normalisation (PyTorch semantics) with running statistics. */
public final class BatchNorm {
    private BatchNorm() {}

    /**
     * x: [N, C, *]; gamma, beta, runningMean, runningVar: [C]; y: x's shape,
     * {@code y = (x - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c]}.
     * <ul>
     * <li>training: mean and var are the batch statistics of each channel over its N * (spatial size) = m values
     * (biased variance; m must exceed 1), and the running statistics, when given, are updated in place as PyTorch
     * does: {@code running = (1 - momentum) * running + momentum * batch}, the variance term being the unbiased
     * batch variance (times m / (m - 1)). They may be null (no running statistics tracked), both or neither.</li>
     * <li>eval: mean and var are the running statistics (required, only read).</li>
     * </ul>
     * Gradients of x, gamma and beta in both modes: through the batch statistics in training, the plain affine
     * map in eval (the statistics are constants). The running statistics are never recorded as inputs and never
     * get gradients. When recording, the statistics used ([C] floats each) are kept for the backward, so a later
     * change of the running statistics does not affect it.
     */
    public static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
            boolean training, float momentum, float eps) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("batchNorm: x must be [N, C, *], got " + x.describe());
        }
        int[] s = x.shape();
        int n = s[0], c = s[1];
        long spatial = Shapes.prod(s, 2, s.length);
        if (c < 1 || spatial < 1) {
            throw new IllegalArgumentException("batchNorm: x " + x.describe() + " has no channels or no positions");
        }
        NormSupport.requireAffine("batchNorm", x, c, gamma, beta);
        NormSupport.requireEps("batchNorm", eps);
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNorm: give both runningMean and runningVar, or neither");
        }
        if (runningMean != null) {
            NormSupport.requireChannels("batchNorm", x, c, "runningMean", runningMean, "runningVar", runningVar);
        } else if (!training) {
            throw new IllegalArgumentException("batchNorm: eval mode needs runningMean and runningVar");
        }
        if (training && (long) n * spatial < 2) {
            throw new IllegalArgumentException("batchNorm: training needs more than 1 value per channel, got x "
                    + x.describe());
        }
        if (training && !Float.isFinite(momentum)) {
            throw new IllegalArgumentException("batchNorm: momentum must be finite, got " + momentum);
        }
        int dev = x.device().code;
        int mode = training ? 1 : 0;
        String what = "batchNorm " + x.describe() + (training ? " training" : " eval") + " eps " + eps;
        boolean record = Tape.wants(x, gamma, beta);
        Tensor y = Tensor.empty(x.device(), s);
        Tensor saveMean = record ? Tensor.empty(x.device(), c) : null;
        Tensor saveRstd = record ? Tensor.empty(x.device(), c) : null;
        Native.check(NormKernels.dml_batchnorm_forward(dev, x.address(), gamma.address(), beta.address(),
                address(runningMean), address(runningVar), y.address(), address(saveMean), address(saveRstd), n, c,
                spatial, mode, momentum, eps), what);
        if (record) {
            NormSupport.recordAffine("batchNorm", what, y, x, gamma, beta, (dy, dx, dgamma, dbeta) ->
                    NormKernels.dml_batchnorm_backward(dev, x.address(), gamma.address(), saveMean.address(),
                            saveRstd.address(), dy, dx, dgamma, dbeta, n, c, spatial, mode));
        }
        return y;
    }
}
