package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;

/** GroupNorm over NC* tensors (the UNet's: 32 groups, eps 1e-5). */
public final class GroupNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    public final int groups;
    public final float eps;

    public GroupNorm(Device device, int groups, int channels, float eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels not divisible by " + groups + " groups");
        }
        this.groups = groups;
        this.eps = eps;
        this.weight = param("weight", device, channels).fill(1f);
        this.bias = param("bias", device, channels).fill(0f);
    }

    public Tensor forward(Tensor x) {
        return ai.diffiml.ops.GroupNorm.groupNorm(x, groups, weight, bias, eps);
    }
}
