package ai.diffiml.synth;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REFLECT_101;
import static org.bytedeco.opencv.global.opencv_core.CV_64FC1;
import static org.bytedeco.opencv.global.opencv_core.CV_32SC2;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_420;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_PNG_COMPRESSION;

import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_photo;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.joml.Matrix3x2f;
import org.joml.Vector2f;

/**
 * The OpenCV operations the generator uses, on {@link Raster}s: every call converts in, runs one OpenCV function
 * and copies the result out, closing its Mats. Callers run inside a {@code PointerScope} as well, so the small
 * helper objects (sizes, scalars) are freed with the sample that made them.
 */
final class Cv {
    /** Fixed-point bits of polygon vertices handed to {@code fillPoly} (1/16 pixel). */
    private static final int SHIFT = 4;

    private Cv() {}

    static Raster resize(Raster src, int width, int height, int interpolation) {
        try (Mat in = src.toMat32(); Mat out = new Mat(); Size size = new Size(width, height)) {
            opencv_imgproc.resize(in, out, size, 0, 0, interpolation);
            return Raster.of(out);
        }
    }

    static Raster gaussianBlur(Raster src, double sigma) {
        try (Mat in = src.toMat32(); Mat out = new Mat(); Size size = new Size(0, 0)) {
            opencv_imgproc.GaussianBlur(in, out, size, sigma, sigma, BORDER_REFLECT_101, 0);
            return Raster.of(out);
        }
    }

    /**
     * {@code src} mapped through the forward affine {@code m} (source pixel coordinates to output pixel
     * coordinates, pixel centres at integers) into a {@code width x height} output; outside the source the border
     * is reflected ({@code reflect}) or zero.
     */
    static Raster warpAffine(Raster src, Matrix3x2f m, int width, int height, int interpolation, boolean reflect) {
        try (Mat in = src.toMat32(); Mat out = new Mat(); Mat affine = affine(m); Size size = new Size(width, height);
                Scalar zero = new Scalar(0.0)) {
            opencv_imgproc.warpAffine(in, out, affine, size, interpolation,
                    reflect ? BORDER_REFLECT_101 : BORDER_CONSTANT, zero);
            return Raster.of(out);
        }
    }

    private static Mat affine(Matrix3x2f m) {
        Mat a = new Mat(2, 3, CV_64FC1);
        new DoublePointer(a.data()).put(m.m00, m.m10, m.m20, m.m01, m.m11, m.m21);
        return a;
    }

    /**
     * A {@code width x height} 0/1 map of the polygon (vertices in pixel coordinates, pixel centres at integers):
     * hard-edged, or anti-aliased coverage with {@code antialias}.
     */
    static Raster fillPolygon(List<Vector2f> polygon, int width, int height, boolean antialias) {
        int[] xy = new int[polygon.size() * 2];
        for (int i = 0; i < polygon.size(); i++) {
            xy[2 * i] = Math.round(polygon.get(i).x * (1 << SHIFT));
            xy[2 * i + 1] = Math.round(polygon.get(i).y * (1 << SHIFT));
        }
        try (Mat canvas = new Mat(height, width, CV_8UC1, new Scalar(0.0)); Mat points = new Mat(polygon.size(), 1,
                CV_32SC2); MatVector contours = new MatVector(1); Scalar white = new Scalar(255.0);
                Point origin = new Point(0, 0)) {
            new IntPointer(points.data()).put(xy);
            contours.put(0, points);
            opencv_imgproc.fillPoly(canvas, contours, white, antialias ? opencv_imgproc.LINE_AA
                    : opencv_imgproc.LINE_8, SHIFT, origin);
            Raster r = Raster.of(canvas);
            for (int i = 0; i < r.data.length; i++) {
                r.data[i] /= 255f;
            }
            return r;
        }
    }

