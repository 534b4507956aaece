package ai.diffiml.train;

/**
 * Every random draw of a training run is a pure function of (run seed, stream, step, ...): the seed of a draw is
 * {@link #of} those numbers, so a run resumed at step k draws exactly what an uninterrupted one draws there, with
 * no generator state to save. The streams name what is drawn.
 */
public final class Seeds {
    /** Model initialisation. */
    public static final long INIT = 1;
    /** The encoder's drop-path (its draws then follow the encoder's own forward count). */
    public static final long DROP_PATH = 2;
    /** Diffusion timesteps t of a step. */
    public static final long TIMESTEPS = 3;
    /** Error-prior noise xi of a step. */
    public static final long PRIOR_NOISE = 4;
    /** Diffusion noise eps of a step. */
    public static final long NOISE = 5;
    /** Sampling noise of a validation batch (the same at every validation, so scores compare across epochs). */
    public static final long VALIDATION = 6;
    /** Noises of the per-epoch diagnostics (the same every epoch). */
    public static final long DIAGNOSTICS = 7;

    private Seeds() {}

    /** A well-mixed 64-bit seed from {@code seed} and the path of numbers below it (SplitMix64 finaliser chain). */
    public static long of(long seed, long... path) {
        long h = mix(seed);
        for (long p : path) {
            h = mix(h ^ mix(p + 0x632BE59BD9B4E019L));
        }
        return h;
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
