package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.MatMul;
import ai.diffiml.tensor.Tensor;

/** y = x W^T + b over the last axis; weight [out, in] (PyTorch layout). */
public final class Linear extends Module {
    private final Tensor weight;
    private final Tensor bias;
    public final int in, out;

    public Linear(Device device, int in, int out, boolean bias) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", device, out, in);
        this.bias = bias ? param("bias", device, out) : null;
    }

    public Linear init(Init init) {
        init.fanIn(weight, in);
        if (bias != null) {
            init.fanIn(bias, in);
        }
        return this;
    }

    /**
     * The Mix Transformer's own initialisation: weight ~ N(0, std), bias 0 (its timm {@code trunc_normal_} cuts at
     * +-2 absolute, which at std 0.02 never happens).
     */
    public Linear initNormal(Init init, double std) {
        init.normal(weight, std);
        if (bias != null) {
            bias.fill(0f);
        }
        return this;
    }

    public Tensor forward(Tensor x) {
        return MatMul.linear(x, weight, bias);
    }
}
