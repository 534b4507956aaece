package ai.diffiml.synth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real photographs as the source of hosts and donors: every image file under a folder (recursively, sorted by
 * path; hidden files skipped) that OpenCV can decode, cropped to a random square and resized. A photo is first
 * reduced (area interpolation) so its shorter side is at most {@code 3 x size}, then cached (bounded), so the
 * pixels a sample gets never depend on whether the photo was cached. Files that cannot be decoded are skipped with
 * one warning each; the choice of a replacement depends only on the files, never on thread timing.
 */
final class PhotoFolder {
    private static final Logger LOG = LoggerFactory.getLogger(PhotoFolder.class);
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "jpe", "png", "bmp", "dib", "tif", "tiff",
            "webp", "pbm", "pgm", "ppm", "pnm", "pxm", "jp2", "sr", "ras", "hdr", "pic");
    private static final long CACHE_BYTES = 256L << 20;

    private final Path dir;
    private final List<Path> files;
    private final int size;
    private final Set<Integer> unreadable = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Raster> cache = new LinkedHashMap<>(64, 0.75f, true);
    private long cachedBytes;

    private PhotoFolder(Path dir, List<Path> files, int size) {
        this.dir = dir;
        this.files = files;
        this.size = size;
    }

    /**
     * The photos under {@code dir} for images of {@code size} pixels; an IllegalArgumentException naming the
     * folder when it is missing, holds no image files, or none of them decodes.
     */
    static PhotoFolder open(Path dir, int size) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": " + (Files.exists(dir) ? "not a folder" : "no such folder"));
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).filter(PhotoFolder::looksLikeImage).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException(dir + ": cannot list the folder: " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no readable photos (no image files: jpg, png, bmp, tif,"
                    + " webp, ...)");
        }
        PhotoFolder folder = new PhotoFolder(dir, files, size);
        for (int i = 0; i < files.size(); i++) {
            if (folder.load(i) != null) {
                return folder;
            }
        }
        throw new IllegalArgumentException(dir + ": no readable photos (" + files.size() + " image files, none"
                + " decodes)");
    }

    private static boolean looksLikeImage(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0
                && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** A random square crop of a random photo, resized to {@code n x n}. */
    Raster content(SplittableRandom rng, int n) {
        int index = rng.nextInt(files.size());
        Raster photo = null;
        for (int tries = 0; tries < files.size() && photo == null; tries++) {
            photo = load((index + tries) % files.size());
        }
        if (photo == null) {
            throw new IllegalStateException(dir + ": no photo decodes any more");
        }
        int side = Math.min(photo.width, photo.height);
        int crop = Math.max(1, (int) Math.round(side * rng.nextDouble(0.5, 1.0)));
        int x = rng.nextInt(photo.width - crop + 1), y = rng.nextInt(photo.height - crop + 1);
        Raster square = photo.crop(x, y, crop, crop);
        if (crop == n) {
            return square;
        }
        return Cv.resize(square, n, n, crop > n ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_CUBIC);
    }

    /** Photo {@code index}, reduced and cached; null (and a warning, once) when it cannot be decoded. */
    private Raster load(int index) {
        if (unreadable.contains(index)) {
            return null;
        }
        synchronized (cache) {
            Raster cached = cache.get(index);
            if (cached != null) {
                return cached;
            }
        }
        Path file = files.get(index);
        Raster photo;
        String problem = null;
        try {
            photo = Cv.decode(Files.readAllBytes(file));
            if (photo == null) {
                problem = "OpenCV cannot decode it";
            }
        } catch (IOException e) {
            photo = null;
            problem = "cannot read: " + e.getMessage();
        }
        if (photo == null) {
            if (unreadable.add(index)) {
                LOG.warn("{}: skipped, {}", file, problem);
            }
            return null;
        }
        int side = Math.min(photo.width, photo.height), limit = 3 * size;
        if (side > limit) {
            double f = limit / (double) side;
            photo = Cv.resize(photo, Math.max(1, (int) Math.round(photo.width * f)),
                    Math.max(1, (int) Math.round(photo.height * f)), opencv_imgproc.INTER_AREA);
        }
        synchronized (cache) {
            if (cache.putIfAbsent(index, photo) == null) {
                cachedBytes += 4L * photo.data.length;
                var it = cache.entrySet().iterator();
                while (cachedBytes > CACHE_BYTES && it.hasNext()) {
                    var e = it.next();
                    if (e.getKey() != index) {
                        cachedBytes -= 4L * e.getValue().data.length;
                        it.remove();
                    }
                }
            }
            return cache.get(index);
        }
    }
}