    /** An 8-bit JPEG round trip at {@code quality} with 4:2:0 ({@code subsample}) or 4:4:4 chroma. */
    static Raster jpeg(Raster src, int quality, boolean subsample) {
        byte[] file = encodeJpeg(src, quality, subsample);
        return decode(file);
    }

    static byte[] encodeJpeg(Raster src, int quality, boolean subsample) {
        return encode(src, ".jpg", IMWRITE_JPEG_QUALITY, quality, IMWRITE_JPEG_SAMPLING_FACTOR,
                subsample ? IMWRITE_JPEG_SAMPLING_FACTOR_420 : IMWRITE_JPEG_SAMPLING_FACTOR_444);
    }

    static byte[] encodePng(Raster src) {
        return encode(src, ".png", IMWRITE_PNG_COMPRESSION, 3);
    }

    private static byte[] encode(Raster src, String extension, int... params) {
        try (Mat mat = src.toMat8(); BytePointer buffer = new BytePointer(); IntPointer p = new IntPointer(params)) {
            if (!opencv_imgcodecs.imencode(extension, mat, buffer, p)) {
                throw new IllegalStateException("OpenCV could not encode a " + extension + " image");
            }
            byte[] out = new byte[Math.toIntExact(buffer.limit())];
            buffer.get(out);
            return out;
        }
    }

    /** A colour image decoded from the bytes of an image file (8-bit BGR), or null where OpenCV cannot. */
    static Raster decode(byte[] file) {
        try (BytePointer bytes = new BytePointer(file); Mat raw = new Mat(1, file.length, CV_8UC1, bytes);
                Mat image = opencv_imgcodecs.imdecode(raw, IMREAD_COLOR)) {
            if (image == null || image.isNull() || image.empty()) {
                return null;
            }
            return Raster.of(image);
        }
    }

    /** OpenCV's Telea ({@code telea}) or Navier-Stokes inpainting of the pixels where {@code mask} is 1. */
    static Raster inpaint(Raster image, Raster mask, double radius, boolean telea) {
        Raster mask255 = new Raster(mask.width, mask.height, 1);
        for (int i = 0; i < mask.data.length; i++) {
            mask255.data[i] = mask.data[i] >= 0.5f ? 255f : 0f;
        }
        try (Mat in = image.toMat8(); Mat m = mask255.toMat8(); Mat out = new Mat()) {
            opencv_photo.inpaint(in, m, out, radius, telea ? opencv_photo.INPAINT_TELEA : opencv_photo.INPAINT_NS);
            return Raster.of(out);
        }
    }

    /** 8-bit Bayer mosaic (R at the top-left, OpenCV's "BG" order) to BGR: bilinear, or edge-aware with {@code ea}. */
    static Raster demosaic(Raster mosaic, boolean ea) {
        try (Mat in = mosaic.toMat8(); Mat out = new Mat()) {
            opencv_imgproc.cvtColor(in, out, ea ? opencv_imgproc.COLOR_BayerBG2BGR_EA
                    : opencv_imgproc.COLOR_BayerBG2BGR);
            return Raster.of(out);
        }
    }

    /** Dilation of a 0/1 map by an elliptical element of radius {@code radius} pixels. */
    static Raster dilate(Raster mask, int radius) {
        try (Mat in = mask.toMat32(); Mat out = new Mat(); Size size = new Size(2 * radius + 1, 2 * radius + 1);
                Mat element = opencv_imgproc.getStructuringElement(opencv_imgproc.MORPH_ELLIPSE, size)) {
            opencv_imgproc.dilate(in, out, element);
            return Raster.of(out);
        }
    }

    /** A {@code width x height} single-channel float raster from a grid: smooth (cubic) upsampling. */
    static Raster upsample(float[] grid, int gridWidth, int gridHeight, int width, int height) {
        Raster g = new Raster(gridWidth, gridHeight, 1, grid);
        return resize(g, width, height, opencv_imgproc.INTER_CUBIC);
    }
}
