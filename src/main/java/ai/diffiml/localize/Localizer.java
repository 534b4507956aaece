package ai.diffiml.localize;

import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.data.Preprocess;
import ai.diffiml.data.UnreadableImageException;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.CheckpointKind;
import ai.diffiml.io.DiffForensicsCheckpoint;
import ai.diffiml.io.SegFormerCheckpoint;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.ops.Workspace;
import ai.diffiml.train.RunFolder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

/**
 * Image manipulation localization as a library call, in the style of DJL's {@code Predictor}: load a trained model
 * once, localize any number of images, close.
 *
 * <pre>{@code
 * try (Localizer localizer = Localizer.load(Path.of("runs/diffusion-20261122"), LocalizerOptions.defaults())) {
 *     Localization result = localizer.localize(Path.of("photo.jpg"));
 *     result.writeProbabilityPng(Path.of("photo_prob.png"));
 * }
 * }</pre>
 *
 * <p><b>Models.</b> {@link #load} takes a training run folder (its {@code best/} checkpoint, else {@code last/})
 * or a checkpoint folder, of a DiffIML model, the discriminative SegFormer baseline or DiffForensics (told apart by
 * the format in {@code checkpoint.json}); {@link #of(DiffIml, LocalizerOptions)} and {@link #of(SegFormer, LocalizerOptions)}
 * wrap a model already in memory.
 *
 * <p><b>Pipeline</b> per image: decode; resize to the model's resolution R (the evaluation protocol) or cut into
 * R x R tiles ({@link InferenceMode}); ImageNet normalisation; the model (for DiffIML: encoder and condition head
 * once, steps x ensemble UNet calls as one batch, latents averaged, one decode; the members decoded on their own
 * only for the uncertainty); the maps resized back (or stitched) to the image's size. See {@link Localization}.
 * The same options and seed give bit-identical results, whatever other images or threads share the localizer
 * (every image's chains start from the same seeded noise); a batch size above 1 may change the last bits.
 *
 * <p><b>Threads.</b> A localizer is safe to share: any number of threads may call it at once, and each gets
 * exactly what it would get calling alone. Decoding, resizing and all post-processing run on the calling threads,
 * in parallel. The model runs on the localizer's own model threads ({@link LocalizerOptions#concurrentForwards()},
 * default 1, always 1 on CUDA): callers queue for them, and the time spent waiting is reported as
 * {@link StageTimings#queueMs()}. Why not run the model on the callers' threads? The model itself is re-entrant
 * (weights are only read, each call has its own tensor scope, autograd and scratch state are per thread, and the
 * CPU kernels keep no shared state; the concurrency test runs 8 concurrent forwards to check this), but one
 * forward already uses every core (OpenMP and OpenBLAS threads), so overlapping forwards on the CPU only compete
 * for the same cores while each holds its own activations, and on CUDA every thread would share one stream and
 * one cuBLAS handle anyway. Dedicated model threads also keep the per-thread scratch buffers of the kernels in one
 * place (freed by {@link #close()}) instead of one set on every caller thread. Raise
 * {@code concurrentForwards} on machines with many more cores than one forward can use.
 *
 * <p>{@link #close()} waits for calls in progress, then frees the model; later calls throw
 * {@link IllegalStateException}.
 */
