package ai.diffiml.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Fuzzing of image and mask decoding ({@link ImageFiles#decodeImage}, {@link ImageFiles#decodeMask}): OpenCV's
 * codecs first, javax.imageio for what OpenCV refuses. The claim: any bytes either decode to the documented Mat
 * (8-bit BGR, or a {0, 1} mask, of positive size) or are refused with an {@link UnreadableImageException}; any
 * other exception, out of memory (an absurd declared size must be refused before it is allocated), a crash of the
 * JVM or a hang is a finding. Corpus: {@code src/test/resources/ai/diffiml/data/ImageFilesFuzzTestInputs/<target>/}
 * (small PNG, JPEG, BMP, GIF, TIFF, WebP and PNM files, some damaged).
 */
class ImageFilesFuzzTest {
    private static final Path NAME = Path.of("fuzz-input");

    @FuzzTest
    void imageDecodesOrRefuses(byte[] input) {
        try (Mat m = ImageFiles.decodeImage(input, NAME)) {
            if (m.channels() != 3 || m.depth() != org.bytedeco.opencv.global.opencv_core.CV_8U || m.cols() < 1
                    || m.rows() < 1) {
                throw new AssertionError("decoded to " + m.cols() + "x" + m.rows() + "x" + m.channels()
                        + " of depth " + m.depth());
            }
        } catch (UnreadableImageException refused) {
            // the documented outcome for a bad file
        }
    }

    @FuzzTest
    void maskDecodesOrRefuses(byte[] input) {
        try (Mat m = ImageFiles.decodeMask(input, NAME)) {
            if (m.channels() != 1 || m.depth() != org.bytedeco.opencv.global.opencv_core.CV_8U || m.cols() < 1
                    || m.rows() < 1) {
                throw new AssertionError("mask decoded to " + m.cols() + "x" + m.rows() + "x" + m.channels());
            }
        } catch (UnreadableImageException refused) {
            // the documented outcome for a bad file
        }
    }
}
