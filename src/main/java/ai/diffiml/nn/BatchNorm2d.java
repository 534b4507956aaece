package ai.diffiml.nn;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.BatchNorm;
import ai.diffiml.tensor.Tensor;

/** BatchNorm over N and spatial axes; batch statistics and running-stat updates in training, running stats in eval. */
public final class BatchNorm2d extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    public final float eps;
    public final float momentum;

    public BatchNorm2d(Device device, int channels, float eps, float momentum) {
        this.eps = eps;
        this.momentum = momentum;
        this.weight = param("weight", device, channels).fill(1f);
        this.bias = param("bias", device, channels).fill(0f);
        this.runningMean = buffer("running_mean", device, channels).fill(0f);
        this.runningVar = buffer("running_var", device, channels).fill(1f);
    }

    public BatchNorm2d(Device device, int channels) {
        this(device, channels, 1e-5f, 0.1f);
    }

    public Tensor forward(Tensor x) {
        return BatchNorm.batchNorm(x, weight, bias, runningMean, runningVar, isTraining(), momentum, eps);
    }
}
