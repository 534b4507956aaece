package ai.diffiml.data;

import static ai.diffiml.data.DataFixtures.bytes;
import static ai.diffiml.data.DataFixtures.mat;
import static ai.diffiml.data.DataFixtures.noiseImage;
import static ai.diffiml.data.DataFixtures.write;
import static ai.diffiml.data.DataFixtures.writeImageIo;
import static org.bytedeco.opencv.global.opencv_core.CV_16UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_16UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.testing.SharedData;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image and mask reading: formats, bit depths, BenCo's binarisation rule, and one-line errors for bad files. */
class ImageFilesTest {
    @TempDir
    Path dir;

    // ---- images ----

    @Test
    void losslessFormatsRoundTripExactly() throws Exception {
        try (Mat image = noiseImage(21, 34, 1)) {
            byte[] expected = bytes(image);
            for (String ext : List.of("png", "bmp", "tif", "ppm")) {
                try (Mat back = ImageFiles.readImage(write(dir.resolve("x." + ext), image))) {
                    assertEquals(CV_8UC3, back.type(), ext);
                    assertArrayEquals(expected, bytes(back), ext);
                }
            }
        }
    }

    @Test
    void grayscaleBecomesThreeEqualChannels() throws Exception {
        byte[] gray = new byte[6 * 5];
        for (int i = 0; i < gray.length; i++) {
            gray[i] = (byte) (i * 8);
        }
        try (Mat g = mat(6, 5, CV_8UC1, gray); Mat back = ImageFiles.readImage(write(dir.resolve("g.png"), g))) {
            assertEquals(CV_8UC3, back.type());
            byte[] px = bytes(back);
            for (int i = 0; i < gray.length; i++) {
                assertEquals(gray[i], px[3 * i]);
                assertEquals(gray[i], px[3 * i + 1]);
                assertEquals(gray[i], px[3 * i + 2]);
            }
        }
    }

