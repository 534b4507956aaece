package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;

/** LayerNorm over the last axis with its own eps (the Mix Transformer mixes 1e-6 and 1e-5). */
public final class LayerNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    public final float eps;

    public LayerNorm(Device device, int channels, float eps) {
        this.eps = eps;
        this.weight = param("weight", device, channels).fill(1f);
        this.bias = param("bias", device, channels).fill(0f);
    }

    public Tensor forward(Tensor x) {
        return ai.diffiml.ops.LayerNorm.layerNorm(x, weight, bias, eps);
    }
}
