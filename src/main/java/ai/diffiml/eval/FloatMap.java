package ai.diffiml.eval;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC1;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.diffiml.data.OpenCv;
import java.nio.FloatBuffer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * A single-channel map of float values over an image grid, row-major ({@code values[y * width + x]}): a probability
 * map, an uncertainty map. The array is shared, not copied (record equality is identity of the array).
 */
public record FloatMap(int width, int height, float[] values) {
    public FloatMap {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("map size must be positive, got " + width + "x" + height);
        }
        if (values.length != (long) width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " map needs " + (long) width * height
                    + " values, got " + values.length);
        }
    }

    /** The largest value. */
    public float max() {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Whether every value is finite and in [0, 1]. */
    public boolean isProbability() {
        for (float v : values) {
            if (!(v >= 0f && v <= 1f)) { // also false for NaN
                return false;
            }
        }
        return true;
    }

    /**
     * This map resampled to {@code newWidth x newHeight} (this map itself when the size is already that): bilinear
     * with pixel centres aligned (OpenCV {@code INTER_LINEAR}, as MVSS-Net's {@code cv2.resize} and PyTorch's
     * {@code interpolate(align_corners=False)}) when it grows in either direction, area averaging when it shrinks
     * in both.
     */
    public FloatMap resized(int newWidth, int newHeight) {
        if (newWidth == width && newHeight == height) {
            return this;
        }
        OpenCv.load();
        boolean shrinks = newWidth <= width && newHeight <= height;
        try (Mat src = new Mat(height, width, CV_32FC1); Mat dst = new Mat(); Size size = new Size(newWidth, newHeight)) {
            ((FloatBuffer) src.createBuffer()).put(values);
            resize(src, dst, size, 0, 0, shrinks ? INTER_AREA : INTER_LINEAR);
            float[] out = new float[newWidth * newHeight];
            ((FloatBuffer) dst.createBuffer()).get(out);
            return new FloatMap(newWidth, newHeight, out);
        }
    }
}
