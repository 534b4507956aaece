package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.bitwise_and;
import static org.bytedeco.opencv.global.opencv_imgproc.Canny;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_CROSS;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_BINARY;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_BINARY_INV;
import static org.bytedeco.opencv.global.opencv_imgproc.dilate;
import static org.bytedeco.opencv.global.opencv_imgproc.getStructuringElement;
import static org.bytedeco.opencv.global.opencv_imgproc.threshold;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Edge ground truth from a {0, 1} mask ({@code CV_8UC1}); results are new {0, 1} masks the caller closes.
 *
 * <p>{@link #band}: the DiffIML release's edge (IMDL-BenCo's {@code EdgeMaskGenerator}): dilate the mask with a
 * plus-shaped {@code width x width} element, dilate its complement the same way, and keep the pixels set in both,
 * i.e. the pixels within {@code width / 2} steps along a row or column of both a mask pixel and a background pixel.
 * Outside the image counts as neither (BenCo's zero padding), so there is no edge along the image border, and an
 * empty or full mask has no edge. The release uses width 7.
 *
 * <p>{@link #canny}: the paper text's variant: Canny edges of the mask (x 255, thresholds 100 / 200, on a binary mask
 * any pair in (0, 1020) gives the same edges), dilated with the same plus-shaped element.
 */
public final class EdgeMaps {
    /** The release's band width. */
    public static final int RELEASE_WIDTH = 7;

    private EdgeMaps() {}

    /** The edge map of {@code mask} by {@code mode}, {@code width} an odd number >= 1. */
    public static Mat compute(EdgeMode mode, Mat mask, int width) {
        return switch (mode) {
            case BAND -> band(mask, width);
            case CANNY -> canny(mask, width);
        };
    }

    /** The release's band (see the class comment). */
    public static Mat band(Mat mask, int width) {
        check(mask, width);
        OpenCv.load();
        try (Mat kernel = cross(width); Mat grown = new Mat(); Mat background = new Mat();
             Mat grownBackground = new Mat()) {
            dilate(mask, grown, kernel);
            threshold(mask, background, 0, 1, THRESH_BINARY_INV);
            dilate(background, grownBackground, kernel);
            Mat edge = new Mat();
            bitwise_and(grown, grownBackground, edge);
            return edge;
        }
    }

    /** Canny edges of the mask dilated with the plus-shaped element (see the class comment). */
    public static Mat canny(Mat mask, int width) {
        check(mask, width);
        OpenCv.load();
        try (Mat kernel = cross(width); Mat scaled = new Mat(); Mat edges = new Mat(); Mat thin = new Mat()) {
            mask.convertTo(scaled, CV_8U, 255, 0);
            Canny(scaled, edges, 100, 200);
            threshold(edges, thin, 0, 1, THRESH_BINARY);
            Mat edge = new Mat();
            dilate(thin, edge, kernel);
            return edge;
        }
    }

    private static Mat cross(int width) {
        try (Size size = new Size(width, width)) {
            return getStructuringElement(MORPH_CROSS, size);
        }
    }

    private static void check(Mat mask, int width) {
        if (mask.type() != CV_8UC1) {
            throw new IllegalArgumentException("edge maps need an 8-bit single-channel {0, 1} mask, got type "
                    + mask.type());
        }
        if (width < 1 || width % 2 == 0) {
            throw new IllegalArgumentException("edge width must be odd and >= 1, got " + width);
        }
    }
}
