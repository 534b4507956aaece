package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_180;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_CLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.ROTATE_90_COUNTERCLOCKWISE;
import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_core.rotate;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.bytedeco.opencv.global.opencv_photo.INPAINT_NS;
import static org.bytedeco.opencv.global.opencv_photo.INPAINT_TELEA;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Training augmentation of an (image, mask) pair, in IMDL-BenCo's order with the probabilities of
 * {@link AugmentationSettings}: random scale, copy-move, inpainting, horizontal and vertical flip, brightness and
 * contrast, JPEG re-compression, rot90, Gaussian blur. Geometric steps move the mask with the image (image bilinear,
 * mask nearest); copy-move and inpainting are naive manipulations that mark their target rectangle in the mask, as
 * BenCo's {@code RandomCopyMove} / {@code RandomInpainting} do (rectangle sides 5% to 80% of the image's, copy
 * source and target drawn independently). Every draw comes from the {@link SplittableRandom} passed in, so the
 * result depends on the inputs and that generator's seed alone (the loader seeds it from (seed, epoch, sample)).
 * Images are 8-bit BGR, masks 8-bit {0, 1}; inputs are never modified.
 */
public final class Augmentation {
    private final AugmentationSettings settings;

    public Augmentation(AugmentationSettings settings) {
        this.settings = settings;
    }

    public AugmentationSettings settings() {
        return settings;
    }

    /**
     * The augmented pair (new Mats, owned by the caller), whether a manipulation (copy-move or inpainting) was
     * applied, and a readable list of the steps taken (for logs and tests).
     */
    public record Result(Mat image, Mat mask, boolean manipulated, List<String> applied) implements AutoCloseable {
        @Override
        public void close() {
            image.close();
            mask.close();
        }
    }

    /** Augments {@code image} (8-bit BGR) and {@code mask} ({0, 1}, same size) with draws from {@code rng}. */
    public Result apply(Mat image, Mat mask, SplittableRandom rng) {
        if (image.rows() != mask.rows() || image.cols() != mask.cols()) {
            throw new IllegalArgumentException("image " + image.cols() + "x" + image.rows() + " and mask "
                    + mask.cols() + "x" + mask.rows() + " differ in size");
        }
        OpenCv.load();
        AugmentationSettings s = settings;
        List<String> applied = new ArrayList<>();
        boolean manipulated = false;
        Mat img = image.clone(), m = mask.clone();
        try {
            if (s.scaleLimit() > 0) {
                double f = 1 + s.scaleLimit() * (2 * rng.nextDouble() - 1);
                int rows = Math.max(1, (int) (img.rows() * f)), cols = Math.max(1, (int) (img.cols() * f));
                Mat[] scaled = scale(img, m, rows, cols);
                img = replace(img, scaled[0]);
                m = replace(m, scaled[1]);
                applied.add(String.format("scale %.3f", f));
            }
            if (rng.nextDouble() < s.copyMove()) {
                Rect source = window(rng, img.rows(), img.cols());
                Rect target = window(rng, img.rows(), img.cols(), source.height(), source.width());
                copyMove(img, m, source, target.y(), target.x());
                applied.add("copy-move " + str(source) + " -> " + target.x() + "," + target.y());
                manipulated = true;
                source.close();
                target.close();
            }
            if (rng.nextDouble() < s.inpainting()) {
                Rect region = window(rng, img.rows(), img.cols());
                int method = rng.nextDouble() > 0.5 ? INPAINT_TELEA : INPAINT_NS;
                img = replace(img, inpaint(img, m, region, method));
                applied.add((method == INPAINT_TELEA ? "inpaint-telea " : "inpaint-ns ") + str(region));
                manipulated = true;
                region.close();
            }
            if (rng.nextDouble() < s.hflip()) {
                img = replace(img, flipped(img, 1));
                m = replace(m, flipped(m, 1));
                applied.add("hflip");
            }
            if (rng.nextDouble() < s.vflip()) {
                img = replace(img, flipped(img, 0));
                m = replace(m, flipped(m, 0));
                applied.add("vflip");
            }
            if (s.brightnessLimit() > 0 || s.contrastLimit() > 0) {
                double alpha = 1 + s.contrastLimit() * (2 * rng.nextDouble() - 1);
                double beta = s.brightnessLimit() * (2 * rng.nextDouble() - 1);
                img = replace(img, brightnessContrast(img, alpha, beta));
                applied.add(String.format("brightness %.3f contrast %.3f", beta, alpha));
            }
            if (rng.nextDouble() < s.jpeg()) {
                int quality = s.jpegQualityMin() + rng.nextInt(s.jpegQualityMax() - s.jpegQualityMin() + 1);
                img = replace(img, jpeg(img, quality));
                applied.add("jpeg " + quality);
            }
            if (rng.nextDouble() < s.rot90()) {
                int k = rng.nextInt(4);
                img = replace(img, rot90(img, k));
                m = replace(m, rot90(m, k));
                applied.add("rot90 x" + k);
            }
            if (rng.nextDouble() < s.blur()) {
                int kernel = s.blurMin() + 2 * rng.nextInt((s.blurMax() - s.blurMin()) / 2 + 1);
                img = replace(img, gaussianBlur(img, kernel));
                applied.add("blur " + kernel);
            }
            Result r = new Result(img, m, manipulated, List.copyOf(applied));
            img = null;
            m = null;
            return r;
        } finally {
            if (img != null) {
                img.close();
            }
            if (m != null) {
                m.close();
            }
        }
    }

