package ai.diffiml.data;

import static ai.diffiml.data.DataFixtures.bytes;
import static ai.diffiml.data.DataFixtures.mat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** The release's edge band against hand-computed cases, and the Canny option. */
class EdgeMapsTest {
    /** A mask from rows of '.' (0) and 'X' (1). */
    private static Mat parse(String... rows) {
        byte[] data = new byte[rows.length * rows[0].length()];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < rows[0].length(); x++) {
                data[y * rows[0].length() + x] = (byte) (rows[y].charAt(x) == 'X' ? 1 : 0);
            }
        }
        return mat(rows.length, rows[0].length(), CV_8UC1, data);
    }

    private static void assertBand(int width, String[] mask, String[] expected) {
        try (Mat m = parse(mask); Mat want = parse(expected); Mat edge = EdgeMaps.band(m, width)) {
            assertEquals(CV_8UC1, edge.type());
            assertArrayEquals(bytes(want), bytes(edge), "band of width " + width);
        }
    }

    @Test
    void singlePixelGivesThePlusShapedElement() {
        assertBand(7, new String[] {
            ".........",
            ".........",
            ".........",
            ".........",
            "....X....",
            ".........",
            ".........",
            ".........",
            "........."}, new String[] {
            ".........",
            "....X....",
            "....X....",
            "....X....",
            ".XXXXXXX.",
            "....X....",
            "....X....",
            "....X....",
            "........."});
    }

    @Test
    void straightBoundaryGetsThreePixelsEachSide() {
        assertBand(7, new String[] {
            "XXXXXX......",
            "XXXXXX......",
            "XXXXXX......"}, new String[] {
            "...XXXXXX...",
            "...XXXXXX...",
            "...XXXXXX..."});
    }

    @Test
    void squareWithInteriorAtWidthThree() {
        // dilate(mask) adds the 4-neighbours around the square (not the corners); dilate(background) reaches the
        // square's outer ring only, so the 3x3 interior drops out
        assertBand(3, new String[] {
            ".......",
            ".XXXXX.",
            ".XXXXX.",
            ".XXXXX.",
            ".XXXXX.",
            ".XXXXX.",
            "......."}, new String[] {
            ".XXXXX.",
            "XXXXXXX",
            "XX...XX",
            "XX...XX",
            "XX...XX",
            "XXXXXXX",
            ".XXXXX."});
    }

    @Test
    void noEdgeAlongTheImageBorderNorForEmptyOrFullMasks() {
        assertBand(7, new String[] {"XXX...", "XXX...", "XXX..."},
                new String[] {"XXXXXX", "XXXXXX", "XXXXXX"});
        assertBand(7, new String[] {"......", "......"}, new String[] {"......", "......"});
        assertBand(7, new String[] {"XXXXXX", "XXXXXX"}, new String[] {"......", "......"});
    }

    @Test
    void cannyVariantMarksTheBoundary() {
        try (Mat m = DataFixtures.rectMask(40, 40, 10, 10, 30, 30); Mat edge = EdgeMaps.canny(m, 7);
             Mat band = EdgeMaps.band(m, 7)) {
            byte[] e = bytes(edge), b = bytes(band);
            assertEquals(1, e[20 * 40 + 10], "on the left side of the square");
            assertEquals(1, e[10 * 40 + 20], "on the top side");
            assertEquals(0, e[20 * 40 + 20], "centre");
            assertEquals(0, e[0], "far corner");
            int inBand = 0, total = 0;
            for (int i = 0; i < e.length; i++) {
                total += e[i];
                inBand += e[i] & b[i];
            }
            assertTrue(inBand > 0.8 * total, "Canny's band lies mostly in the release band: " + inBand + "/" + total);
        }
        try (Mat empty = DataFixtures.rectMask(20, 20, 0, 0, 0, 0); Mat edge = EdgeMaps.canny(empty, 7)) {
            assertEquals(0, ImageFilesTest.sum(bytes(edge)));
        }
    }

    @Test
    void computeDispatchesAndValidates() {
        try (Mat m = DataFixtures.rectMask(16, 16, 4, 4, 12, 12); Mat a = EdgeMaps.compute(EdgeMode.BAND, m, 5);
             Mat b = EdgeMaps.band(m, 5)) {
            assertArrayEquals(bytes(b), bytes(a));
            assertThrows(IllegalArgumentException.class, () -> EdgeMaps.band(m, 4));
        }
        try (Mat colour = new Mat(4, 4, CV_8UC3)) {
            assertThrows(IllegalArgumentException.class, () -> EdgeMaps.band(colour, 7));
        }
    }
}
