package ai.diffiml.localize;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_PNG_COMPRESSION;

import ai.diffiml.data.OpenCv;
import ai.diffiml.data.Preprocess;
import ai.diffiml.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Pictures of per-pixel maps: 8-bit grey images of values in [0, 1], black-and-white masks, and a heatmap laid over
 * the photo; as PNG bytes, {@link BufferedImage}s, or PNG files written atomically (a temporary file renamed over
 * the target, so a reader or a crash never sees half a file).
 */
public final class MapImages {
    /** Opacity of the heatmap where the probability is 1 (it falls linearly to 0 at probability 0). */
    public static final float OVERLAY_OPACITY = 0.6f;
    /** Photo bytes blended per band by {@link #overlayPng(Mat, float[])}. */
    private static final int OVERLAY_BAND_BYTES = 4 << 20;

    private MapImages() {}

    /** {@code round(255 * clamp(scale * v, 0, 1))} per value, row-major. */
    public static byte[] grey(float[] values, float scale) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = scale * values[i];
            v = v > 1 ? 1 : v > 0 ? v : 0; // NaN maps to 0
            out[i] = (byte) Math.round(255 * v);
        }
        return out;
    }

    /** 255 where {@code mask} is non-zero, else 0. */
    public static byte[] maskGrey(byte[] mask) {
        byte[] out = new byte[mask.length];
        for (int i = 0; i < mask.length; i++) {
            out[i] = mask[i] != 0 ? (byte) 255 : 0;
        }
        return out;
    }

    /** An 8-bit grey image from row-major bytes. */
    public static BufferedImage greyImage(byte[] grey, int width, int height) {
        requireSize(grey.length, width, height);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        System.arraycopy(grey, 0, data, 0, grey.length);
        return image;
    }

    /** PNG file bytes of an 8-bit grey image. */
    public static byte[] greyPng(byte[] grey, int width, int height) {
        requireSize(grey.length, width, height);
        OpenCv.load();
        try (Mat mat = new Mat(height, width, CV_8UC1)) {
            mat.data().put(grey);
            return png(mat);
        }
    }

    /**
     * The photo ({@code bgr}: 8-bit BGR bytes, row-major, {@code width x height}) with the probability map laid
     * over it as a heatmap (OpenCV's JET colours: blue low, red high) whose opacity grows with the probability, up
     * to {@link #OVERLAY_OPACITY}: where the map is near 0 the photo shows unchanged.
     */
    public static byte[] overlayBgr(byte[] bgr, float[] probability, int width, int height) {
        requireSize(probability.length, width, height);
        requireSize(bgr.length / 3, width, height);
        OpenCv.load();
        byte[] heat = new byte[bgr.length];
        try (Mat grey = new Mat(height, width, CV_8UC1); Mat colours = new Mat()) {
            grey.data().put(grey(probability, 1f));
            opencv_imgproc.applyColorMap(grey, colours, opencv_imgproc.COLORMAP_JET);
            colours.data().get(heat);
        }
        byte[] out = new byte[bgr.length];
        for (int p = 0, o = 0; p < probability.length; p++, o += 3) {
            float v = probability[p];
            float a = OVERLAY_OPACITY * (v > 1 ? 1 : v > 0 ? v : 0);
            for (int c = 0; c < 3; c++) {
                out[o + c] = (byte) Math.round((1 - a) * (bgr[o + c] & 0xFF) + a * (heat[o + c] & 0xFF));
            }
        }
        return out;
    }

    /**
     * PNG file bytes of {@link #overlayBgr} over {@code photo} (8-bit BGR, {@code probability.length} pixels),
     * blended a band of rows at a time into a native image: the same bytes as {@code bgrPng(overlayBgr(...))}
     * without three photo-sized byte arrays on the Java heap (a 12000 x 9000 photo would need 972 MB of them).
     */
    public static byte[] overlayPng(Mat photo, float[] probability) {
        if (photo.type() != CV_8UC3) {
            throw new IllegalArgumentException("overlay needs an 8-bit 3-channel photo, got type " + photo.type());
        }
        int width = photo.cols(), height = photo.rows();
        requireSize(probability.length, width, height);
        OpenCv.load();
        int rowBytes = 3 * width;
        int band = Math.max(1, OVERLAY_BAND_BYTES / rowBytes);
        try (Mat out = new Mat(height, width, CV_8UC3)) {
            for (int y0 = 0; y0 < height; y0 += band) {
                int rows = Math.min(band, height - y0);
                byte[] bgr = new byte[rows * rowBytes];
                for (int y = 0; y < rows; y++) {
                    photo.ptr(y0 + y).get(bgr, y * rowBytes, rowBytes);
                }
                float[] p = java.util.Arrays.copyOfRange(probability, y0 * width, (y0 + rows) * width);
                byte[] blended = overlayBgr(bgr, p, width, rows);
                for (int y = 0; y < rows; y++) {
                    out.ptr(y0 + y).put(blended, y * rowBytes, rowBytes);
                }
            }
            return png(out);
        }
    }

    /** PNG file bytes of an 8-bit BGR image. */
    public static byte[] bgrPng(byte[] bgr, int width, int height) {
        requireSize(bgr.length / 3, width, height);
        OpenCv.load();
        try (Mat mat = new Mat(height, width, CV_8UC3)) {
            mat.data().put(bgr);
            return png(mat);
        }
    }

    /** The BGR bytes of an 8-bit 3-channel Mat, row-major. */
    public static byte[] bgrBytes(Mat image) {
        if (image.type() != CV_8UC3) {
            throw new IllegalArgumentException("bgrBytes needs an 8-bit 3-channel image, got type " + image.type());
        }
        return Preprocess.bytes(image, image.rows() * image.cols() * 3);
    }

    /** Writes {@code pngBytes} to {@code file} atomically. */
    public static void write(Path file, byte[] pngBytes) throws IOException {
        AtomicFiles.write(file, pngBytes);
    }

    private static byte[] png(Mat mat) {
        try (BytePointer buffer = new BytePointer(); IntPointer params = new IntPointer(IMWRITE_PNG_COMPRESSION, 3)) {
            if (!opencv_imgcodecs.imencode(".png", mat, buffer, params)) {
                throw new IllegalStateException("OpenCV could not encode a PNG image");
            }
            byte[] out = new byte[Math.toIntExact(buffer.limit())];
            buffer.get(out);
            return out;
        }
    }

    private static void requireSize(int pixels, int width, int height) {
        if (width < 1 || height < 1 || (long) width * height != pixels) {
            throw new IllegalArgumentException("map of " + pixels + " pixels is not " + width + " x " + height);
        }
    }
}
