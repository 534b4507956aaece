package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_ANYDEPTH;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ShortBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Reading images and ground-truth masks from files, as OpenCV {@link Mat}s the caller owns (close them).
 *
 * <p>Images come back as 8-bit, 3-channel <b>BGR</b> (OpenCV's channel order; {@link Preprocess#normalize} turns
 * them into RGB tensors). OpenCV decodes first (JPEG incl. CMYK, PNG, TIFF incl. CMYK and most compressions, BMP,
 * GIF, WebP, PNM), keeping the bit depth so that 16-bit samples map to 8 bits as {@code round(v / 257)} the same way
 * for every format; grayscale and palette images become 3 equal or looked-up channels; alpha is dropped, not
 * composited; EXIF orientation and embedded ICC profiles are ignored (the stored values are used, as IMDL-BenCo's
 * PIL loading does; masks are drawn on the stored pixel grid). What
 * OpenCV refuses is tried with javax.imageio (e.g. WBMP, old-style JPEG-in-TIFF); a decoder warning there (such as a
 * premature end of data) counts as a failure, so truncated files are never half-read.
 *
 * <p>Masks come back as 8-bit single-channel {0, 1}: a pixel is 1 when the mean of its R, G and B values is above
 * 127.5, alpha ignored (IMDL-BenCo's rule, which the evaluation protocol uses). 1-band masks use their one value
 * (likewise gray + alpha), RGB and RGBA masks the mean of the three colours, palette masks the looked-up colours,
 * 16-bit masks their values divided by 257, and float masks are taken as [0, 1] (threshold 0.5).
 *
 * <p>A file that cannot be read raises {@link UnreadableImageException} naming the file and the reason (no such
 * file, empty file, corrupt or truncated data of a named format, not an image).
 */
public final class ImageFiles {
    /** File name extensions taken for images when listing folders (lower case, without the dot). */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of(
            "jpg", "jpeg", "jpe", "jfif", "png", "tif", "tiff", "bmp", "dib", "gif", "webp", "pbm", "pgm", "ppm",
            "pnm", "wbmp");

    /**
     * Largest image decoded, in pixels (2^28, e.g. 16384 x 16384; a 12000 x 9000 photo is 108 M): a file whose header
     * declares more is refused before anything is allocated for its pixels (768 MB as 8-bit BGR, four times that as
     * the int raster javax.imageio would allocate).
     */
    public static final long MAX_PIXELS = 1L << 28;

    private ImageFiles() {}

    /** Whether {@code file}'s name has an image extension (and is not a hidden file such as {@code ._x.jpg}). */
    public static boolean hasImageExtension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return !name.startsWith(".") && dot > 0
                && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * The width and height of the image in {@code file}, from its header where javax.imageio can read it (JPEG, PNG,
     * TIFF, BMP, GIF) without decoding the pixels, else from a full decode.
     */
    public static int[] size(Path file) throws UnreadableImageException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers != null && readers.hasNext()) {
                ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    return new int[] {reader.getWidth(0), reader.getHeight(0)};
                } finally {
                    reader.dispose();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not readable this way: decode below, which names the problem
        }
        try (Mat m = readImage(file)) {
            return new int[] {m.cols(), m.rows()};
        }
    }

    /**
     * The file as decoded, without conversion: its own channels (1 to 4, alpha kept) and depth, for describing masks.
     * Files OpenCV refuses come from javax.imageio as 8-bit BGR. The caller closes it.
     */
    public static Mat readUnchanged(Path file) throws UnreadableImageException {
        byte[] bytes = readBytes(file);
        Mat decoded = opencvDecode(bytes, IMREAD_UNCHANGED);
        return decoded != null ? decoded : fromBufferedImage(imageIoRead(bytes, file));
    }

    /** The image in {@code file} as 8-bit BGR, 3 channels (see the class comment). The caller closes it. */
    public static Mat readImage(Path file) throws UnreadableImageException {
        return decodeImage(readBytes(file), file);
    }

    /** The mask in {@code file} as 8-bit single-channel {0, 1} (see the class comment). The caller closes it. */
    public static Mat readMask(Path file) throws UnreadableImageException {
        return decodeMask(readBytes(file), file);
    }

    /** {@link #readImage} on bytes already in memory; {@code file} names them in errors. */
    public static Mat decodeImage(byte[] bytes, Path file) throws UnreadableImageException {
        requireSaneSize(bytes, file);
        requireWholePngChunks(bytes, file);
        Mat decoded = opencvDecode(bytes, IMREAD_COLOR | IMREAD_ANYDEPTH | IMREAD_IGNORE_ORIENTATION);
        if (decoded == null) {
            return fromBufferedImage(imageIoRead(bytes, file));
        }
        try {
            if (decoded.channels() != 3) {
                throw new UnreadableImageException(file, "decoded to " + decoded.channels() + " channels, not 3");
            }
            int depth = decoded.depth();
            if (depth == CV_8U) {
                Mat out = decoded;
                decoded = null; // returned as is
                return out;
            }
            double scale;
            if (depth == CV_16U) {
                scale = 1.0 / 257.0;
            } else if (depth == CV_32F || depth == CV_64F) {
                scale = 255.0; // float images are taken as [0, 1]
            } else {
                throw new UnreadableImageException(file, "unsupported sample type (OpenCV depth " + depth + ")");
            }
            Mat out = new Mat();
            decoded.convertTo(out, CV_8U, scale, 0);
            return out;
        } finally {
            if (decoded != null) {
                decoded.close();
            }
        }
    }

    /** {@link #readMask} on bytes already in memory; {@code file} names them in errors. */
    public static Mat decodeMask(byte[] bytes, Path file) throws UnreadableImageException {
        requireSaneSize(bytes, file);
        requireWholePngChunks(bytes, file);
        Mat decoded = opencvDecode(bytes, IMREAD_UNCHANGED);
        if (decoded == null) {
            return binarise(imageIoRead(bytes, file));
        }
        try {
            return binarise(decoded, file);
        } finally {
            decoded.close();
        }
    }

    /**
     * Refuses an image whose header (read by javax.imageio, which parses the headers of PNG, JPEG, BMP, GIF, TIFF and
     * WBMP without decoding) declares more than {@link #MAX_PIXELS}. Formats it cannot parse are left to the
     * decoders (OpenCV refuses more than 2^30 pixels itself).
     */
    private static void requireSaneSize(byte[] bytes, Path file) throws UnreadableImageException {
        long width, height;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return; // an unreadable header: the decoders say what is wrong
        }
        if (width * height > MAX_PIXELS) {
            throw new UnreadableImageException(file, "declares " + width + " x " + height + " pixels, more than the "
                    + MAX_PIXELS / 1_000_000 + " megapixels this reader decodes");
        }
    }

    /**
     * Refuses a PNG in which a chunk declares more bytes than the file holds after it. Why: OpenCV's PNG decoder
     * allocates a chunk's declared length before it reads it, so one 120-byte file declaring a 4 GB chunk cost 3 s
     * and 4 GB per refusal (found by fuzzing); a file that ends inside a chunk cannot decode anyway. The walk stops at
     * IEND or at the end of the bytes; anything else about the chunks is left to the decoders.
     */
    static void requireWholePngChunks(byte[] bytes, Path file) throws UnreadableImageException {
        if (!"PNG".equals(sniffFormat(bytes))) {
            return;
        }
        long at = 8; // after the signature
        while (at + 8 <= bytes.length) {
            long length = ((bytes[(int) at] & 0xFFL) << 24) | ((bytes[(int) at + 1] & 0xFFL) << 16)
                    | ((bytes[(int) at + 2] & 0xFFL) << 8) | (bytes[(int) at + 3] & 0xFFL);
            String type = new String(bytes, (int) at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            long left = bytes.length - (at + 8);
            if (length + 4 > left) { // data and CRC
                throw new UnreadableImageException(file, "corrupt or truncated PNG data (chunk '"
                        + printable(type) + "' at byte " + at + " declares " + length + " bytes; " + left
                        + " follow it)");
            }
            if (type.equals("IEND")) {
                return;
            }
            at += 12 + length;
        }
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 0x21 && c <= 0x7E) ? type : "?";
    }

    /** The format the leading bytes announce (JPEG, PNG, ...), or null. */
    static String sniffFormat(byte[] b) {
        if (starts(b, 0xFF, 0xD8, 0xFF)) {
            return "JPEG";
        }
        if (starts(b, 0x89, 'P', 'N', 'G')) {
            return "PNG";
        }
        if (starts(b, 'I', 'I', 42, 0) || starts(b, 'M', 'M', 0, 42)) {
            return "TIFF";
        }
        if (starts(b, 'B', 'M')) {
            return "BMP";
        }
        if (starts(b, 'G', 'I', 'F', '8')) {
            return "GIF";
        }
        if (starts(b, 'R', 'I', 'F', 'F') && b.length >= 12 && b[8] == 'W' && b[9] == 'E' && b[10] == 'B'
                && b[11] == 'P') {
            return "WebP";
        }
        if (b.length >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') {
            return "PNM";
        }
        return null;
    }

    private static boolean starts(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] readBytes(Path file) throws UnreadableImageException {
        if (Files.isDirectory(file)) {
            throw new UnreadableImageException(file, "is a folder, not an image file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UnreadableImageException(file, "no such file", e);
        } catch (AccessDeniedException e) {
            throw new UnreadableImageException(file, "permission denied", e);
        } catch (IOException e) {
            throw new UnreadableImageException(file, "cannot read: " + e.getMessage(), e);
        }
        if (bytes.length == 0) {
            throw new UnreadableImageException(file, "empty file (0 bytes)");
        }
        return bytes;
    }

    /** OpenCV's decoding of {@code bytes}, or null when it refuses them. */
    private static Mat opencvDecode(byte[] bytes, int flags) {
        OpenCv.load();
        Mat decoded;
        try (Mat buf = new Mat(1, bytes.length, CV_8UC1)) {
            buf.data().put(bytes);
            decoded = imdecode(buf, flags);
        } catch (RuntimeException e) { // a cv::Exception escaping a codec
            return null;
        }
        if (decoded.empty()) {
            decoded.close();
            return null;
        }
        return decoded;
    }

    /** javax.imageio's decoding; any decoder warning (e.g. premature end of data) makes the file unreadable. */
    private static BufferedImage imageIoRead(byte[] bytes, Path file) throws UnreadableImageException {
        String format = sniffFormat(bytes);
        String damaged = "corrupt or truncated " + (format == null ? "image" : format) + " data";
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new UnreadableImageException(file, format != null ? damaged
                        : "not an image (content is not JPEG, PNG, TIFF, BMP, GIF, WebP or PNM)");
            }
            ImageReader reader = readers.next();
            try {
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                reader.setInput(in, true, true);
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new UnreadableImageException(file, damaged + " (" + warnings.get(0) + ")");
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new UnreadableImageException(file, damaged + " (" + why.lines().findFirst().orElse("") + ")", e);
        } catch (OutOfMemoryError e) {
            // javax.imageio's TIFF reader allocates a strip's declared byte count before reading it (found by
            // fuzzing: 300 bytes declaring a 4 GB strip). The one allocation that failed is the decoder's own, so
            // the heap is intact and the file is refused like any other corrupt one.
            throw new UnreadableImageException(file, damaged + " (the decoder asked for more memory than the"
                    + " JVM's heap holds: a declared size larger than the file; " + Runtime.getRuntime().maxMemory()
                    / (1 << 20) + " MiB heap)");
        }
    }

    /**
     * An image already decoded by Java as 8-bit BGR, 3 channels, by the rules of the class comment (gray images
     * get three equal channels, palette images their looked-up colours, alpha is dropped). The caller closes it.
     */
    public static Mat fromBufferedImage(BufferedImage image) {
        OpenCv.load();
        int w = image.getWidth(), h = image.getHeight();
        byte[] bgr = new byte[w * h * 3];
        ColorModel cm = image.getColorModel();
        if (isGray(cm)) {
            double scale = 255.0 / ((1L << cm.getComponentSize(0)) - 1);
            int[] row = new int[w];
            Raster raster = image.getRaster();
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    byte v = (byte) Math.round(row[x] * scale);
                    bgr[o] = v;
                    bgr[o + 1] = v;
                    bgr[o + 2] = v;
                }
            }
        } else {
            int[] argb = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, argb, 0, w);
                for (int x = 0, o = y * w * 3; x < w; x++, o += 3) {
                    bgr[o] = (byte) argb[x];
                    bgr[o + 1] = (byte) (argb[x] >> 8);
                    bgr[o + 2] = (byte) (argb[x] >> 16);
                }
            }
        }
        Mat out = new Mat(h, w, org.bytedeco.opencv.global.opencv_core.CV_8UC3);
        out.data().put(bgr);
        return out;
    }

    private static boolean isGray(ColorModel cm) {
        return !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && cm.getNumColorComponents() == 1;
    }

    /** BenCo's rule on a decoded OpenCV mask with 1 to 4 channels: mean of the colour channels > 127.5. */
    private static Mat binarise(Mat decoded, Path file) throws UnreadableImageException {
        int channels = decoded.channels();
        if (channels < 1 || channels > 4) {
            throw new UnreadableImageException(file, "mask has " + channels + " channels");
        }
        Mat m = decoded.isContinuous() ? decoded : decoded.clone();
        try {
            int colours = channels <= 2 ? 1 : 3; // gray (+ alpha) or BGR (+ alpha)
            int n = m.rows() * m.cols();
            byte[] out = new byte[n];
            int depth = m.depth();
            if (depth == CV_8U) {
                byte[] data = new byte[n * channels];
                m.data().get(data);
                for (int p = 0, o = 0; p < n; p++, o += channels) {
                    int sum = 0;
                    for (int c = 0; c < colours; c++) {
                        sum += data[o + c] & 0xFF;
                    }
                    out[p] = (byte) (2 * sum > 255 * colours ? 1 : 0);
                }
            } else if (depth == CV_16U) {
                short[] data = new short[n * channels];
                ((ShortBuffer) m.createBuffer()).get(data);
                for (int p = 0, o = 0; p < n; p++, o += channels) {
                    long sum = 0;
                    for (int c = 0; c < colours; c++) {
                        sum += data[o + c] & 0xFFFF;
                    }
                    out[p] = (byte) (2 * sum > 65535L * colours ? 1 : 0);
                }
            } else if (depth == CV_32F) {
                float[] data = new float[n * channels];
                ((java.nio.FloatBuffer) m.createBuffer()).get(data);
                for (int p = 0, o = 0; p < n; p++, o += channels) {
                    double sum = 0;
                    for (int c = 0; c < colours; c++) {
                        sum += data[o + c];
                    }
                    out[p] = (byte) (sum / colours > 0.5 ? 1 : 0);
                }
            } else {
                throw new UnreadableImageException(file, "unsupported mask sample type (OpenCV depth " + depth + ")");
            }
            Mat mask = new Mat(m.rows(), m.cols(), CV_8UC1);
            mask.data().put(out);
            return mask;
        } finally {
            if (m != decoded) {
                m.close();
            }
        }
    }

    /** BenCo's rule on an image javax.imageio decoded. */
    private static Mat binarise(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        byte[] out = new byte[w * h];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        boolean rawRgb = !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_RGB
                && cm.getNumColorComponents() == 3;
        if (isGray(cm) || rawRgb) {
            int colours = isGray(cm) ? 1 : 3;
            long max = (1L << cm.getComponentSize(0)) - 1;
            int[] row = new int[w];
            long[] sums = new long[w];
            for (int y = 0; y < h; y++) {
                java.util.Arrays.fill(sums, 0);
                for (int c = 0; c < colours; c++) {
                    raster.getSamples(0, y, w, 1, c, row);
                    for (int x = 0; x < w; x++) {
                        sums[x] += row[x];
                    }
                }
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = (byte) (2 * sums[x] > max * colours ? 1 : 0);
                }
            }
        } else {
            int[] argb = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, argb, 0, w);
                for (int x = 0; x < w; x++) {
                    int sum = ((argb[x] >> 16) & 0xFF) + ((argb[x] >> 8) & 0xFF) + (argb[x] & 0xFF);
                    out[y * w + x] = (byte) (2 * sum > 765 ? 1 : 0);
                }
            }
        }
        Mat mask = new Mat(h, w, CV_8UC1);
        mask.data().put(out);
        return mask;
    }
}
