package ai.diffiml.synth;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An image or a map as floats on the Java side: row-major, interleaved channels (BGR for colour images, as OpenCV
 * keeps them), values in [0, 255] for images and [0, 1] for masks. The generator keeps its pixels here and hands
 * them to OpenCV only for the operations OpenCV does better ({@link Cv}); every conversion copies, so no native
 * memory outlives the call that made it.
 */
final class Raster {
    final int width;
    final int height;
    final int channels;
    final float[] data;

    Raster(int width, int height, int channels) {
        this(width, height, channels, new float[Math.multiplyExact(Math.multiplyExact(width, height), channels)]);
    }

    Raster(int width, int height, int channels, float[] data) {
        if (data.length != width * height * channels) {
            throw new IllegalArgumentException("raster " + width + "x" + height + "x" + channels + " needs "
                    + width * height * channels + " values, got " + data.length);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.data = data;
    }

    /** A copy of an 8-bit or 32-bit float Mat with 1 or 3 channels. */
    static Raster of(Mat mat) {
        int w = mat.cols(), h = mat.rows(), c = mat.channels();
        Mat src = mat.isContinuous() ? mat : mat.clone();
        float[] values = new float[w * h * c];
        switch (src.depth()) {
            case org.bytedeco.opencv.global.opencv_core.CV_8U -> {
                byte[] bytes = new byte[values.length];
                new BytePointer(src.data()).get(bytes);
                for (int i = 0; i < bytes.length; i++) {
                    values[i] = bytes[i] & 0xff;
                }
            }
            case org.bytedeco.opencv.global.opencv_core.CV_32F -> new FloatPointer(src.data()).get(values);
            default -> throw new IllegalArgumentException("unsupported Mat depth " + src.depth());
        }
        if (src != mat) {
            src.close();
        }
        return new Raster(w, h, c, values);
    }

    /** A 32-bit float Mat holding a copy of these values. */
    Mat toMat32() {
        Mat mat = new Mat(height, width, CV_32FC(channels));
        new FloatPointer(mat.data()).put(data);
        return mat;
    }

    /** An 8-bit Mat: values rounded to the nearest integer and clamped to [0, 255]. */
    Mat toMat8() {
        Mat mat = new Mat(height, width, CV_8UC(channels));
        new BytePointer(mat.data()).put(bytes());
        return mat;
    }

    /** The values rounded and clamped to [0, 255] as unsigned bytes. */
    byte[] bytes() {
        byte[] out = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            out[i] = (byte) clamp8(data[i]);
        }
        return out;
    }

    /** Round half up and clamp to [0, 255]. */
    static int clamp8(float v) {
        return v <= 0 ? 0 : v >= 255 ? 255 : (int) (v + 0.5f);
    }

    /** These values rounded and clamped to 8 bits, in place (what saving as 8-bit would keep). */
    Raster quantize() {
        for (int i = 0; i < data.length; i++) {
            data[i] = clamp8(data[i]);
        }
        return this;
    }

    Raster copy() {
        return new Raster(width, height, channels, data.clone());
    }

    /** The {@code w x h} window whose top-left corner is ({@code x}, {@code y}). */
    Raster crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("crop " + w + "x" + h + "+" + x + "+" + y + " outside " + width + "x"
                    + height);
        }
        Raster out = new Raster(w, h, channels);
        for (int r = 0; r < h; r++) {
            System.arraycopy(data, ((y + r) * width + x) * channels, out.data, r * w * channels, w * channels);
        }
        return out;
    }

    /** Pixels whose value is at least {@code threshold}, as a 0/1 single-channel raster. */
    Raster threshold(float threshold) {
        if (channels != 1) {
            throw new IllegalArgumentException("threshold needs a single-channel raster");
        }
        Raster out = new Raster(width, height, 1);
        for (int i = 0; i < data.length; i++) {
            out.data[i] = data[i] >= threshold ? 1f : 0f;
        }
        return out;
    }

    /** Mean of a single-channel raster. */
    double mean() {
        double sum = 0;
        for (float v : data) {
            sum += v;
        }
        return sum / data.length;
    }
}
