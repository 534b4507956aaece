package ai.diffiml.nn;

import ai.diffiml.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Seeded parameter initialisation. The defaults mirror PyTorch's layer defaults (uniform in +-1/sqrt(fan_in) for
 * linear and conv weights and biases), so a model built here starts from the same distribution as the reference.
 */
public final class Init {
    private final SplittableRandom random;

    public Init(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public void uniform(Tensor t, double bound) {
        float[] v = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2 * random.nextDouble() - 1) * bound);
        }
        t.copyFrom(v);
    }

    public void normal(Tensor t, double std) {
        float[] v = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < v.length; i++) {
            double u1 = 1.0 - random.nextDouble(), u2 = random.nextDouble();
            v[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        t.copyFrom(v);
    }

    /** PyTorch's default for Linear/Conv weights and biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    public void fanIn(Tensor t, long fanIn) {
        uniform(t, 1.0 / Math.sqrt(fanIn));
    }

    /** Xavier/Glorot uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)). */
    public void xavier(Tensor t, long fanIn, long fanOut) {
        uniform(t, Math.sqrt(6.0 / (fanIn + fanOut)));
    }
}
