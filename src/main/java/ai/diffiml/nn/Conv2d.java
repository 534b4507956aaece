package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Conv;
import ai.diffiml.tensor.Tensor;

/** 2-D convolution on NCHW; weight [out, in/groups, k, k]; square kernel, equal stride and padding per axis. */
public final class Conv2d extends Module {
    private final Tensor weight;
    private final Tensor bias;
    public final int in, out, kernel, stride, padding, groups;

    public Conv2d(Device device, int in, int out, int kernel, int stride, int padding, int groups, boolean bias) {
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d: channels " + in + "->" + out + " not divisible by groups " + groups);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        this.weight = param("weight", device, out, in / groups, kernel, kernel);
        this.bias = bias ? param("bias", device, out) : null;
    }

    public Conv2d init(Init init) {
        long fanIn = (long) (in / groups) * kernel * kernel;
        init.fanIn(weight, fanIn);
        if (bias != null) {
            init.fanIn(bias, fanIn);
        }
        return this;
    }

    /** He-normal over fan-out (the Mix Transformer's conv initialisation): N(0, 2 / (k * k * out / groups)), bias 0. */
    public Conv2d initFanOut(Init init) {
        init.normal(weight, Math.sqrt(2.0 * groups / ((double) kernel * kernel * out)));
        if (bias != null) {
            bias.fill(0f);
        }
        return this;
    }

    public Tensor forward(Tensor x) {
        return Conv.conv2d(x, weight, bias, stride, stride, padding, padding, groups);
    }
}
