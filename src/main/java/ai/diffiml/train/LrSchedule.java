package ai.diffiml.train;

/**
 * Linear warm-up then cosine decay to 0, evaluated per iteration: IMDL-BenCo's (MAE's) {@code adjust_learning_rate}
 * with {@code min_lr} 0, which the release calls every iteration with the fractional epoch
 * {@code epoch + i / iters_per_epoch}. In iterations: {@code lr(i) = base * i / W} for {@code i < W}, then
 * {@code low + (base - low) * (1 + cos(pi * (i - W) / (T - W))) / 2} with {@code low = floor * base}; so lr(0) = 0,
 * lr(W) = base and lr(T) = low (0 in the method; a floor keeps the last epochs learning on short runs).
 *
 * @param base peak learning rate (method.md: 1e-4)
 * @param warmupIterations W: iterations of the linear warm-up (method.md: 2 epochs' worth)
 * @param totalIterations T: iterations of the whole run
 * @param floor the fraction of {@code base} the cosine ends at
 */
public record LrSchedule(double base, long warmupIterations, long totalIterations, double floor) {
    /** Cosine to 0, as the method. */
    public LrSchedule(double base, long warmupIterations, long totalIterations) {
        this(base, warmupIterations, totalIterations, 0);
    }

    public LrSchedule {
        if (!(floor >= 0 && floor <= 1)) {
            throw new IllegalArgumentException("schedule: the floor must be a fraction of the peak in [0, 1], got "
                    + floor);
        }
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
        return ofEpochs(base, warmupEpochs, epochs, itersPerEpoch, 0);
    }

    /** {@link #ofEpochs(double, double, int, int)} decaying to {@code floor x base} instead of 0. */
    public static LrSchedule ofEpochs(double base, double warmupEpochs, int epochs, int itersPerEpoch, double floor) {
        if (!(warmupEpochs >= 0) || epochs < 1 || itersPerEpoch < 1) {
            throw new IllegalArgumentException("schedule: need warm-up >= 0 epochs, >= 1 epoch and >= 1 iteration"
                    + " per epoch, got " + warmupEpochs + ", " + epochs + ", " + itersPerEpoch);
        }
        long total = (long) epochs * itersPerEpoch;
        return new LrSchedule(base, Math.round(warmupEpochs * itersPerEpoch), total, floor);
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
        double low = base * floor;
        return low + (base - low) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
