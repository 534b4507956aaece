package ai.diffiml.localize;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC1;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import ai.diffiml.data.OpenCv;
import java.nio.FloatBuffer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/** Arithmetic on float maps (row-major, one value per pixel) between the model's output and a result. */
final class Maps {
    private Maps() {}

    /**
     * {@code map} ({@code width x height}) resized to {@code toWidth x toHeight} bilinearly with half-pixel centres
     * (OpenCV's INTER_LINEAR, PyTorch's {@code interpolate(mode="bilinear", align_corners=False)}); a copy when
     * the size does not change.
     */
    static float[] resizeBilinear(float[] map, int width, int height, int toWidth, int toHeight) {
        if (width == toWidth && height == toHeight) {
            return map.clone();
        }
        OpenCv.load();
        float[] out = new float[toWidth * toHeight];
        try (Mat src = new Mat(height, width, CV_32FC1); Mat dst = new Mat(); Size size = new Size(toWidth, toHeight)) {
            ((FloatBuffer) src.createBuffer()).put(map);
            resize(src, dst, size, 0, 0, INTER_LINEAR);
            ((FloatBuffer) dst.createBuffer()).get(out);
        }
        return out;
    }

    /**
     * The per-pixel standard deviation (dividing by the count) over the {@code members} maps of image
     * {@code image} in {@code maps}, laid out [members, batch, pixels] (member-major).
     */
    static float[] spread(float[] maps, int members, int batch, int image, int pixels) {
        float[] out = new float[pixels];
        for (int p = 0; p < pixels; p++) {
            double sum = 0;
            for (int m = 0; m < members; m++) {
                sum += maps[(m * batch + image) * pixels + p];
            }
            double mean = sum / members, squares = 0;
            for (int m = 0; m < members; m++) {
                double d = maps[(m * batch + image) * pixels + p] - mean;
                squares += d * d;
            }
            out[p] = (float) Math.sqrt(squares / members);
        }
        return out;
    }
}
