package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The last, deterministic steps from a decoded sample to tensor data, shared by training, validation and
 * prediction: resize to the square model resolution (image: area averaging when both sides shrink, bilinear
 * otherwise; mask: nearest neighbour, so it stays {0, 1}) and ImageNet normalisation of the RGB values in [0, 1]
 * ({@code (v / 255 - mean) / std} per channel, in float32, written channel-major: R plane, G plane, B plane).
 */
public final class Preprocess {
    /** ImageNet mean of R, G, B in [0, 1]. */
    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet standard deviation of R, G, B in [0, 1]. */
    public static final float[] STD = {0.229f, 0.224f, 0.225f};
    /** [RGB channel][8-bit value] -> normalised value. */
    private static final float[][] TABLE = new float[3][256];

    static {
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                TABLE[c][v] = ((float) v / 255f - MEAN[c]) / STD[c];
            }
        }
    }

    private Preprocess() {}

    /** {@code image} (8-bit BGR) resized to {@code size x size}: a new Mat. */
    public static Mat resizeImage(Mat image, int size) {
        OpenCv.load();
        Mat out = new Mat();
        if (image.rows() == size && image.cols() == size) {
            image.copyTo(out);
            return out;
        }
        boolean shrinks = image.rows() >= size && image.cols() >= size;
        try (Size target = new Size(size, size)) {
            resize(image, out, target, 0, 0, shrinks ? INTER_AREA : INTER_LINEAR);
        }
        return out;
    }

    /** {@code mask} ({0, 1}, 8-bit single channel) resized to {@code size x size} by nearest neighbour: a new Mat. */
    public static Mat resizeMask(Mat mask, int size) {
        return resizeNearest(mask, size, size);
    }

    /** {@code mask} resized to {@code rows x cols} by nearest neighbour: a new Mat. */
    public static Mat resizeNearest(Mat mask, int rows, int cols) {
        OpenCv.load();
        Mat out = new Mat();
        if (mask.rows() == rows && mask.cols() == cols) {
            mask.copyTo(out);
            return out;
        }
        try (Size target = new Size(cols, rows)) {
            resize(mask, out, target, 0, 0, INTER_NEAREST);
        }
        return out;
    }

    /**
     * Writes the normalised RGB planes of {@code image} (8-bit BGR, H x W) into {@code out[offset ..
     * offset + 3HW)}: R plane, then G, then B.
     */
    public static void normalize(Mat image, float[] out, int offset) {
        if (image.type() != CV_8UC3) {
            throw new IllegalArgumentException("normalize needs 8-bit 3-channel BGR, got type " + image.type());
        }
        int n = image.rows() * image.cols();
        byte[] bgr = bytes(image, n * 3);
        float[] r = TABLE[0], g = TABLE[1], b = TABLE[2];
        for (int p = 0, o = 0; p < n; p++, o += 3) {
            out[offset + p] = r[bgr[o + 2] & 0xFF];
            out[offset + n + p] = g[bgr[o + 1] & 0xFF];
            out[offset + 2 * n + p] = b[bgr[o] & 0xFF];
        }
    }

    /** Writes a {0, 1} 8-bit mask as floats 0 / 1 into {@code out[offset .. offset + HW)}. */
    public static void maskToFloats(Mat mask, float[] out, int offset) {
        if (mask.type() != CV_8UC1) {
            throw new IllegalArgumentException("maskToFloats needs an 8-bit single-channel mask, got type "
                    + mask.type());
        }
        int n = mask.rows() * mask.cols();
        byte[] m = bytes(mask, n);
        for (int p = 0; p < n; p++) {
            out[offset + p] = m[p] != 0 ? 1f : 0f;
        }
    }

    /**
     * The first {@code count} bytes of a Mat in row-major order (copies through a continuous clone when it is a
     * view).
     */
    public static byte[] bytes(Mat m, int count) {
        byte[] data = new byte[count];
        if (m.isContinuous()) {
            m.data().get(data);
        } else {
            try (Mat c = m.clone()) {
                c.data().get(data);
            }
        }
        return data;
    }
}
