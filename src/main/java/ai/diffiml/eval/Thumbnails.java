package ai.diffiml.eval;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_PNG_COMPRESSION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLORMAP_INFERNO;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST;
import static org.bytedeco.opencv.global.opencv_imgproc.applyColorMap;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.diffiml.data.OpenCv;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Small encoded pictures for the report's gallery, all the same size for one image (its aspect ratio, the longer
 * side at most {@code side} pixels): the photo as JPEG, the ground truth as a black-and-white PNG, and maps as JPEGs
 * in the "inferno" colour map (black 0, yellow at the map's top value; JPEG because smooth colour maps compress
 * several times smaller than as PNG, which keeps the HTML report small).
 */
public final class Thumbnails {
    private Thumbnails() {}

    /** Thumbnail width and height for an image of {@code width x height}. */
    public static int[] size(int width, int height, int side) {
        double f = Math.min(1.0, (double) side / Math.max(width, height));
        return new int[] {Math.max(1, (int) Math.round(width * f)), Math.max(1, (int) Math.round(height * f))};
    }

    /** The photo (8-bit BGR) shrunk to {@code w x h}, as JPEG quality 85. */
    public static byte[] photo(Mat bgr, int w, int h) {
        OpenCv.load();
        try (Mat small = new Mat(); Size s = new Size(w, h)) {
            resize(bgr, small, s, 0, 0, INTER_AREA);
            return encode(small, ".jpg", IMWRITE_JPEG_QUALITY, 85);
        }
    }

    /** A {0, 1} mask shrunk to {@code w x h} (nearest), white where tampered, as PNG. */
    public static byte[] mask(Mat mask01, int w, int h) {
        OpenCv.load();
        try (Mat small = new Mat(); Size s = new Size(w, h); Mat white = new Mat()) {
            resize(mask01, small, s, 0, 0, INTER_NEAREST);
            small.convertTo(white, CV_8UC1, 255, 0);
            return encode(white, ".png", IMWRITE_PNG_COMPRESSION, 9);
        }
    }

    /** {@code map} resampled to {@code w x h}, values 0..{@code top} coloured (inferno), as JPEG quality 85. */
    public static byte[] map(FloatMap map, int w, int h, float top) {
        OpenCv.load();
        float[] v = map.resized(w, h).values();
        byte[] grey = new byte[v.length];
        float scale = top > 0 ? 255f / top : 0f;
        for (int i = 0; i < v.length; i++) {
            grey[i] = (byte) Math.max(0, Math.min(255, Math.round(v[i] * scale)));
        }
        try (Mat g = new Mat(h, w, CV_8UC1); Mat colour = new Mat()) {
            g.data().put(grey);
            applyColorMap(g, colour, COLORMAP_INFERNO);
            if (colour.type() != CV_8UC3) {
                throw new IllegalStateException("colour map gave type " + colour.type());
            }
            return encode(colour, ".jpg", IMWRITE_JPEG_QUALITY, 85);
        }
    }

    private static byte[] encode(Mat m, String extension, int... params) {
        try (BytePointer buffer = new BytePointer(); IntPointer p = new IntPointer(params)) {
            if (!imencode(extension, m, buffer, p)) {
                throw new IllegalStateException("OpenCV could not encode a " + m.cols() + "x" + m.rows() + " "
                        + extension + " thumbnail");
            }
            byte[] out = new byte[Math.toIntExact(buffer.limit())];
            buffer.get(out);
            return out;
        }
    }
}