    @Test
    void paletteImageIsLookedUp() throws Exception {
        byte[] reds = {0, (byte) 200}, greens = {0, 10}, blues = {0, 30};
        BufferedImage pal = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 2, reds, greens, blues));
        pal.getRaster().setSample(1, 2, 0, 1);
        Path file = writeImageIo(dir.resolve("p.png"), pal, "png");
        try (Mat back = ImageFiles.readImage(file)) {
            byte[] px = bytes(back);
            int o = (2 * 4 + 1) * 3;
            assertArrayEquals(new byte[] {30, 10, (byte) 200}, Arrays.copyOfRange(px, o, o + 3), "BGR of entry 1");
            assertArrayEquals(new byte[] {0, 0, 0}, Arrays.copyOfRange(px, 0, 3));
        }
    }

    @Test
    void sixteenBitImagesMapToRoundedEightBit() throws Exception {
        short[] values = {0, 1000, 30000, (short) 65535, 128, (short) 40000};
        try (Mat m16 = new Mat(1, 2, CV_16UC3)) {
            ((java.nio.ShortBuffer) m16.createBuffer()).put(values);
            for (String ext : List.of("png", "tif")) {
                try (Mat back = ImageFiles.readImage(write(dir.resolve("w16." + ext), m16))) {
                    assertEquals(CV_8UC3, back.type());
                    byte[] px = bytes(back);
                    for (int i = 0; i < values.length; i++) {
                        assertEquals(Math.round((values[i] & 0xFFFF) / 257.0), px[i] & 0xFF, ext + " sample " + i);
                    }
                }
            }
        }
        BufferedImage g16 = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 514, 65535});
        try (Mat back = ImageFiles.readImage(writeImageIo(dir.resolve("g16.png"), g16, "png"))) {
            byte[] px = bytes(back);
            assertArrayEquals(new byte[] {0, 0, 0, 2, 2, 2, (byte) 255, (byte) 255, (byte) 255}, px);
        }
    }

    @Test
    void alphaIsDroppedNotComposited() throws Exception {
        byte[] bgra = {10, 20, 30, 0, 40, 50, 60, (byte) 255};
        try (Mat m = mat(1, 2, CV_8UC4, bgra); Mat back = ImageFiles.readImage(write(dir.resolve("a.png"), m))) {
            assertArrayEquals(new byte[] {10, 20, 30, 40, 50, 60}, bytes(back));
        }
    }

    @Test
    void cmykTiffIsConvertedToColour() throws Exception {
        Path file = dir.resolve("cmyk.tif");
        Files.write(file, DataFixtures.cmykTiff(6, 5, 255, 0, 0, 0)); // pure cyan
        try (Mat back = ImageFiles.readImage(file)) {
            assertEquals(6, back.cols());
            assertEquals(5, back.rows());
            byte[] px = bytes(back);
            assertArrayEquals(new byte[] {(byte) 255, (byte) 255, 0}, Arrays.copyOfRange(px, 0, 3), "cyan in BGR");
        }
    }

    @Test
    void jpegDecodesCloseToTheOriginal() throws Exception {
        byte[] smooth = new byte[32 * 40 * 3];
        for (int i = 0; i < smooth.length; i++) {
            int p = i / 3, y = p / 40, x = p % 40;
            smooth[i] = (byte) (i % 3 == 0 ? 5 * x : i % 3 == 1 ? 7 * y : 100 + 2 * (x + y));
        }
        try (Mat image = mat(32, 40, CV_8UC3, smooth);
             Mat back = ImageFiles.readImage(write(dir.resolve("j.jpg"), image))) {
            assertEquals(40, back.cols());
            byte[] a = bytes(image), b = bytes(back);
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                diff += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
            }
            assertTrue(diff / a.length < 2, "mean abs difference " + diff / a.length);
        }
    }

    @Test
    void whatOpenCvRefusesIsReadByImageIo() throws Exception {
        // OpenCV has no WBMP decoder; javax.imageio does.
        BufferedImage bits = new BufferedImage(9, 4, BufferedImage.TYPE_BYTE_BINARY);
        bits.setRGB(3, 1, 0xFFFFFF);
        Path file = writeImageIo(dir.resolve("b.wbmp"), bits, "wbmp");
        try (Mat back = ImageFiles.readImage(file); Mat mask = ImageFiles.readMask(file)) {
            byte[] px = bytes(back);
            assertEquals((byte) 255, px[(9 + 3) * 3]);
            assertEquals(0, px[0]);
            byte[] m = bytes(mask);
            assertEquals(1, m[9 + 3]);
            assertEquals(1, sum(m), "only the one white pixel");
        }
    }

    // ---- masks ----

    @Test
    void oneBandMaskThresholdsAt127Point5() throws Exception {
        byte[] g = {0, 127, (byte) 128, (byte) 255};
        try (Mat m = mat(1, 4, CV_8UC1, g); Mat mask = ImageFiles.readMask(write(dir.resolve("m.png"), m))) {
            assertEquals(CV_8UC1, mask.type());
            assertArrayEquals(new byte[] {0, 0, 1, 1}, bytes(mask));
        }
    }

    @Test
    void rgbMaskUsesTheMeanOfTheThreeColours() throws Exception {
        // means: 127.33 (0), 127.67 (1), 85 (0), 170 (1)
        byte[] bgr = {(byte) 128, (byte) 128, 126, (byte) 128, (byte) 128, 127, (byte) 255, 0, 0, (byte) 255,
            (byte) 255, 0};
        try (Mat m = mat(1, 4, CV_8UC3, bgr); Mat mask = ImageFiles.readMask(write(dir.resolve("m.png"), m))) {
            assertArrayEquals(new byte[] {0, 1, 0, 1}, bytes(mask));
        }
    }

    @Test
    void rgbaMaskIgnoresAlpha() throws Exception {
        // white but fully transparent -> 1; black but opaque -> 0
        byte[] bgra = {(byte) 255, (byte) 255, (byte) 255, 0, 0, 0, 0, (byte) 255};
        try (Mat m = mat(1, 2, CV_8UC4, bgra); Mat mask = ImageFiles.readMask(write(dir.resolve("m.png"), m))) {
            assertArrayEquals(new byte[] {1, 0}, bytes(mask));
        }
    }

    @Test
    void paletteMaskUsesItsColours() throws Exception {
        // index 0 is white, index 1 black: the rule must look at colours, not indices
        byte[] r = {(byte) 255, 0}, g = {(byte) 255, 0}, b = {(byte) 255, 0};
        BufferedImage pal = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 2, r, g, b));
        pal.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0, 1, 0});
        try (Mat mask = ImageFiles.readMask(writeImageIo(dir.resolve("p.png"), pal, "png"))) {
            assertArrayEquals(new byte[] {1, 0, 1}, bytes(mask));
        }
    }

    @Test
    void sixteenBitMaskThresholdsAtHalfScale() throws Exception {
        try (Mat m = new Mat(1, 4, CV_16UC1)) {
            ((java.nio.ShortBuffer) m.createBuffer()).put(new short[] {0, 32767, (short) 32768, (short) 65535});
            try (Mat mask = ImageFiles.readMask(write(dir.resolve("m16.png"), m))) {
                assertArrayEquals(new byte[] {0, 0, 1, 1}, bytes(mask));
            }
        }
    }

    @Test
    void jpegMaskKeepsItsRegion() throws Exception {
        try (Mat rect = DataFixtures.rectMask(48, 64, 16, 16, 48, 32)) {
            Path file = DataFixtures.writeMask(dir.resolve("m.jpg"), rect);
            try (Mat mask = ImageFiles.readMask(file)) {
                byte[] expected = bytes(rect), got = bytes(mask);
                int differ = 0;
                for (int i = 0; i < got.length; i++) {
                    differ += expected[i] != got[i] ? 1 : 0;
                }
                assertEquals(0, differ, "a hard-edged JPEG mask binarises back to the rectangle");
            }
        }
    }

    // ---- errors ----

    @Test
    void zeroByteFileIsUnreadable() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.jpg"));
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> ImageFiles.readImage(file));
        assertEquals(file + ": empty file (0 bytes)", e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void truncatedFilesAreUnreadableNotHalfRead() throws Exception {
        try (Mat image = noiseImage(64, 64, 3)) {
            for (String ext : List.of("jpg", "png", "tif")) {
                byte[] whole = Files.readAllBytes(write(dir.resolve("whole." + ext), image));
                for (double keep : new double[] {0.5, 0.97}) {
                    Path cut = dir.resolve("cut" + (int) (keep * 100) + "." + ext);
                    Files.write(cut, Arrays.copyOf(whole, (int) (whole.length * keep)));
                    UnreadableImageException e = assertThrows(UnreadableImageException.class,
                            () -> ImageFiles.readImage(cut), ext + " cut at " + keep);
                    String format = ext.equals("jpg") ? "JPEG" : ext.equals("png") ? "PNG" : "TIFF";
                    assertTrue(e.getMessage().startsWith(cut + ": corrupt or truncated " + format + " data"),
                            e.getMessage());
                    assertThrows(UnreadableImageException.class, () -> ImageFiles.readMask(cut));
                }
            }
        }
    }

    @Test
    void aPngChunkLongerThanTheFileIsRefusedBeforeDecoding() throws Exception {
        try (Mat image = noiseImage(16, 12, 3)) {
            byte[] whole = Files.readAllBytes(write(dir.resolve("whole.png"), image));
            ImageFiles.requireWholePngChunks(whole, dir.resolve("whole.png")); // a whole file walks to IEND
            try (Mat back = ImageFiles.readImage(dir.resolve("whole.png"))) {
                assertEquals(16 * 12, back.rows() * back.cols());
            }
            // the first chunk after IHDR (at 8 + 12 + 13) declares about 4 GB, as the fuzzer's slow input did:
            // OpenCV's decoder would allocate that before reading it
            byte[] bad = whole.clone();
            ByteBuffer.wrap(bad, 33, 4).order(ByteOrder.BIG_ENDIAN).putInt(0xFFFFFEE6);
            Path file = Files.write(dir.resolve("huge-chunk.png"), bad);
            for (boolean mask : new boolean[] {false, true}) {
                UnreadableImageException e = assertThrows(UnreadableImageException.class,
                        () -> { if (mask) ImageFiles.readMask(file); else ImageFiles.readImage(file); });
                assertTrue(e.getMessage().startsWith(file + ": corrupt or truncated PNG data (chunk '"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("at byte 33 declares 4294967014 bytes"), e.getMessage());
            }
        }
        // the fuzzer's input itself
        byte[] found = DataFixtures.class.getResourceAsStream(
                "ImageFilesFuzzTestInputs/maskDecodesOrRefuses/corrupt-png-left-by-interrupted-campaign").readAllBytes();
        UnreadableImageException e = assertThrows(UnreadableImageException.class,
                () -> ImageFiles.decodeMask(found, Path.of("found.png")));
        assertTrue(e.getMessage().contains("chunk 'IDAT' at byte 33 declares 4278190054 bytes"), e.getMessage());
    }

    @Test
    void textFileNamedPngIsNotAnImage() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.png"), "this is not a picture\n");
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> ImageFiles.readMask(file));
        assertTrue(e.getMessage().startsWith(file + ": not an image"), e.getMessage());
    }

    @Test
    void missingFileAndFolderAreNamed() {
        Path missing = dir.resolve("nope.png");
        assertEquals(missing + ": no such file",
                assertThrows(UnreadableImageException.class, () -> ImageFiles.readImage(missing)).getMessage());
        assertTrue(assertThrows(UnreadableImageException.class, () -> ImageFiles.readImage(dir)).getMessage()
                .startsWith(dir + ": is a folder"));
    }

    // ---- real samples ----

    @Test
    void realSamplesReadLikeAnIndependentDecoder() throws Exception {
        Path real = SharedData.realSamplesDir();
        Assumptions.assumeTrue(real != null, "../shared/data/real-samples not present");
        List<Path> masks;
        try (Stream<Path> files = Files.walk(real)) {
            masks = files.filter(p -> p.getFileName().toString().endsWith("_gt.png")).sorted().toList();
        }
        assertEquals(19, masks.size(), "17 CASIAv2 + 2 BenCo-folder masks");
        int greyLevelMasks = 0;
        for (Path maskFile : masks) {
            // the reference: javax.imageio's PNG decoder and the rule written out directly
            BufferedImage ref = ImageIO.read(maskFile.toFile());
            boolean intermediate = false;
            byte[] expected = new byte[ref.getWidth() * ref.getHeight()];
            for (int y = 0; y < ref.getHeight(); y++) {
                for (int x = 0; x < ref.getWidth(); x++) {
                    int rgb = ref.getRGB(x, y);
                    int sum = ((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF);
                    expected[y * ref.getWidth() + x] = (byte) (sum / 3.0 > 127.5 ? 1 : 0);
                    intermediate |= sum != 0 && sum != 765;
                }
            }
            greyLevelMasks += intermediate ? 1 : 0;
            try (Mat mask = ImageFiles.readMask(maskFile)) {
                assertArrayEquals(expected, bytes(mask), maskFile.toString());
                assertTrue(sum(bytes(mask)) > 0, "tampered region present in " + maskFile);
            }
            Path image = imageFor(maskFile);
            BufferedImage refImage = ImageIO.read(image.toFile());
            try (Mat img = ImageFiles.readImage(image)) {
                assertEquals(refImage.getWidth(), img.cols(), image.toString());
                assertEquals(refImage.getHeight(), img.rows(), image.toString());
                assertTrue(meanAbsDiff(img, refImage) < (image.toString().endsWith(".jpg") ? 3 : 1e-9),
                        image + ": differs from javax.imageio's decoding");
            }
        }
        assertTrue(greyLevelMasks >= 1, "the README's mask with grey levels");
    }

    private static Path imageFor(Path mask) throws IOException {
        String stem = mask.getFileName().toString().replace("_gt.png", "");
        Path folder = mask.getParent().getFileName().toString().equals("Gt")
                ? mask.getParent().resolveSibling("Tp") : mask.getParent();
        for (String ext : List.of(".tif", ".jpg")) {
            if (Files.exists(folder.resolve(stem + ext))) {
                return folder.resolve(stem + ext);
            }
        }
        throw new IOException("no image for " + mask);
    }

    /** Against the stored R, G, B samples (not getRGB: that applies an embedded ICC profile, which we ignore). */
    private static double meanAbsDiff(Mat bgr, BufferedImage ref) {
        byte[] px = bytes(bgr);
        java.awt.image.Raster raster = ref.getRaster();
        assertEquals(3, raster.getNumBands());
        double diff = 0;
        for (int y = 0; y < ref.getHeight(); y++) {
            for (int x = 0; x < ref.getWidth(); x++) {
                int o = (y * ref.getWidth() + x) * 3;
                for (int c = 0; c < 3; c++) {
                    diff += Math.abs((px[o + 2 - c] & 0xFF) - raster.getSample(x, y, c));
                }
            }
        }
        return diff / px.length;
    }

    static int sum(byte[] mask) {
        int s = 0;
        for (byte b : mask) {
            s += b;
        }
        return s;
    }

    @Test
    void imageExtensionsAreRecognised() {
        assertTrue(ImageFiles.hasImageExtension(Path.of("a/B.JPG")));
        assertTrue(ImageFiles.hasImageExtension(Path.of("x.tiff")));
        assertFalse(ImageFiles.hasImageExtension(Path.of("notes.txt")));
        assertFalse(ImageFiles.hasImageExtension(Path.of("._hidden.jpg")));
        assertFalse(ImageFiles.hasImageExtension(Path.of("jpg")));
    }

    @Test
    void sniffNamesFormats() {
        assertEquals("JPEG", ImageFiles.sniffFormat(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0}));
        assertEquals("TIFF", ImageFiles.sniffFormat(ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN)
                .put((byte) 'M').put((byte) 'M').putShort((short) 42).array()));
        assertEquals(null, ImageFiles.sniffFormat("hello".getBytes()));
    }
}
