package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Conv;
import ai.diffiml.tensor.Tensor;

/** Transposed 2-D convolution on NCHW; weight [in, out, k, k] (PyTorch layout); groups 1. */
public final class ConvTranspose2d extends Module {
    private final Tensor weight;
    private final Tensor bias;
    public final int in, out, kernel, stride, padding, outputPadding;

    public ConvTranspose2d(Device device, int in, int out, int kernel, int stride, int padding, int outputPadding,
            boolean bias) {
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        this.weight = param("weight", device, in, out, kernel, kernel);
        this.bias = bias ? param("bias", device, out) : null;
    }

    public ConvTranspose2d init(Init init) {
        // PyTorch computes fan-in of a transposed conv from weight.size(1) * k * k.
        long fanIn = (long) out * kernel * kernel;
        init.fanIn(weight, fanIn);
        if (bias != null) {
            init.fanIn(bias, fanIn);
        }
        return this;
    }

    public Tensor forward(Tensor x) {
        return Conv.convTranspose2d(x, weight, bias, stride, padding, outputPadding);
    }
}