public final class Localizer implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final Network network;
    private final LocalizerOptions options;
    private final Path source;
    private final ThreadPoolExecutor modelThreads;
    private boolean closed;

    private Localizer(Network network, LocalizerOptions options, Path source) {
        this.network = network;
        this.options = options;
        this.source = source;
        int threads = network.device() == Device.CUDA ? 1 : options.concurrentForwards();
        int pool = POOLS.incrementAndGet();
        AtomicInteger count = new AtomicInteger();
        this.modelThreads = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(() -> {
                        try {
                            r.run();
                        } finally {
                            Workspace.release(); // this thread's kernel scratch buffers
                        }
                    }, "diffiml-localizer-" + pool + "-model-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Loads the model of a training run folder ({@code best/}, else {@code last/}) or of a checkpoint folder onto
     * {@code options.device()}. Errors are one line naming the folder or file: no such folder, no checkpoint in it,
     * a checkpoint of an unknown format or that does not fit its config.
     *
     * @throws ai.diffiml.backend.BackendUnavailableException for device cuda on a machine without a usable GPU
     * @throws IllegalArgumentException for options the model cannot run (more steps than its diffusion steps)
     */
    public static Localizer load(Path runOrCheckpoint, LocalizerOptions options) throws IOException {
        Objects.requireNonNull(options, "options");
        Path folder = checkpointFolder(runOrCheckpoint);
        Device device = Backends.resolve(options.device());
        Network network = switch (CheckpointKind.of(folder)) {
            case SEGFORMER -> {
                SegFormer model = SegFormerCheckpoint.load(folder, device).model();
                yield adopt(model, () -> new DiscriminativeNetwork(model, options));
            }
            case DIFFFORENSICS -> {
                DiffForensics model = DiffForensicsCheckpoint.load(folder, device).model();
                yield adopt(model, () -> new DiffForensicsNetwork(model, options));
            }
            case DIFFIML -> {
                DiffIml model = Checkpoint.load(folder, device).model();
                yield adopt(model, () -> new DiffusionNetwork(model, options));
            }
        };
        return new Localizer(network, options, folder);
    }

    /**
     * Wraps a DiffIML model already in memory; the localizer takes it over (switches it to inference mode and
     * closes it on {@link #close()}). The model's device is used; {@code options.device()} is not consulted.
     */
    public static Localizer of(DiffIml model, LocalizerOptions options) {
        return new Localizer(adopt(model, () -> new DiffusionNetwork(model, options)), options, null);
    }

    /** {@link #of(DiffIml, LocalizerOptions)} for the discriminative SegFormer baseline. */
    public static Localizer of(SegFormer model, LocalizerOptions options) {
        return new Localizer(adopt(model, () -> new DiscriminativeNetwork(model, options)), options, null);
    }

    /** {@link #of(DiffIml, LocalizerOptions)} for DiffForensics (its detection head gives the image score). */
    public static Localizer of(DiffForensics model, LocalizerOptions options) {
        return new Localizer(adopt(model, () -> new DiffForensicsNetwork(model, options)), options, null);
    }

    private static Network adopt(AutoCloseable model, java.util.function.Supplier<Network> wrap) {
        try {
            return wrap.get();
        } catch (RuntimeException e) {
            try {
                model.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The checkpoint folder {@link #load} reads for {@code runOrCheckpoint}: the folder itself when it holds a
     * {@code checkpoint.json}; else, for a training run folder, its {@code best/} checkpoint, else {@code last/}.
     */
    public static Path checkpointFolder(Path runOrCheckpoint) throws IOException {
        Path path = Objects.requireNonNull(runOrCheckpoint, "runOrCheckpoint");
        if (Files.isRegularFile(path.resolve(Checkpoint.META_FILE))) {
            return path;
        }
        if (!Files.exists(path)) {
            throw new WeightFileException(path, "no such run folder or checkpoint folder");
        }
        if (!Files.isDirectory(path)) {
            throw new WeightFileException(path, "not a folder (expected a training run folder or a checkpoint"
                    + " folder)");
        }
        RunFolder run = new RunFolder(path);
        for (Path checkpoint : List.of(run.best(), run.last())) {
            if (Files.isRegularFile(checkpoint.resolve(Checkpoint.META_FILE))) {
                return checkpoint;
            }
        }
        throw new WeightFileException(path, "neither a checkpoint folder (no " + Checkpoint.META_FILE + ") nor a"
                + " training run folder with a " + RunFolder.BEST + "/ or " + RunFolder.LAST + "/ checkpoint");
    }

    /** The options this localizer runs with. */
    public LocalizerOptions options() {
        return options;
    }

    /** The device the model runs on. */
    public Device device() {
        return network.device();
    }

    /** The model's square input side R. */
    public int resolution() {
        return network.resolution();
    }

    /** One line naming the model and its sampling settings. */
    public String description() {
        return network.description();
    }

    /**
     * Whether the model is a DiffIML model, which samples (steps, ensemble and seed apply), rather than the
     * discriminative SegFormer, which predicts in one forward.
     */
    public boolean isDiffusionModel() {
        return network instanceof DiffusionNetwork;
    }

    /**
     * Whether the model has a detection head (DiffForensics): {@link Localization#imageScore()} is then its score,
     * otherwise the map's maximum.
     */
    public boolean hasDetectionHead() {
        return network.hasDetectionHead();
    }

    /** Whether results carry a measured uncertainty: option on, a DiffIML model with an ensemble of two or more. */
    public boolean measuresUncertainty() {
        return options.uncertainty() && network.hasEnsemble();
    }

    /** The checkpoint folder the model was loaded from, or null for a model given in memory. */
    public Path source() {
        return source;
    }

    /** Localizes the image in {@code file}. */
    public Localization localize(Path file) throws IOException {
        return localize(LocalizerInput.of(file));
    }

    /** Localizes the image file held in {@code imageFile} (JPEG, PNG, ... bytes). */
    public Localization localize(byte[] imageFile) throws IOException {
        return localize(LocalizerInput.of(imageFile));
    }

    /** Localizes a decoded image. */
    public Localization localize(BufferedImage image) throws IOException {
        return localize(LocalizerInput.of(image));
    }

    /** Localizes one image. */
    public Localization localize(LocalizerInput input) throws IOException {
        return localizeAll(List.of(input)).get(0);
    }

    /**
     * Localizes {@code inputs}, in order, {@link LocalizerOptions#batch()} images (or tiles) per model call. An
     * input that cannot be decoded, or whose maps this JVM's heap cannot hold ({@link MapMemory}: 8 bytes a pixel,
     * 12 with the uncertainty map), stops the call with an {@link ai.diffiml.data.UnreadableImageException} naming
     * it (decode them yourself, e.g. with {@link ai.diffiml.data.ImageFiles#readImage}, and pass
     * {@link LocalizerInput#ofBgr} to skip bad files instead).
     */
    public List<Localization> localizeAll(List<LocalizerInput> inputs) throws IOException {
        requireOpen();
        List<Localization> results = new ArrayList<>(inputs.size());
        if (options.mode() == InferenceMode.TILED) {
            for (LocalizerInput input : inputs) {
                results.add(tiled(input));
            }
            return results;
        }
        for (int start = 0; start < inputs.size(); start += options.batch()) {
            results.addAll(resized(inputs.subList(start, Math.min(inputs.size(), start + options.batch()))));
        }
        return results;
    }

    /** Times of the model stages of one or more calls, summed. */
    private static final class ModelTimes {
        long queue, encoder, sampling, decode;

        void add(Network.Output out, long queued) {
            queue += queued;
            encoder += out.encoderNs();
            sampling += out.samplingNs();
            decode += out.decodeNs();
        }

        StageTimings timings(long preprocess, long postprocess, int batch) {
            return new StageTimings(ms(preprocess), ms(queue), ms(encoder), ms(sampling), ms(decode),
                    ms(postprocess), batch);
        }

        private static double ms(long nanos) {
            return nanos / 1e6;
        }
    }

    /** The protocol: each image resized to R x R, one model call for the chunk, maps resized back. */
    private List<Localization> resized(List<LocalizerInput> chunk) throws IOException {
        int n = chunk.size(), r = network.resolution(), plane = 3 * r * r, pixels = r * r;
        float[] input = new float[n * plane];
        int[] widths = new int[n], heights = new int[n];
        long[] pre = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            try (Mat image = chunk.get(i).decode()) {
                requireHeapFor(chunk.get(i), image);
                try (Mat scaled = Preprocess.resizeImage(image, r)) {
                    Preprocess.normalize(scaled, input, i * plane);
                }
                widths[i] = image.cols();
                heights[i] = image.rows();
            }
            pre[i] = System.nanoTime() - start;
        }
        boolean members = measuresUncertainty();
        ModelTimes times = new ModelTimes();
        Network.Output out = callModel(input, n, members, times);
        List<Localization> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            int w = widths[i], h = heights[i];
            float[] model = Arrays.copyOfRange(out.probability(), i * pixels, (i + 1) * pixels);
            float[] probability = Maps.resizeBilinear(model, r, r, w, h);
            float[] uncertainty = members
                    ? Maps.resizeBilinear(Maps.spread(out.members(), out.memberCount(), n, i, pixels), r, r, w, h)
                    : null;
            long post = System.nanoTime() - start;
            results.add(new Localization(w, h, probability, uncertainty, members, model, r, options.threshold(),
                    times.timings(pre[i], post, n), out.detection() == null ? Double.NaN : out.detection()[i]));
        }
        return results;
    }

    /** Native resolution: overlapping R x R tiles, batch tiles per model call, maps averaged where tiles overlap. */
    private Localization tiled(LocalizerInput input) throws IOException {
        int r = network.resolution(), plane = 3 * r * r, pixels = r * r;
        boolean members = measuresUncertainty();
        ModelTimes times = new ModelTimes();
        long pre = 0, post = 0;
        long start = System.nanoTime();
        try (Mat image = input.decode()) {
            requireHeapFor(input, image);
            int w = image.cols(), h = image.rows();
            TileGrid grid = TileGrid.cover(w, h, r, (int) Math.round(options.tileOverlap() * r));
            TileGrid.Stitcher probability = grid.stitcher();
            TileGrid.Stitcher uncertainty = members ? grid.stitcher() : null;
            double detection = Double.NaN; // the image's: its most suspicious tile's
            List<TileGrid.Tile> tiles = grid.tiles();
            pre += System.nanoTime() - start;
            for (int first = 0; first < tiles.size(); first += options.batch()) {
                List<TileGrid.Tile> chunk = tiles.subList(first, Math.min(tiles.size(), first + options.batch()));
                start = System.nanoTime();
                float[] batch = new float[chunk.size() * plane];
                for (int k = 0; k < chunk.size(); k++) {
                    cutTile(image, chunk.get(k), r, batch, k * plane);
                }
                pre += System.nanoTime() - start;
                Network.Output out = callModel(batch, chunk.size(), members, times);
                start = System.nanoTime();
                if (out.detection() != null) {
                    for (float d : out.detection()) {
                        detection = Double.isNaN(detection) ? d : Math.max(detection, d);
                    }
                }
                for (int k = 0; k < chunk.size(); k++) {
                    probability.add(chunk.get(k), out.probability(), k * pixels);
                    if (members) {
                        uncertainty.add(chunk.get(k),
                                Maps.spread(out.members(), out.memberCount(), chunk.size(), k, pixels), 0);
                    }
                }
                post += System.nanoTime() - start;
            }
            start = System.nanoTime();
            float[] prob = probability.mean();
            float[] spread = members ? uncertainty.mean() : null;
            post += System.nanoTime() - start;
            return new Localization(w, h, prob, spread, members, null, r, options.threshold(),
                    times.timings(pre, post, 1), detection);
        }
    }

    /**
     * Refuses an image whose maps this JVM's heap cannot hold ({@link MapMemory}), before they are allocated: one
     * line naming the input, the memory needed and the limit, instead of an {@link OutOfMemoryError} part-way.
     */
    private void requireHeapFor(LocalizerInput input, Mat image) throws UnreadableImageException {
        String why = MapMemory.refusal(image.cols(), image.rows(), measuresUncertainty());
        if (why != null) {
            throw new UnreadableImageException(Path.of(input.toString()), why);
        }
    }

    /** Normalised pixels of one tile into {@code out[offset ..]}; a tile reaching past the image repeats its edge. */
    private static void cutTile(Mat image, TileGrid.Tile tile, int r, float[] out, int offset) {
        try (Rect rect = new Rect(tile.x(), tile.y(), tile.width(), tile.height()); Mat view = new Mat(image, rect)) {
            if (tile.width() == r && tile.height() == r) {
                Preprocess.normalize(view, out, offset);
                return;
            }
            try (Mat padded = new Mat()) {
                copyMakeBorder(view, padded, 0, r - tile.height(), 0, r - tile.width(), BORDER_REPLICATE);
                Preprocess.normalize(padded, out, offset);
            }
        }
    }

    /** Runs the network on a model thread, adding the wait and the stage times to {@code times}. */
    private Network.Output callModel(float[] pixels, int batch, boolean members, ModelTimes times)
            throws IOException {
        long submitted = System.nanoTime();
        long[] started = new long[1];
        Future<Network.Output> result;
        try {
            result = modelThreads.submit(() -> {
                started[0] = System.nanoTime();
                return network.run(pixels, batch, members);
            });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the localizer is closed", e);
        }
        try {
            Network.Output out = result.get();
            times.add(out, started[0] - submitted);
            return out;
        } catch (InterruptedException e) {
            result.cancel(false);
            Thread.currentThread().interrupt();
            InterruptedIOException io = new InterruptedIOException("interrupted while waiting for the model");
            io.initCause(e);
            throw io;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("the model failed: " + cause, cause);
        }
    }

    private synchronized void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the localizer is closed");
        }
    }

    /** Waits for the calls in progress, stops the model threads (freeing their scratch memory), frees the model. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        modelThreads.shutdown();
        boolean interrupted = false;
        while (!modelThreads.isTerminated()) {
            try {
                modelThreads.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        network.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
