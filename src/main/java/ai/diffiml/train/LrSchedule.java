package ai.diffiml.train;

/**
 * Linear warm-up then cosine decay to 0, evaluated per iteration: IMDL-BenCo's (MAE's) {@code adjust_learning_rate}
 * with {@code min_lr} 0, which the release calls every iteration with the fractional epoch
 * {@code epoch + i / iters_per_epoch}. In iterations: {@code lr(i) = base * i / W} for {@code i < W}, then
 * {@code base * (1 + cos(pi * (i - W) / (T - W))) / 2}; so lr(0) = 0, lr(W) = base and lr(T) = 0.
 *
 * @param base peak learning rate (method.md: 1e-4)
 * @param warmupIterations W: iterations of the linear warm-up (method.md: 2 epochs' worth)
 * @param totalIterations T: iterations of the whole run
 */
public record LrSchedule(double base, long warmupIterations, long totalIterations) {
    public LrSchedule {
        if (!(base >= 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("learning rate must be >= 0 and finite, got " + base);
        }
        if (warmupIterations < 0 || totalIterations < 1) {
            throw new IllegalArgumentException("schedule: warm-up must be >= 0 and the run >= 1 iteration, got "
                    + warmupIterations + " and " + totalIterations);
        }
    }

    /** A run of {@code epochs} epochs of {@code itersPerEpoch} iterations, warming up over {@code warmupEpochs}. */
    public static LrSchedule ofEpochs(double base, double warmupEpochs, int epochs, int itersPerEpoch) {
        if (!(warmupEpochs >= 0) || epochs < 1 || itersPerEpoch < 1) {
            throw new IllegalArgumentException("schedule: need warm-up >= 0 epochs, >= 1 epoch and >= 1 iteration"
                    + " per epoch, got " + warmupEpochs + ", " + epochs + ", " + itersPerEpoch);
        }
        long total = (long) epochs * itersPerEpoch;
        return new LrSchedule(base, Math.round(warmupEpochs * itersPerEpoch), total);
    }

    /** The learning rate of iteration {@code i} (0-based; the value before its update). */
    public double at(long i) {
        if (i < warmupIterations) {
            return base * i / warmupIterations;
        }
        if (warmupIterations >= totalIterations) {
            return base;
        }
        double progress = Math.min(1.0, (double) (i - warmupIterations) / (totalIterations - warmupIterations));
        return base * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
