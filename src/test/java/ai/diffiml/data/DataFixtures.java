package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/** Files the data tests write: seeded noise images, masks, and small hand-made formats. */
final class DataFixtures {
    private DataFixtures() {}

    /** A seeded noise BGR image with a smooth gradient (so JPEG and resizing keep some structure). */
    static Mat noiseImage(int rows, int cols, long seed) {
        OpenCv.load();
        SplittableRandom r = new SplittableRandom(seed);
        byte[] data = new byte[rows * cols * 3];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int o = (y * cols + x) * 3;
                data[o] = (byte) (r.nextInt(64) + 4 * x % 192);
                data[o + 1] = (byte) (r.nextInt(64) + 4 * y % 192);
                data[o + 2] = (byte) (r.nextInt(256));
            }
        }
        return mat(rows, cols, CV_8UC3, data);
    }

    /** A {0, 1} mask with the rectangle [x0, x1) x [y0, y1) set. */
    static Mat rectMask(int rows, int cols, int x0, int y0, int x1, int y1) {
        byte[] data = new byte[rows * cols];
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                data[y * cols + x] = 1;
            }
        }
        return mat(rows, cols, CV_8UC1, data);
    }

    static Mat mat(int rows, int cols, int type, byte[] data) {
        OpenCv.load();
        Mat m = new Mat(rows, cols, type);
        m.data().put(data);
        return m;
    }

    static byte[] bytes(Mat m) {
        return Preprocess.bytes(m, m.rows() * m.cols() * m.channels());
    }

    /** Writes {@code m} with OpenCV (format from the extension); a {0, 1} mask is written as 0 / 255. */
    static Path write(Path file, Mat m) {
        OpenCv.load();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(opencv_imgcodecs.imwrite(file.toString(), m), "writing " + file);
        return file;
    }

    static Path writeMask(Path file, Mat mask01) {
        try (Mat scaled = new Mat()) {
            mask01.convertTo(scaled, -1, 255, 0);
            return write(file, scaled);
        }
    }

    /** A noise image of the given size written to {@code file}. */
    static Path writeImage(Path file, int rows, int cols, long seed) {
        try (Mat m = noiseImage(rows, cols, seed)) {
            return write(file, m);
        }
    }

    static Path writeImageIo(Path file, BufferedImage image, String format) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            assertTrue(ImageIO.write(image, format, file.toFile()), "ImageIO wrote no " + format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** An uncompressed 8-bit CMYK ("separated") TIFF, every pixel (c, m, y, k), written by hand. */
    static byte[] cmykTiff(int w, int h, int c, int m, int y, int k) {
        int n = w * h * 4, entries = 10, ifd = 8 + n;
        ByteBuffer b = ByteBuffer.allocate(ifd + 2 + entries * 12 + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        for (int i = 0; i < w * h; i++) {
            b.put((byte) c).put((byte) m).put((byte) y).put((byte) k);
        }
        int bitsAt = ifd + 2 + entries * 12 + 4;
        b.putShort((short) entries);
        tag(b, 256, 3, 1, w); // width
        tag(b, 257, 3, 1, h); // height
        tag(b, 258, 3, 4, bitsAt); // bits per sample: 8,8,8,8 at bitsAt
        tag(b, 259, 3, 1, 1); // no compression
        tag(b, 262, 3, 1, 5); // photometric: separated (CMYK)
        tag(b, 273, 4, 1, 8); // strip offset
        tag(b, 277, 3, 1, 4); // samples per pixel
        tag(b, 278, 3, 1, h); // rows per strip
        tag(b, 279, 4, 1, n); // strip byte count
        tag(b, 284, 3, 1, 1); // planar config: chunky
        b.putInt(0);
        for (int i = 0; i < 4; i++) {
            b.putShort((short) 8);
        }
        return b.array();
    }

    private static void tag(ByteBuffer b, int tag, int type, int count, int value) {
        b.putShort((short) tag).putShort((short) type).putInt(count);
        if (type == 3 && count == 1) {
            b.putShort((short) value).putShort((short) 0);
        } else {
            b.putInt(value);
        }
    }

    /**
     * A BenCo folder under {@code dir}: {@code tampered} Tp/Gt pairs (rows x cols, a rectangle mask each, masks
     * named {@code *_gt.png}) and {@code authentic} Au images.
     */
    static Path bencoFolder(Path dir, int tampered, int authentic, int rows, int cols) {
        for (int i = 0; i < tampered; i++) {
            writeImage(dir.resolve("Tp/t" + i + ".png"), rows, cols, 100 + i);
            try (Mat mask = rectMask(rows, cols, 2 + i % 5, 3, cols / 2 + i % 7, rows / 2 + 2)) {
                writeMask(dir.resolve("Gt/t" + i + "_gt.png"), mask);
            }
        }
        for (int i = 0; i < authentic; i++) {
            writeImage(dir.resolve("Au/a" + i + ".png"), rows, cols, 500 + i);
        }
        return dir;
    }
}
