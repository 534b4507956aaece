package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_photo.INPAINT_TELEA;
import static org.bytedeco.opencv.global.opencv_photo.inpaint;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenCV loads from the jar's lean natives (no LAPACK binding) and its codecs and inpainting work. */
class OpenCvTest {
    @BeforeAll
    static void load() {
        OpenCv.load();
    }

    @Test
    void encodesDecodesAndInpaints(@TempDir java.nio.file.Path dir) {
        Mat image = new Mat(24, 32, opencv_core.CV_8UC3, new Scalar(40, 120, 200, 0));
        String file = dir.resolve("x.png").toString();
        org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(file, image);
        Mat back = imread(file);
        assertEquals(32, back.cols());
        assertEquals(24, back.rows());
        Mat mask = new Mat(24, 32, opencv_core.CV_8UC1, new Scalar(0));
        Mat out = new Mat();
        inpaint(back, mask, out, 3, INPAINT_TELEA);
        assertEquals(3, out.channels());
    }
}
