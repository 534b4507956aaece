package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How masks store their values: each kind is recognised, and the histogram counts every pixel. */
class MaskValuesTest {
    @TempDir
    Path dir;

    private Path png(String name, int type, byte[] data) {
        try (Mat m = DataFixtures.mat(2, 2, type, data)) {
            return DataFixtures.write(dir.resolve(name), m);
        }
    }

    @Test
    void recognisesBinaryZeroOneGreyColourAlphaAndEmptyMasks() {
        Path b255 = png("b255.png", CV_8UC1, new byte[] {0, 0, (byte) 255, (byte) 255});
        Path b01 = png("b01.png", CV_8UC1, new byte[] {0, 1, 1, 0});
        Path grey = png("grey.png", CV_8UC1, new byte[] {0, 100, (byte) 200, (byte) 255});
        // BGR: pure green (0, 255, 0) has mean 85, below 127.5: empty to the protocol, and colour
        Path green = png("green.png", CV_8UC3, new byte[] {0, (byte) 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        Path rgba = png("rgba.png", CV_8UC4, new byte[] {(byte) 255, (byte) 255, (byte) 255, 0, 0, 0, 0,
            (byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255});
        MaskValues.Stats s = MaskValues.of(List.of(b255, b01, grey, green, rgba));
        assertEquals(5, s.masks());
        assertEquals(2, s.binary255(), "b255 and rgba"); // rgba: white and black pixels
        assertEquals(1, s.binary01());
        assertEquals(2, s.greyLevels(), "grey, and green's mean 85");
        assertEquals(4, s.maxLevels());
        assertEquals(1, s.colour());
        assertEquals(1, s.alpha());
        assertEquals(2, s.emptyAfterBinarising(), "b01 and green");
        // grey values: b255 0,0,255,255; b01 0,1,1,0; grey 0,100,200,255; green 85,0,0,0; rgba 255,0,0,0
        assertArrayEquals(new long[] {13, 0, 1, 1, 0, 0, 1, 4}, s.histogram());
        assertTrue(s.hasProblems());
        assertTrue(s.lines().get(0).contains("binary 0/1 1 (read as all authentic by the protocol's rule)"),
                s.lines()::toString);
        assertFalse(MaskValues.of(List.of(b255)).hasProblems());
    }
}
