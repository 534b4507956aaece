package ai.diffiml.synth;

import ai.diffiml.data.OpenCv;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_imgproc;

/**
 * Synthetic image-manipulation data: tampered images with exact masks and authentic images, written as an
 * IMDL-BenCo folder ({@code Tp/}, {@code Gt/}, {@code Au/}) plus a BenCo JSON list (see {@link SynthDataset}).
 *
 * <p>Each image is a pure function of the seed and its index (its own random streams), so the files do not depend
 * on the number of threads or on timing. An image goes through three stages:
 * <ol>
 * <li>capture (host, and donor for splices): a procedural scene through a simulated camera ({@link SceneRenderer})
 *     or a crop of a real photograph, then usually a first JPEG save, then a crop by 0..7 pixels that moves the
 *     JPEG grid;</li>
 * <li>for tampered images, one manipulation ({@link Tamper}): splice, copy-move or inpainting, with local
 *     resampling, re-compression, blur, noise and feathering;</li>
 * <li>post-processing drawn from one distribution for authentic and tampered images alike, from a stream of its
 *     own: sometimes a resize from a larger working size, a blur, noise; then the file: JPEG at quality 65..100
 *     (4:2:0 or 4:4:4) or PNG.</li>
 * </ol>
 * So "processed" never means "tampered": only the manipulation itself differs between the two classes. Where
 * the image is resized from its working size, the mask is resized with it (area coverage at least 1/2).
 */
public final class SynthGenerator {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final String FORMAT = "diffiml-synth";
    /** 2: wider camera noise range, more frequent donor noise/blur and resampled moves (stronger traces). */
    private static final int VERSION = 2;
    /** Final masks must cover this share of the image (the manipulation draws inside a slightly narrower band). */
    static final double MIN_MASK = 0.02, MAX_MASK = 0.40;
    private static final int ATTEMPTS = 40;

    private final SynthOptions options;
    private final PhotoFolder photos;
    private final boolean[] authentic;
    private final String nameFormat;

    /**
     * A generator for {@code options}; with photos, the folder is listed and checked now (an
     * IllegalArgumentException names it when it holds no readable photo).
     */
    public SynthGenerator(SynthOptions options) {
        OpenCv.load();
        this.options = options;
        this.photos = options.photos() == null ? null : PhotoFolder.open(options.photos(), options.size());
        this.authentic = chooseAuthentic(options);
        this.nameFormat = "%0" + Math.max(5, String.valueOf(options.count()).length()) + "d";
    }

    public SynthOptions options() {
        return options;
    }

    /** Whether image {@code index} (0-based) is tampered. */
    public boolean isTampered(int index) {
        return !authentic[index];
    }

