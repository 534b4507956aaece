package ai.diffiml.synth;

import java.nio.file.Path;

/**
 * What {@link SynthGenerator} makes: {@code count} images of {@code size x size} pixels, of which
 * round({@code count x authenticFraction}) are authentic, from {@code photos} (a folder of real photographs) or,
 * when it is null, from procedural scenes; everything follows from {@code seed}. {@code threads} only sets how many
 * images are made at once: the files do not depend on it.
 *
 * @param count             number of images, at least 1
 * @param seed              the seed every image is drawn from
 * @param size              side of the square images in pixels, 32..8192
 * @param photos            folder of photographs to use, or null for procedural scenes
 * @param authenticFraction share of authentic (untouched, equally post-processed) images, in [0, 1]
 * @param threads           worker threads, at least 1
 */
public record SynthOptions(int count, long seed, int size, Path photos, double authenticFraction, int threads) {
    /** Defaults: 1000 images, seed 0, 256 px, procedural, a quarter authentic, one thread per core. */
    public static final int DEFAULT_COUNT = 1000;
    public static final int DEFAULT_SIZE = 256;
    public static final double DEFAULT_AUTHENTIC_FRACTION = 0.25;

    public SynthOptions {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
        if (size < 32 || size > 8192) {
            throw new IllegalArgumentException("size must be in 32..8192 pixels, got " + size);
        }
        if (!(authenticFraction >= 0 && authenticFraction <= 1)) {
            throw new IllegalArgumentException("authentic fraction must be in [0, 1], got " + authenticFraction);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    public static SynthOptions defaults() {
        return new SynthOptions(DEFAULT_COUNT, 0, DEFAULT_SIZE, null, DEFAULT_AUTHENTIC_FRACTION,
                Runtime.getRuntime().availableProcessors());
    }

    public SynthOptions withCount(int n) {
        return new SynthOptions(n, seed, size, photos, authenticFraction, threads);
    }

    public SynthOptions withSeed(long s) {
        return new SynthOptions(count, s, size, photos, authenticFraction, threads);
    }

    public SynthOptions withSize(int px) {
        return new SynthOptions(count, seed, px, photos, authenticFraction, threads);
    }

    public SynthOptions withPhotos(Path dir) {
        return new SynthOptions(count, seed, size, dir, authenticFraction, threads);
    }

    public SynthOptions withAuthenticFraction(double f) {
        return new SynthOptions(count, seed, size, photos, f, threads);
    }

    public SynthOptions withThreads(int n) {
        return new SynthOptions(count, seed, size, photos, authenticFraction, n);
    }

    /** Number of authentic images. */
    public int authenticCount() {
        return (int) Math.round(count * authenticFraction);
    }

    /** Whether two option sets make the same files (everything but {@code threads} equal). */
    public boolean sameData(SynthOptions o) {
        return count == o.count && seed == o.seed && size == o.size && authenticFraction == o.authenticFraction
                && java.util.Objects.equals(photos == null ? null : photos.toString(),
                        o.photos == null ? null : o.photos.toString());
    }
}
