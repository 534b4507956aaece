package ai.diffiml.bench;

import ai.diffiml.backend.BackendUnavailableException;
import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the benchmarks share (JMH reads these annotations through the subclasses): average time per operation in
 * ms, 3 warmup and 5 measurement iterations of 1 s, one fork; resolving the device parameter; seeded random data.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public abstract class Bench {

    /**
     * The {@code device} parameter: "cpu" or "cuda". Asking for cuda where CUDA is not usable fails the trial's
     * setup with this message (JMH reports it and goes on with the next parameter combination); pass
     * {@code -p device=cpu} to run the CPU benchmarks only.
     */
    static Device device(String name) {
        try {
            return Backends.resolve(name);
        } catch (BackendUnavailableException e) {
            throw new IllegalStateException("device=" + name + " requested but not usable here (" + e.getMessage()
                    + "); run with -p device=cpu to skip it", e);
        }
    }

    /** A tensor on {@code device} with values uniform in [-1, 1), owned by the caller (no scope). */
    static Tensor random(Device device, long seed, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (2 * r.nextDouble() - 1);
        }
        return Tensor.of(device, v, shape);
    }

    static void close(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }
}
