package ai.diffiml.data;

import java.util.SplittableRandom;

/**
 * Seeds derived from a run seed and coordinates such as (stream, epoch, sample index) by SplitMix64 mixing, so
 * that every random choice depends on those coordinates alone, never on the order in which work is done.
 */
public final class Seeds {
    /** Stream tags, so the same coordinates in different roles give unrelated seeds. */
    public static final long PERMUTATION = 0x5045524DL, AUGMENTATION = 0x4155474DL, CROP = 0x43524F50L;

    private Seeds() {}

    /** A seed mixed from {@code seed} and {@code parts} (order matters). */
    public static long mix(long seed, long... parts) {
        long h = finish(seed + 0x9E3779B97F4A7C15L);
        for (long p : parts) {
            h = finish(h ^ finish(p + 0x9E3779B97F4A7C15L) + 0x632BE59BD9B4E019L);
        }
        return h;
    }

    /** A generator seeded by {@link #mix}. */
    public static SplittableRandom random(long seed, long... parts) {
        return new SplittableRandom(mix(seed, parts));
    }

    /** SplitMix64's finaliser. */
    private static long finish(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
