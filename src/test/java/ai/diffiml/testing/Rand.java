package ai.diffiml.testing;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.SplittableRandom;

/** Seeded random test data. Never zeros: values are uniform in [-1, 1) unless a range is given. */
public final class Rand {
    private final SplittableRandom random;

    public Rand(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public float[] uniform(long n, double lo, double hi) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (lo + (hi - lo) * random.nextDouble());
        }
        return a;
    }

    public float[] normal(long n) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            double u1 = 1.0 - random.nextDouble(), u2 = random.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return a;
    }

    /** A CPU tensor with uniform values in [-1, 1). */
    public Tensor tensor(int... shape) {
        return Tensor.of(Device.CPU, uniform(Shapes.numel(shape), -1, 1), shape);
    }

    /** A CPU tensor with uniform values in [lo, hi). */
    public Tensor tensorIn(double lo, double hi, int... shape) {
        return Tensor.of(Device.CPU, uniform(Shapes.numel(shape), lo, hi), shape);
    }

    /** A leaf CPU tensor that requires grad. */
    public Tensor param(int... shape) {
        return tensor(shape).requiresGrad(true);
    }

    public int nextInt(int lo, int hiInclusive) {
        return lo + random.nextInt(hiInclusive - lo + 1);
    }

    public boolean nextBoolean() {
        return random.nextBoolean();
    }
}