    /** Image (bilinear) and mask (nearest) resized to rows x cols: new Mats. */
    public static Mat[] scale(Mat image, Mat mask, int rows, int cols) {
        Mat outImage = new Mat(), outMask = new Mat();
        try (Size size = new Size(cols, rows)) {
            resize(image, outImage, size, 0, 0, INTER_LINEAR);
            resize(mask, outMask, size, 0, 0, INTER_NEAREST);
        }
        return new Mat[] {outImage, outMask};
    }

    /**
     * Copy-move in place: the pixels of {@code source} (as they were before the paste) are pasted with their
     * top-left corner at (targetX, targetY), and that target rectangle is set to 1 in the mask.
     */
    public static void copyMove(Mat image, Mat mask, Rect source, int targetY, int targetX) {
        try (Rect target = new Rect(targetX, targetY, source.width(), source.height());
             Mat from = image.apply(source);
             Mat copy = from.clone();
             Mat to = image.apply(target);
             Mat marked = mask.apply(target);
             Scalar one = new Scalar(1)) {
            copy.copyTo(to);
            marked.put(one);
        }
    }

    /**
     * {@code region} of the image inpainted (radius 3, {@code method} {@code INPAINT_TELEA} or {@code INPAINT_NS}):
     * a new image; the region is set to 1 in {@code mask} (in place).
     */
    public static Mat inpaint(Mat image, Mat mask, Rect region, int method) {
        Mat out = new Mat();
        try (Scalar zero = new Scalar(0);
             Scalar one = new Scalar(1);
             Mat hole = new Mat(image.rows(), image.cols(), CV_8UC1, zero);
             Mat holeRegion = hole.apply(region);
             Mat marked = mask.apply(region)) {
            holeRegion.put(one);
            org.bytedeco.opencv.global.opencv_photo.inpaint(image, hole, out, 3, method);
            marked.put(one);
        }
        return out;
    }

    /** Flipped copy: {@code code} 1 horizontal, 0 vertical (OpenCV's flip codes). */
    public static Mat flipped(Mat m, int code) {
        Mat out = new Mat();
        flip(m, out, code);
        return out;
    }

    /** Rotated copy by k x 90 degrees counter-clockwise (numpy's rot90), k in 0..3. */
    public static Mat rot90(Mat m, int k) {
        Mat out = new Mat();
        switch (Math.floorMod(k, 4)) {
            case 0 -> m.copyTo(out);
            case 1 -> rotate(m, out, ROTATE_90_COUNTERCLOCKWISE);
            case 2 -> rotate(m, out, ROTATE_180);
            default -> rotate(m, out, ROTATE_90_CLOCKWISE);
        }
        return out;
    }

    /** {@code alpha * v + beta * 255}, saturated (albumentations' brightness-by-max). */
    public static Mat brightnessContrast(Mat image, double alpha, double beta) {
        Mat out = new Mat();
        image.convertTo(out, -1, alpha, beta * 255);
        return out;
    }

    /** The image after a JPEG round trip at {@code quality} (OpenCV's encoder, 4:2:0). */
    public static Mat jpeg(Mat image, int quality) {
        try (BytePointer encoded = new BytePointer();
             IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, quality)) {
            if (!imencode(".jpg", image, encoded, params)) {
                throw new IllegalStateException("OpenCV could not encode a " + image.cols() + "x" + image.rows()
                        + " image as JPEG");
            }
            try (Mat buffer = new Mat(1, (int) encoded.limit(), CV_8UC1, encoded)) {
                Mat decoded = imdecode(buffer, IMREAD_COLOR);
                if (decoded.empty()) {
                    decoded.close();
                    throw new IllegalStateException("OpenCV could not decode its own JPEG");
                }
                return decoded;
            }
        }
    }

    /** Gaussian blur with a kernel x kernel window, sigma from the kernel size (OpenCV's rule for sigma 0). */
    public static Mat gaussianBlur(Mat image, int kernel) {
        Mat out = new Mat();
        try (Size size = new Size(kernel, kernel)) {
            GaussianBlur(image, out, size, 0);
        }
        return out;
    }

    /** BenCo's random window: sides from [5%, 80%) of the image's, anywhere inside it. */
    static Rect window(SplittableRandom rng, int rows, int cols) {
        int h = side(rng, rows), w = side(rng, cols);
        return window(rng, rows, cols, h, w);
    }

    static Rect window(SplittableRandom rng, int rows, int cols, int h, int w) {
        int y = rng.nextInt(Math.max(1, rows - h)), x = rng.nextInt(Math.max(1, cols - w));
        return new Rect(x, y, w, h);
    }

    private static int side(SplittableRandom rng, int length) {
        int lo = (int) (length * 0.05), hi = (int) (length * 0.8);
        return Math.max(1, lo + rng.nextInt(Math.max(1, hi - lo)));
    }

    private static Mat replace(Mat old, Mat next) {
        old.close();
        return next;
    }

    private static String str(Rect r) {
        return r.width() + "x" + r.height() + "@" + r.x() + "," + r.y();
    }
}
