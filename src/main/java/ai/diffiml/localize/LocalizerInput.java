package ai.diffiml.localize;

import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.UnreadableImageException;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One image for {@link Localizer#localizeAll}: a file, the bytes of an image file, a decoded
 * {@link BufferedImage}, or an OpenCV BGR {@link Mat}. Files and bytes are decoded by {@link ImageFiles}' rules
 * (any common format, 16-bit scaled to 8, alpha dropped, EXIF orientation ignored); a file that cannot be decoded
 * is an {@link UnreadableImageException} naming it and the reason.
 */
public abstract class LocalizerInput {
    private LocalizerInput() {}

    /** The image file {@code file}. */
    public static LocalizerInput of(Path file) {
        Objects.requireNonNull(file, "file");
        return new LocalizerInput() {
            @Override
            Mat decode() throws UnreadableImageException {
                return ImageFiles.readImage(file);
            }

            @Override
            public String toString() {
                return file.toString();
            }
        };
    }

    /** The bytes of an image file (JPEG, PNG, ...); errors name it "(bytes)". */
    public static LocalizerInput of(byte[] imageFile) {
        Objects.requireNonNull(imageFile, "imageFile");
        return new LocalizerInput() {
            @Override
            Mat decode() throws UnreadableImageException {
                if (imageFile.length == 0) {
                    throw new UnreadableImageException(Path.of("(bytes)"), "empty (0 bytes)");
                }
                return ImageFiles.decodeImage(imageFile, Path.of("(bytes)"));
            }

            @Override
            public String toString() {
                return "(" + imageFile.length + " bytes)";
            }
        };
    }

    /** A decoded image (any type; alpha is dropped, grey becomes three equal channels). */
    public static LocalizerInput of(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        return new LocalizerInput() {
            @Override
            Mat decode() {
                return ImageFiles.fromBufferedImage(image);
            }

            @Override
            public String toString() {
                return "(image " + image.getWidth() + "x" + image.getHeight() + ")";
            }
        };
    }

    /**
     * An 8-bit, 3-channel BGR OpenCV image (as {@link ImageFiles#readImage} returns). The localizer reads it and
     * neither changes nor closes it: it stays the caller's.
     */
    public static LocalizerInput ofBgr(Mat image) {
        Objects.requireNonNull(image, "image");
        return new LocalizerInput() {
            @Override
            Mat decode() {
                if (image.type() != org.bytedeco.opencv.global.opencv_core.CV_8UC3) {
                    throw new IllegalArgumentException("ofBgr needs an 8-bit 3-channel BGR image, got OpenCV type "
                            + image.type());
                }
                return new Mat(image); // a header sharing the pixels: closing it leaves the caller's Mat intact
            }

            @Override
            public String toString() {
                return "(BGR image " + image.cols() + "x" + image.rows() + ")";
            }
        };
    }

    /** The image as 8-bit BGR; the caller closes the returned Mat. */
    abstract Mat decode() throws UnreadableImageException;
}
