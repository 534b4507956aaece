package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.countNonZero;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * A sample read from disk and made consistent: the image (8-bit BGR) and a {0, 1} mask of the same size (all zero
 * for an authentic sample; a mask of another size is resized to the image by nearest neighbour). {@link #warnings()}
 * says what was fixed or looks wrong (a resized mask, an empty or full mask on a tampered image), each naming the
 * file; the reader does not log them, so a caller that reads the same sample every epoch can log them once.
 */
public record LoadedSample(Sample sample, Mat image, Mat mask, boolean maskResized, boolean maskEmpty,
                           boolean maskFull, List<String> warnings) implements AutoCloseable {

    /** Reads {@code sample}'s image and mask ({@link ImageFiles}) and fixes a size mismatch. */
    public static LoadedSample read(Sample sample) throws UnreadableImageException {
        Mat image = ImageFiles.readImage(sample.image());
        Mat mask = null;
        try {
            List<String> warnings = new ArrayList<>();
            boolean resized = false, empty = false, full = false;
            if (!sample.tampered()) {
                try (Scalar zero = new Scalar(0)) {
                    mask = new Mat(image.rows(), image.cols(), CV_8UC1, zero);
                }
            } else {
                mask = ImageFiles.readMask(sample.mask());
                if (mask.rows() != image.rows() || mask.cols() != image.cols()) {
                    warnings.add("mask " + sample.mask() + " is " + mask.cols() + "x" + mask.rows() + " but image "
                            + sample.image() + " is " + image.cols() + "x" + image.rows()
                            + ": mask resized to the image (nearest neighbour)");
                    Mat fitted = Preprocess.resizeNearest(mask, image.rows(), image.cols());
                    mask.close();
                    mask = fitted;
                    resized = true;
                }
                int set = countNonZero(mask), total = mask.rows() * mask.cols();
                if (set == 0) {
                    empty = true;
                    warnings.add("mask " + sample.mask() + " of tampered image " + sample.image()
                            + " is empty (no pixel with mean RGB > 127.5)");
                } else if (set == total) {
                    full = true;
                    warnings.add("mask " + sample.mask() + " of tampered image " + sample.image()
                            + " is full (every pixel tampered)");
                }
            }
            LoadedSample loaded = new LoadedSample(sample, image, mask, resized, empty, full, List.copyOf(warnings));
            image = null;
            mask = null;
            return loaded;
        } finally {
            if (image != null) {
                image.close();
            }
            if (mask != null) {
                mask.close();
            }
        }
    }

    @Override
    public void close() {
        image.close();
        mask.close();
    }
}
