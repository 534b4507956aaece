package ai.diffiml.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/**
 * An image whose header declares more than {@link ImageFiles#MAX_PIXELS} is refused from its header, before any
 * pixel memory is allocated (a 40-byte PNG header claiming 30000 x 30000 would otherwise make javax.imageio
 * allocate a 2.7 GB raster), as image and as mask; the largest size allowed still decodes.
 */
class ImageSizeLimitTest {
    private static byte[] pngHeader(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = ByteBuffer.allocate(17).put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width)
                .putInt(height).put(new byte[] {8, 2, 0, 0, 0}).array();
        b.putInt(13).put(ihdr).putInt(crc(ihdr));
        byte[] iend = "IEND".getBytes(StandardCharsets.US_ASCII);
        b.putInt(0).put(iend).putInt(crc(iend));
        return b.array();
    }

    private static int crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return (int) c.getValue();
    }

    /** A GIF89a logical screen and one image descriptor of this size, with no image data. */
    private static byte[] gifHeader(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(6 + 7 + 10 + 1).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GIF89a".getBytes(StandardCharsets.US_ASCII)).putShort((short) width).putShort((short) height)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        b.put((byte) 0x2C).putShort((short) 0).putShort((short) 0).putShort((short) width).putShort((short) height)
                .put((byte) 0).put((byte) 0x3B);
        return b.array();
    }

    @Test
    void headersDeclaringMoreThanTheMaximumAreRefusedBeforeDecoding() {
        Path file = Path.of("huge.png");
        UnreadableImageException e = assertThrows(UnreadableImageException.class,
                () -> ImageFiles.decodeImage(pngHeader(30000, 30000), file));
        assertEquals(file + ": declares 30000 x 30000 pixels, more than the 268 megapixels this reader decodes",
                e.getMessage());
        e = assertThrows(UnreadableImageException.class, () -> ImageFiles.decodeMask(pngHeader(100000, 100000),
                file));
        assertTrue(e.getMessage().contains("declares 100000 x 100000 pixels"), e.getMessage());
        e = assertThrows(UnreadableImageException.class, () -> ImageFiles.decodeImage(gifHeader(40000, 40000),
                Path.of("huge.gif")));
        assertTrue(e.getMessage().contains("declares 40000 x 40000 pixels"), e.getMessage());
    }

    @Test
    void anImageWithinTheLimitWithAHeaderOnlyIsStillJudgedByTheDecoders() throws Exception {
        // within the limit: not refused for its size, but as the truncated file it is
        UnreadableImageException e = assertThrows(UnreadableImageException.class,
                () -> ImageFiles.decodeImage(pngHeader(2000, 1500), Path.of("big.png")));
        assertTrue(e.getMessage().contains("corrupt or truncated PNG data"), e.getMessage());
        try (Mat small = ImageFiles.decodeImage(java.nio.file.Files.readAllBytes(DataFixtures.writeImage(
                java.nio.file.Files.createTempDirectory("size").resolve("a.png"), 30, 20, 1)), Path.of("a.png"))) {
            assertEquals(20, small.cols());
            assertEquals(30, small.rows());
        }
    }
}
