package ai.diffiml.ops;

import static ai.diffiml.ops.NormSupport.address;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.NormKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/** Group normalisation (PyTorch semantics), as in the UNet's blocks (32 groups, eps 1e-5). */
public final class GroupNorm {
    private GroupNorm() {}

    /**
     * x: [N, C, *] (any number of spatial axes, possibly none); the C channels are split into {@code groups}
     * consecutive groups, and each (sample, group) is standardised with its own mean and biased variance over
     * its C/groups channels and all positions, then scaled and shifted per channel:
     * {@code y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c]}. gamma, beta: [C]; y: x's shape. When
     * recording, the statistics ([N, groups] floats each) are kept for the backward (gradients of x, gamma, beta).
     */
    public static Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("groupNorm: x must be [N, C, *], got " + x.describe());
        }
        int[] s = x.shape();
        int n = s[0], c = s[1];
        long spatial = Shapes.prod(s, 2, s.length);
        if (groups < 1 || c < 1 || c % groups != 0) {
            throw new IllegalArgumentException("groupNorm: cannot split the " + c + " channels of " + x.describe()
                    + " into " + groups + " groups");
        }
        if (spatial < 1) {
            throw new IllegalArgumentException("groupNorm: x " + x.describe() + " has no positions");
        }
        NormSupport.requireAffine("groupNorm", x, c, gamma, beta);
        NormSupport.requireEps("groupNorm", eps);
        int dev = x.device().code;
        String what = "groupNorm " + x.describe() + " groups " + groups + " eps " + eps;
        boolean record = Tape.wants(x, gamma, beta);
        Tensor y = Tensor.empty(x.device(), s);
        Tensor mean = record ? Tensor.empty(x.device(), n, groups) : null;
        Tensor rstd = record ? Tensor.empty(x.device(), n, groups) : null;
        Native.check(NormKernels.dml_groupnorm_forward(dev, x.address(), gamma.address(), beta.address(), y.address(),
                address(mean), address(rstd), n, c, spatial, groups, eps), what);
        if (record) {
            NormSupport.recordAffine("groupNorm", what, y, x, gamma, beta, (dy, dx, dgamma, dbeta) ->
                    NormKernels.dml_groupnorm_backward(dev, x.address(), gamma.address(), mean.address(),
                            rstd.address(), dy, dx, dgamma, dbeta, n, c, spatial, groups));
        }
        return y;
    }
}