    /** A seeded choice of exactly {@link SynthOptions#authenticCount()} authentic indices. */
    private static boolean[] chooseAuthentic(SynthOptions o) {
        int n = o.count();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(o.seed() ^ 0x5DEECE66DL);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] au = new boolean[n];
        for (int k = 0; k < o.authenticCount(); k++) {
            au[order[k]] = true;
        }
        return au;
    }

    /** Image {@code index} (0-based), made in memory. */
    public SynthSample sample(int index) {
        if (index < 0 || index >= options.count()) {
            throw new IndexOutOfBoundsException("image " + index + " of " + options.count());
        }
        try (PointerScope scope = new PointerScope()) {
            return make(index);
        }
    }

    private SynthSample make(int index) {
        SplittableRandom root = new SplittableRandom(mix(options.seed(), index));
        SplittableRandom postRng = root.split(), hostRng = root.split(), donorRng = root.split();
        SplittableRandom tamperRng = root.split();
        int size = options.size();
        Post post = Post.draw(postRng, size);
        Capture host = capture(hostRng, post.work);
        Map<String, Object> info = new LinkedHashMap<>();
        if (authentic[index]) {
            info.put("kind", "authentic");
            Raster image = post.apply(postRng.split(), host.image());
            post.describe(info);
            return new SynthSample(index, false, post.extension(), post.encode(image), null, info);
        }
        Capture[] donor = new Capture[1];
        Tamper.Kind kind = Tamper.Kind.draw(tamperRng);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Map<String, Object> tried = new LinkedHashMap<>();
            // the drawn kind keeps its share; a host where it keeps failing (a flat image) gets a splice
            Tamper.Kind now = attempt < ATTEMPTS / 2 ? kind : Tamper.Kind.SPLICE;
            Tamper.Result r = Tamper.apply(now, tamperRng, host, () -> {
                if (donor[0] == null) {
                    donor[0] = capture(donorRng, post.work);
                }
                return donor[0];
            }, tried);
            if (r == null) {
                continue;
            }
            Raster mask = r.mask();
            if (post.work != size) {
                mask = Cv.resize(mask, size, size, opencv_imgproc.INTER_AREA).threshold(0.5f);
            }
            double fraction = mask.mean();
            if (fraction < MIN_MASK || fraction > MAX_MASK) {
                continue;
            }
            Raster image = post.apply(postRng.split(), r.image());
            info.putAll(tried);
            info.put("maskFraction", Tamper.round(fraction));
            post.describe(info);
            for (int i = 0; i < mask.data.length; i++) {
                mask.data[i] *= 255f;
            }
            return new SynthSample(index, true, post.extension(), post.encode(image), Cv.encodePng(mask), info);
        }
        throw new IllegalStateException("image " + index + ": no visible manipulation in " + ATTEMPTS
                + " attempts (are the photos nearly uniform?)");
    }

    /**
     * A host or donor at working size {@code w}: content ({@code w + 8} square), a first JPEG save (usually),
     * then a crop at a 0..7 pixel offset, which moves the 8x8 grid of that save for half of the images.
     */
    Capture capture(SplittableRandom rng, int w) {
        int n = w + 8;
        Capture content = photos != null ? new Capture(photos.content(rng, n), List.of())
                : SceneRenderer.render(rng, n);
        Raster img = content.image();
        if (rng.nextDouble() < 0.85) {
            img = Cv.jpeg(img, rng.nextInt(70, 98), rng.nextDouble() < 0.8);
        }
        int ox = 0, oy = 0;
        if (rng.nextBoolean()) {
            ox = rng.nextInt(8);
            oy = rng.nextInt(8);
        }
        List<Raster> objects = new ArrayList<>();
        for (Raster o : content.objects()) {
            Raster c = o.crop(ox, oy, w, w);
            if (c.mean() >= 0.004) {
                objects.add(c);
            }
        }
        return new Capture(img.crop(ox, oy, w, w), objects);
    }

    /** The post-processing every image gets, authentic or tampered (drawn from the same stream and distribution). */
    private static final class Post {
        int size;
        int work;
        int interpolation;
        double blur;
        double noise;
        int quality;
        boolean subsample;

        static Post draw(SplittableRandom rng, int size) {
            Post p = new Post();
            p.size = size;
            p.work = rng.nextDouble() < 0.5 ? size : (int) Math.round(size * rng.nextDouble(1.1, 1.6));
            double u = rng.nextDouble();
            p.interpolation = u < 0.5 ? opencv_imgproc.INTER_AREA : u < 0.75 ? opencv_imgproc.INTER_LINEAR
                    : opencv_imgproc.INTER_CUBIC;
            p.blur = rng.nextDouble() < 0.15 ? rng.nextDouble(0.3, 0.9) : 0;
            p.noise = rng.nextDouble() < 0.15 ? rng.nextDouble(0.8, 3.0) : 0;
            p.quality = rng.nextDouble() < 0.8 ? rng.nextInt(65, 101) : 0;
            p.subsample = rng.nextDouble() < 0.75;
            return p;
        }

        Raster apply(SplittableRandom rng, Raster image) {
            Raster out = image;
            if (work != size) {
                out = Cv.resize(out, size, size, interpolation);
            }
            if (blur > 0) {
                out = Cv.gaussianBlur(out, blur);
            }
            if (noise > 0) {
                out = out == image ? out.copy() : out;
                Tamper.addNoise(rng, out, null, noise);
            }
            return out.quantize();
        }

        String extension() {
            return quality > 0 ? "jpg" : "png";
        }

        byte[] encode(Raster image) {
            return quality > 0 ? Cv.encodeJpeg(image, quality, subsample) : Cv.encodePng(image);
        }

        void describe(Map<String, Object> info) {
            if (work != size) {
                info.put("resizedFrom", work);
            }
            if (blur > 0) {
                info.put("blur", Tamper.round(blur));
            }
            if (noise > 0) {
                info.put("noise", Tamper.round(noise));
            }
            if (quality > 0) {
                info.put("jpeg", quality);
                info.put("chroma", subsample ? "4:2:0" : "4:4:4");
            }
        }
    }

    private static long mix(long seed, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + (index + 1L) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ---- datasets on disk -------------------------------------------------------------------------------------

    /** Relative path of image {@code index} in the dataset folder. */
    String imagePath(int index, String extension) {
        return (authentic[index] ? "Au/" : "Tp/") + String.format(nameFormat, index + 1) + "." + extension;
    }

    String maskPath(int index) {
        return "Gt/" + String.format(nameFormat, index + 1) + ".png";
    }

    /**
     * Writes the dataset to {@code out}, which must not exist or be an empty folder. The images are made into a
     * hidden temporary sibling folder ({@code .NAME.partial-*}) that is renamed to {@code out} only when complete:
     * after a failure {@code out} does not exist (the temporary folder is removed; after a crash a hidden
     * {@code .partial-} folder may remain, never a complete-looking {@code out}). {@code progress}, if not null,
     * is told the number of images finished, in order, on the calling thread.
     *
     * @throws IOException naming the folder and the problem (one line) when it cannot be written
     */
    public SynthDataset generate(Path out, IntConsumer progress) throws IOException {
        checkOutput(out);
        Path target = out.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Path tmp;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".partial-");
        } catch (IOException e) {
            throw new IOException(out + ": cannot create the folder: " + reason(e), e);
        }
        boolean done = false;
        try {
            for (String sub : new String[] {"Tp", "Gt", "Au"}) {
                Files.createDirectory(tmp.resolve(sub));
            }
            List<Map<String, Object>> records = writeImages(tmp, progress);
            int tampered = options.count() - options.authenticCount();
            writeList(tmp, records);
            writeManifest(tmp, records, tampered);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                throw new IOException(out + ": appeared while the dataset was being made; not replaced", e);
            }
            done = true;
            return new SynthDataset(target, tampered, options.authenticCount(), options);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(out.toString())) {
                throw e;
            }
            throw new IOException(out + ": cannot write the dataset: " + reason(e), e);
        } finally {
            if (!done) {
                deleteTree(tmp);
            }
        }
    }

    /**
     * Checks that a dataset can be written to {@code out} without writing anything: it must not exist or be an
     * empty folder, and its nearest existing ancestor must be a writable folder. {@link #generate} checks the same
     * first; callers that show progress call this before they start.
     *
     * @throws IOException naming {@code out} and the problem, in one line
     */
    public static void checkOutput(Path out) throws IOException {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new IOException(out + ": exists and is not a folder");
            }
            try (Stream<Path> entries = Files.list(target)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException(out + ": exists and is not empty");
                }
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith(out.toString())) {
                    throw e;
                }
                throw new IOException(out + ": cannot list the folder: " + reason(e), e);
            }
        }
        Path parent = target.getParent();
        if (parent == null) {
            throw new IOException(out + ": cannot write a dataset at the file system root");
        }
        Path existing = parent;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            throw new IOException(out + ": cannot create the folder: " + existing + " exists and is not a folder");
        }
        if (!Files.isWritable(existing)) {
            throw new IOException(out + ": cannot create the folder: permission denied (" + existing + ")");
        }
    }

    private List<Map<String, Object>> writeImages(Path tmp, IntConsumer progress) throws IOException {
        int n = options.count();
        AtomicInteger nextThread = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.threads(), n), r -> {
            Thread t = new Thread(r, "synth-" + nextThread.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Map<String, Object>>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> writeImage(tmp, index)));
            }
            List<Map<String, Object>> records = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                try {
                    records.add(futures.get(i).get());
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                }
                if (progress != null) {
                    progress.accept(i + 1);
                }
            }
            return records;
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Map<String, Object> writeImage(Path tmp, int index) throws IOException {
        SynthSample s = sample(index);
        Map<String, Object> record = new LinkedHashMap<>();
        String image = imagePath(index, s.extension());
        record.put("image", image);
        Files.write(tmp.resolve(image), s.image());
        if (s.tampered()) {
            String mask = maskPath(index);
            record.put("mask", mask);
            Files.write(tmp.resolve(mask), s.mask());
        }
        record.putAll(s.info());
        return record;
    }

    /** list.json: {@code [[image, mask | "Negative"], ...]}, one entry a line, in index order. */
    private static void writeList(Path dir, List<Map<String, Object>> records) throws IOException {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> r = records.get(i);
            Object mask = r.getOrDefault("mask", "Negative");
            sb.append("  ").append(JSON.writer().without(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(List.of(r.get("image"), mask)));
            sb.append(i + 1 < records.size() ? ",\n" : "\n");
        }
        sb.append("]\n");
        Files.writeString(dir.resolve(SynthDataset.LIST), sb);
    }

    private void writeManifest(Path dir, List<Map<String, Object>> records, int tampered) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("count", options.count());
        m.put("seed", options.seed());
        m.put("size", options.size());
        m.put("photos", options.photos() == null ? null : options.photos().toString());
        m.put("authenticFraction", options.authenticFraction());
        m.put("tampered", tampered);
        m.put("authentic", options.authenticCount());
        m.put("samples", records);
        Files.write(dir.resolve(SynthDataset.MANIFEST), JSON.writeValueAsBytes(m));
    }

    /**
     * The dataset in {@code out}: the one already there if {@code out/synth.json} says it was made with the same
     * options (threads aside), else a new one ({@link #generate}) when {@code out} is absent or empty. A folder
     * holding other files, or a dataset made with other options, is an IllegalArgumentException saying so.
     */
    public static SynthDataset ensure(Path out, SynthOptions options, IntConsumer progress) throws IOException {
        if (Files.isRegularFile(out.resolve(SynthDataset.MANIFEST))) {
            SynthDataset existing = read(out);
            if (!existing.options().sameData(options)) {
                SynthOptions o = existing.options();
                throw new IllegalArgumentException(out + ": holds a synthetic dataset made with other options (count "
                        + o.count() + ", seed " + o.seed() + ", size " + o.size() + ", photos " + o.photos()
                        + ", authentic " + o.authenticFraction() + "); delete it or choose another folder");
            }
            return existing;
        }
        if (Files.isDirectory(out)) {
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(out + ": exists but holds no synthetic dataset (no "
                            + SynthDataset.MANIFEST + ")");
                }
            }
        }
        return new SynthGenerator(options).generate(out, progress);
    }

    /** The complete dataset in {@code dir} (its {@code synth.json}); IOException naming the file otherwise. */
    public static SynthDataset read(Path dir) throws IOException {
        Path file = dir.resolve(SynthDataset.MANIFEST);
        JsonNode m;
        try {
            m = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": " + reason(e), e);
        }
        if (m == null || !FORMAT.equals(m.path("format").asText()) || m.path("version").asInt() != VERSION) {
            throw new IOException(file + ": not a " + FORMAT + " version " + VERSION + " manifest (a dataset made by"
                    + " another version of the generator: delete its folder to make it again)");
        }
        SynthOptions o = new SynthOptions(m.path("count").asInt(), m.path("seed").asLong(), m.path("size").asInt(),
                m.path("photos").isNull() ? null : Paths.get(m.path("photos").asText()),
                m.path("authenticFraction").asDouble(), 1);
        return new SynthDataset(dir, m.path("tampered").asInt(), m.path("authentic").asInt(), o);
    }

    /** A short reason for an I/O failure (the JDK's messages are often just the path). */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied (" + e.getMessage() + ")";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or folder (" + e.getMessage() + ")";
        }
        if (e instanceof NotDirectoryException) {
            return e.getMessage() + " is not a folder";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " exists" + (Files.isDirectory(Paths.get(f.getFile())) ? "" : " and is not a folder");
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + " (" + f.getFile() + ")";
        }
        String m = e.getMessage();
        return (m == null ? e.getClass().getSimpleName() : m).replace('\n', ' ');
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(SynthGenerator.class).warn("{}: could not remove the partial folder:"
                    + " {}", dir, e.toString());
        }
    }
}
