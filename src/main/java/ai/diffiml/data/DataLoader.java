package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.countNonZero;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A parallel, deterministic {@link BatchSource} over a {@link Dataset}.
 *
 * <p><b>Scan.</b> {@link #open} reads every sample once (in parallel) before anything else. Samples whose image or
 * mask cannot be read are dropped from the loader, each logged with its path and reason and listed in the
 * {@link #report()} (logged again as the end-of-run summary when the loader closes); if more than 5% of the dataset
 * is unreadable, {@code open} fails instead. Masks of another size than their image are resized (nearest) and
 * tampered samples with an empty or full mask are kept; each such file is warned about once, here. Because the set
 * of usable samples is fixed up front, unreadable files never shift other samples, whatever the thread timing.
 *
 * <p><b>Order.</b> Epoch {@code e} visits the usable samples in a permutation seeded by (seed, e) (dataset order
 * when shuffling is off); batch {@code i} holds positions {@code [i * B, (i + 1) * B)} of it.
 *
 * <p><b>Samples.</b> Each sample is decoded, augmented with a generator seeded by (seed, epoch, its index in the
 * dataset) (training only), resized to the resolution, cropped to a window drawn from the same coordinates when
 * {@link LoaderOptions#crop} is set (training only), normalised, and given its edge map ({@link EdgeMaps}, made at
 * the output resolution). A batch's samples are prepared in parallel on the loader's threads, each into its own
 * slot, so a batch depends on (seed, epoch, index) alone: asking twice, in any order, with any number of threads,
 * gives the same bits. Authentic samples have all-zero masks and edges unless augmentation's copy-move or
 * inpainting manipulated them, which marks them (and flags them tampered), as in IMDL-BenCo.
 *
 * <p><b>Prefetch.</b> After each request the next {@code prefetch} batches (running into the next epoch) are
 * prepared in the background; prepared batches that are not among them are dropped. {@link #close()} stops the
 * threads.
 */
public final class DataLoader implements BatchSource {
    /** The largest fraction of a dataset that may be unreadable. */
    public static final double MAX_UNREADABLE = 0.05;

    private static final Logger LOG = LoggerFactory.getLogger(DataLoader.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final Dataset dataset;
    private final LoaderOptions options;
    private final Augmentation augmentation;
    private final int[] usable;
    private final LoaderReport report;
    private final ExecutorService pool;
    private final String threadPrefix;
    // The pool's threads, joined on close: awaitTermination returns when the tasks are done, a moment before the
    // threads themselves have exited.
    private final java.util.List<Thread> workers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<Long, Job> jobs = new HashMap<>();
    private int cachedEpoch = -1;
    private int[] cachedOrder;
    private boolean closed;

    private DataLoader(Dataset dataset, LoaderOptions options) {
        this.dataset = dataset;
        this.options = options;
        this.augmentation = options.augment() ? new Augmentation(options.augmentation()) : null;
        this.threadPrefix = "diffiml-loader-" + INSTANCES.incrementAndGet() + "-";
        AtomicInteger count = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, threadPrefix + count.incrementAndGet());
            t.setDaemon(true);
            workers.add(t);
            return t;
        });
        Scan scan;
        try {
            scan = scan();
        } catch (RuntimeException | Error e) {
            pool.shutdownNow();
            throw e;
        }
        this.usable = scan.usable;
        this.report = scan.report;
    }

    /**
     * Scans {@code dataset} (see the class comment) and returns a loader over its usable samples.
     *
     * @throws DatasetException when the dataset is empty, more than 5% of it is unreadable, or it has fewer usable
     *                          samples than one batch while incomplete batches are dropped
     */
    public static DataLoader open(Dataset dataset, LoaderOptions options) throws DatasetException {
        if (dataset.size() == 0) {
            throw new DatasetException("dataset " + dataset.name() + ": no samples");
        }
        DataLoader loader = new DataLoader(dataset, options);
        try {
            loader.check();
        } catch (DatasetException e) {
            loader.close();
            throw e;
        }
        return loader;
    }

    private void check() throws DatasetException {
        List<LoaderReport.Skipped> bad = report.unreadable();
        if (bad.size() > MAX_UNREADABLE * dataset.size()) {
            throw new DatasetException(String.format("dataset %s: %d of %d samples (%.1f%%) are unreadable, more than"
                    + " the %.0f%% allowed; first: %s", dataset.name(), bad.size(), dataset.size(),
                    100.0 * bad.size() / dataset.size(), 100 * MAX_UNREADABLE, bad.get(0)));
        }
        if (batchesPerEpoch() == 0) {
            throw new DatasetException("dataset " + dataset.name() + ": " + usable.length + " usable samples, fewer"
                    + " than one batch of " + options.batchSize() + " (incomplete batches are dropped)");
        }
    }

    public Dataset dataset() {
        return dataset;
    }

    public LoaderOptions options() {
        return options;
    }

    /** What the scan found (unreadable files, resized, empty and full masks). */
    public LoaderReport report() {
        return report;
    }

    @Override
    public int samplesPerEpoch() {
        return options.dropLast() ? usable.length / options.batchSize() * options.batchSize() : usable.length;
    }

    @Override
    public int batchesPerEpoch() {
        int b = options.batchSize();
        return options.dropLast() ? usable.length / b : (usable.length + b - 1) / b;
    }

    /** The dataset indices of epoch {@code epoch}'s samples in visiting order (all usable samples). */
    public int[] order(int epoch) {
        return orderOf(epoch).clone();
    }

    private synchronized int[] orderOf(int epoch) {
        if (epoch != cachedEpoch) {
            int[] order = usable.clone();
            if (options.shuffle()) {
                SplittableRandom r = Seeds.random(options.seed(), Seeds.PERMUTATION, epoch);
                for (int i = order.length - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            cachedOrder = order;
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    @Override
    public Batch batch(int epoch, int index, Device device) {
        int batches = batchesPerEpoch();
        if (epoch < 0 || index < 0 || index >= batches) {
            throw new IndexOutOfBoundsException("batch (" + epoch + ", " + index + ") of a loader with " + batches
                    + " batches per epoch");
        }
        Job job;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("data loader for " + dataset.name() + " is closed");
            }
            job = jobs.remove(key(epoch, index));
            if (job == null) {
                job = submit(epoch, index);
            }
            Set<Long> ahead = new HashSet<>();
            int e = epoch, i = index;
            for (int k = 0; k < options.prefetch(); k++) {
                if (++i == batches) {
                    i = 0;
                    e++;
                }
                long key = key(e, i);
                ahead.add(key);
                if (!jobs.containsKey(key)) {
                    jobs.put(key, submit(e, i));
                }
            }
            jobs.entrySet().removeIf(entry -> {
                if (ahead.contains(entry.getKey())) {
                    return false;
                }
                entry.getValue().cancelled = true;
                return true;
            });
        }
        try {
            job.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for batch (" + epoch + ", " + index + ")", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("preparing batch (" + epoch + ", " + index + "): " + cause, cause);
        }
        return job.toBatch(device);
    }

    /** Stops the loader's threads (waiting for running samples to finish) and logs the report if it has issues. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            jobs.values().forEach(j -> j.cancelled = true);
            jobs.clear();
        }
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("data loader threads {}* still running 60 s after close", threadPrefix);
            } else {
                for (Thread t : workers) {
                    t.join(10_000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (report != null && report.hasIssues()) {
            LOG.warn("{}", report.summary());
        }
    }

    /** The loader's threads are named with this prefix (for diagnostics). */
    public String threadNamePrefix() {
        return threadPrefix;
    }

    private static long key(int epoch, int index) {
        return ((long) epoch << 32) | (index & 0xFFFFFFFFL);
    }

    private Job submit(int epoch, int index) {
        int[] order = orderOf(epoch);
        int b = options.batchSize();
        int from = index * b, to = Math.min(from + b, samplesPerEpoch());
        Job job = new Job(epoch, Arrays.copyOfRange(order, from, to), options.batchSide());
        CompletableFuture<?>[] parts = new CompletableFuture<?>[job.samples.length];
        for (int slot = 0; slot < parts.length; slot++) {
            int s = slot;
            parts[slot] = CompletableFuture.runAsync(() -> {
                if (!job.cancelled) {
                    prepare(job, s);
                }
            }, pool);
        }
        job.done = CompletableFuture.allOf(parts);
        return job;
    }

    /** Decodes, augments, resizes and normalises one sample into its slot of {@code job}. */
    private void prepare(Job job, int slot) {
        int index = job.samples[slot];
        Sample sample = dataset.samples().get(index);
        int r = options.resolution(), side = options.batchSide(), plane = side * side;
        try (PointerScope scope = new PointerScope()) {
            LoadedSample loaded = LoadedSample.read(sample);
            Mat image = loaded.image(), mask = loaded.mask();
            boolean manipulated = false;
            if (augmentation != null) {
                Augmentation.Result out = augmentation.apply(image, mask,
                        Seeds.random(options.seed(), Seeds.AUGMENTATION, job.epoch, index));
                loaded.close();
                image = out.image();
                mask = out.mask();
                manipulated = out.manipulated();
            }
            Mat sized = Preprocess.resizeImage(image, r);
            Mat sizedMask = Preprocess.resizeMask(mask, r);
            image.close();
            mask.close();
            if (side < r) {
                SplittableRandom at = Seeds.random(options.seed(), Seeds.CROP, job.epoch, index);
                Rect window = new Rect(at.nextInt(r - side + 1), at.nextInt(r - side + 1), side, side);
                sized = sized.apply(window).clone(); // a contiguous copy: normalize reads the rows in one run
                sizedMask = sizedMask.apply(window).clone();
            }
            Mat edge = EdgeMaps.compute(options.edgeMode(), sizedMask, options.edgeWidth());
            Preprocess.normalize(sized, job.images, slot * 3 * plane);
            Preprocess.maskToFloats(sizedMask, job.masks, slot * plane);
            Preprocess.maskToFloats(edge, job.edges, slot * plane);
            job.ids[slot] = sample.id();
            // a crop that misses the tampered region is an authentic sample
            job.tampered[slot] = (sample.tampered() || manipulated) && (side == r || countNonZero(sizedMask) > 0);
        } catch (UnreadableImageException e) {
            throw new IllegalStateException("dataset " + dataset.name() + ": " + e.getMessage()
                    + " (it was readable when the loader scanned the dataset)", e);
        }
    }

    private record ScanResult(boolean readable, Path file, String reason, LoadedSampleFlags flags,
                              List<String> warnings) {}

    private record LoadedSampleFlags(boolean resized, boolean empty, boolean full) {}

    private record Scan(int[] usable, LoaderReport report) {}

    private Scan scan() {
        long start = System.nanoTime();
        List<Sample> samples = dataset.samples();
        List<CompletableFuture<ScanResult>> futures = new ArrayList<>(samples.size());
        for (Sample sample : samples) {
            futures.add(CompletableFuture.supplyAsync(() -> scanOne(sample), pool));
        }
        List<Integer> usableList = new ArrayList<>();
        List<LoaderReport.Skipped> unreadable = new ArrayList<>();
        List<Path> resized = new ArrayList<>(), empty = new ArrayList<>(), full = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            ScanResult result = futures.get(i).join();
            Sample sample = samples.get(i);
            result.warnings().forEach(w -> LOG.warn("{}", w));
            if (!result.readable()) {
                LOG.warn("skipping sample {}: {}: {}", sample.id(), result.file(), result.reason());
                unreadable.add(new LoaderReport.Skipped(sample.id(), result.file(), result.reason()));
                continue;
            }
            usableList.add(i);
            if (result.flags().resized()) {
                resized.add(sample.mask());
            }
            if (result.flags().empty()) {
                empty.add(sample.mask());
            }
            if (result.flags().full()) {
                full.add(sample.mask());
            }
        }
        LoaderReport report = new LoaderReport(dataset.name(), samples.size(), unreadable, resized, empty, full);
        LOG.info("dataset {}: {} samples ({} tampered), {} usable; scanned in {} ms", dataset.name(), samples.size(),
                dataset.tamperedCount(), report.used(), (System.nanoTime() - start) / 1_000_000);
        return new Scan(usableList.stream().mapToInt(Integer::intValue).toArray(), report);
    }

    private static ScanResult scanOne(Sample sample) {
        try (PointerScope scope = new PointerScope(); LoadedSample loaded = LoadedSample.read(sample)) {
            return new ScanResult(true, null, null,
                    new LoadedSampleFlags(loaded.maskResized(), loaded.maskEmpty(), loaded.maskFull()),
                    loaded.warnings());
        } catch (UnreadableImageException e) {
            return new ScanResult(false, e.file(), e.reason(), null, List.of());
        } catch (RuntimeException e) {
            return new ScanResult(false, sample.image(), "failed to decode: " + e, null, List.of());
        }
    }

    /** One batch being prepared: each sample writes its own slot of the host arrays. */
    private static final class Job {
        final int epoch;
        final int[] samples;
        final float[] images, masks, edges;
        final String[] ids;
        final boolean[] tampered;
        final int resolution;
        volatile boolean cancelled;
        CompletableFuture<Void> done;

        Job(int epoch, int[] samples, int resolution) {
            this.epoch = epoch;
            this.samples = samples;
            this.resolution = resolution;
            int n = samples.length, plane = resolution * resolution;
            images = new float[n * 3 * plane];
            masks = new float[n * plane];
            edges = new float[n * plane];
            ids = new String[n];
            tampered = new boolean[n];
        }

        Batch toBatch(Device device) {
            int n = samples.length, r = resolution;
            Tensor img = null, mask = null, edge = null;
            try {
                img = Tensor.of(device, images, n, 3, r, r);
                mask = Tensor.of(device, masks, n, 1, r, r);
                edge = Tensor.of(device, edges, n, 1, r, r);
                Batch batch = new Batch(img, mask, edge, List.of(ids), tampered.clone());
                img = null;
                mask = null;
                edge = null;
                return batch;
            } finally {
                for (Tensor t : new Tensor[] {img, mask, edge}) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
        }
    }
}
