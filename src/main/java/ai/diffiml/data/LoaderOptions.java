package ai.diffiml.data;

/**
 * Settings of a {@link DataLoader}.
 *
 * @param resolution   side of the square output images, masks and edge maps, in pixels
 * @param batchSize    samples per batch
 * @param augment      whether to apply {@link #augmentation} (training) or only resize + normalise (validation)
 * @param augmentation the augmentation settings used when {@code augment} is on
 * @param seed         the run seed: sample order and augmentation depend on (seed, epoch, sample) alone
 * @param shuffle      whether each epoch visits the samples in a seeded permutation of (seed, epoch)
 * @param dropLast     whether an incomplete last batch is dropped
 * @param threads      decoding and augmentation threads (samples of a batch are prepared in parallel)
 * @param edgeMode     how edge maps are made ({@link EdgeMaps})
 * @param edgeWidth    the edge band / dilation width in output pixels (odd)
 * @param prefetch     how many batches after the one requested are prepared in the background
 * @param crop         with augmentation on, each sample is resized to {@code resolution} and a random
 *                     {@code crop} x {@code crop} window of it is kept (0: the whole image); a crop keeps the pixels'
 *                     traces at the model's scale, where a smaller resolution would resample them away
 */
public record LoaderOptions(int resolution, int batchSize, boolean augment, AugmentationSettings augmentation,
                            long seed, boolean shuffle, boolean dropLast, int threads, EdgeMode edgeMode,
                            int edgeWidth, int prefetch, int crop) {
    public LoaderOptions {
        if (resolution < 8) {
            throw new IllegalArgumentException("resolution must be >= 8, got " + resolution);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (edgeWidth < 1 || edgeWidth % 2 == 0) {
            throw new IllegalArgumentException("edge width must be odd and >= 1, got " + edgeWidth);
        }
        if (crop != 0 && (crop < 32 || crop % 32 != 0 || crop > resolution)) {
            throw new IllegalArgumentException("crop must be 0 or a multiple of 32 in 32.." + resolution + ", got "
                    + crop);
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0, got " + prefetch);
        }
        if (augmentation == null || edgeMode == null) {
            throw new IllegalArgumentException("augmentation settings and edge mode are required");
        }
    }

    /**
     * Training: the given augmentation, shuffled, incomplete last batch dropped, one thread per CPU, the
     * release's edge band (width 7), two batches prefetched.
     */
    public static LoaderOptions training(int resolution, int batchSize, long seed, AugmentationSettings augmentation) {
        return new LoaderOptions(resolution, batchSize, true, augmentation, seed, true, true,
                Runtime.getRuntime().availableProcessors(), EdgeMode.BAND, EdgeMaps.RELEASE_WIDTH, 2, 0);
    }

    /** Validation: no augmentation, dataset order, every sample kept; otherwise as {@link #training}. */
    public static LoaderOptions validation(int resolution, int batchSize) {
        return new LoaderOptions(resolution, batchSize, false, AugmentationSettings.paper(), 0, false, false,
                Runtime.getRuntime().availableProcessors(), EdgeMode.BAND, EdgeMaps.RELEASE_WIDTH, 2, 0);
    }

    public LoaderOptions withThreads(int n) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, seed, shuffle, dropLast, n, edgeMode,
                edgeWidth, prefetch, crop);
    }

    public LoaderOptions withSeed(long s) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, s, shuffle, dropLast, threads,
                edgeMode, edgeWidth, prefetch, crop);
    }

    public LoaderOptions withAugmentation(boolean on, AugmentationSettings settings) {
        return new LoaderOptions(resolution, batchSize, on, settings, seed, shuffle, dropLast, threads, edgeMode,
                edgeWidth, prefetch, crop);
    }

    public LoaderOptions withShuffle(boolean on) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, seed, on, dropLast, threads, edgeMode,
                edgeWidth, prefetch, crop);
    }

    public LoaderOptions withDropLast(boolean on) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, seed, shuffle, on, threads, edgeMode,
                edgeWidth, prefetch, crop);
    }

    public LoaderOptions withEdges(EdgeMode mode, int width) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, seed, shuffle, dropLast, threads, mode,
                width, prefetch, crop);
    }

    public LoaderOptions withPrefetch(int batches) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, seed, shuffle, dropLast, threads,
                edgeMode, edgeWidth, batches, crop);
    }

    public LoaderOptions withCrop(int size) {
        return new LoaderOptions(resolution, batchSize, augment, augmentation, seed, shuffle, dropLast, threads,
                edgeMode, edgeWidth, prefetch, size);
    }

    /** Side of the batches this loader makes: the crop when cropping, else the resolution. */
    public int batchSide() {
        return augment && crop > 0 ? crop : resolution;
    }
}
