package ai.diffiml.data;

import static ai.diffiml.data.DataFixtures.bytes;
import static ai.diffiml.data.DataFixtures.mat;
import static ai.diffiml.data.DataFixtures.noiseImage;
import static ai.diffiml.data.DataFixtures.rectMask;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_photo.INPAINT_NS;
import static org.bytedeco.opencv.global.opencv_photo.INPAINT_TELEA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.junit.jupiter.api.Test;

/** Each transform keeps image and mask consistent; the whole chain is a function of the generator's seed. */
class AugmentationTest {
    private static final int ROWS = 30, COLS = 44;

    /** Only the named steps on (probability 1, scale and brightness off unless asked). */
    private static AugmentationSettings only(double scale, double copy, double inpaint, double hflip, double vflip,
                                             double bright, double jpeg, double rot, double blur) {
        return new AugmentationSettings(scale, copy, inpaint, hflip, vflip, bright, bright, jpeg, 70, 100, rot, blur,
                3, 7);
    }

    /** Red (BGR 0,0,255) where the mask is 1, blue elsewhere: image and mask must stay in step. */
    private static Mat paint(Mat mask) {
        byte[] m = bytes(mask), px = new byte[m.length * 3];
        for (int i = 0; i < m.length; i++) {
            px[3 * i] = (byte) (m[i] == 1 ? 0 : 255);
            px[3 * i + 2] = (byte) (m[i] == 1 ? 255 : 0);
        }
        return mat(mask.rows(), mask.cols(), CV_8UC3, px);
    }

    private static void assertInStep(Augmentation.Result r) {
        byte[] px = bytes(r.image()), m = bytes(r.mask());
        assertEquals(r.image().rows(), r.mask().rows());
        assertEquals(r.image().cols(), r.mask().cols());
        for (int i = 0; i < m.length; i++) {
            assertEquals(m[i] == 1, (px[3 * i + 2] & 0xFF) == 255, "pixel " + i + " of " + r.applied());
        }
    }

    @Test
    void flipsAndRotationsMoveTheMaskWithTheImage() {
        try (Mat mask = rectMask(ROWS, COLS, 3, 2, 15, 9); Mat image = paint(mask)) {
            byte[] original = bytes(mask);
            try (Augmentation.Result r = new Augmentation(only(0, 0, 0, 1, 0, 0, 0, 0, 0))
                    .apply(image, mask, new SplittableRandom(1))) {
                assertEquals(java.util.List.of("hflip"), r.applied());
                assertInStep(r);
                byte[] m = bytes(r.mask());
                for (int y = 0; y < ROWS; y++) {
                    for (int x = 0; x < COLS; x++) {
                        assertEquals(original[y * COLS + x], m[y * COLS + (COLS - 1 - x)]);
                    }
                }
            }
            try (Augmentation.Result r = new Augmentation(only(0, 0, 0, 0, 1, 0, 0, 0, 0))
                    .apply(image, mask, new SplittableRandom(1))) {
                assertInStep(r);
                byte[] m = bytes(r.mask());
                assertEquals(original[2 * COLS + 3], m[(ROWS - 1 - 2) * COLS + 3]);
                assertEquals(0, m[2 * COLS + 3]);
            }
            Set<String> seen = new HashSet<>();
            for (int seed = 0; seed < 40 && seen.size() < 4; seed++) {
                try (Augmentation.Result r = new Augmentation(only(0, 0, 0, 0, 0, 0, 0, 1, 0))
                        .apply(image, mask, new SplittableRandom(seed))) {
                    String step = r.applied().get(0);
                    seen.add(step);
                    assertInStep(r);
                    boolean odd = step.endsWith("x1") || step.endsWith("x3");
                    assertEquals(odd ? COLS : ROWS, r.image().rows(), step);
                    assertEquals(ImageFilesTest.sum(original), ImageFilesTest.sum(bytes(r.mask())), step);
                }
            }
            assertEquals(Set.of("rot90 x0", "rot90 x1", "rot90 x2", "rot90 x3"), seen);
            // a quarter turn counter-clockwise sends (x, y) to (y, W - 1 - x)
            try (Mat turned = Augmentation.rot90(mask, 1)) {
                byte[] t = bytes(turned);
                assertEquals(original[2 * COLS + 3], t[(COLS - 1 - 3) * ROWS + 2]);
                assertEquals(1, t[(COLS - 1 - 3) * ROWS + 2]);
            }
        }
    }

    @Test
    void copyMoveCopiesPixelsAndMarksTheTarget() {
        try (Mat image = noiseImage(ROWS, COLS, 5); Mat mask = rectMask(ROWS, COLS, 0, 0, 4, 4);
             Rect source = new Rect(2, 3, 10, 7)) {
            byte[] before = bytes(image), maskBefore = bytes(mask);
            Augmentation.copyMove(image, mask, source, 15, 20); // target top-left x=20, y=15, overlapping nothing
            byte[] after = bytes(image), m = bytes(mask);
            for (int y = 0; y < ROWS; y++) {
                for (int x = 0; x < COLS; x++) {
                    int i = y * COLS + x;
                    boolean inTarget = y >= 15 && y < 22 && x >= 20 && x < 30;
                    if (inTarget) {
                        int s = (y - 15 + 3) * COLS + (x - 20 + 2);
                        assertArrayEquals(Arrays.copyOfRange(before, 3 * s, 3 * s + 3),
                                Arrays.copyOfRange(after, 3 * i, 3 * i + 3));
                        assertEquals(1, m[i]);
                    } else {
                        assertArrayEquals(Arrays.copyOfRange(before, 3 * i, 3 * i + 3),
                                Arrays.copyOfRange(after, 3 * i, 3 * i + 3));
                        assertEquals(maskBefore[i], m[i]);
                    }
                }
            }
        }
    }

    @Test
    void overlappingCopyMoveUsesThePixelsBeforeThePaste() {
        try (Mat image = noiseImage(ROWS, COLS, 6); Mat mask = rectMask(ROWS, COLS, 0, 0, 0, 0);
             Rect source = new Rect(0, 0, 12, 10)) {
            byte[] before = bytes(image);
            Augmentation.copyMove(image, mask, source, 4, 5);
            byte[] after = bytes(image);
            for (int y = 0; y < 10; y++) {
                for (int x = 0; x < 12; x++) {
                    int s = y * COLS + x, t = (y + 4) * COLS + x + 5;
                    assertArrayEquals(Arrays.copyOfRange(before, 3 * s, 3 * s + 3),
                            Arrays.copyOfRange(after, 3 * t, 3 * t + 3));
                }
            }
            assertEquals(120, ImageFilesTest.sum(bytes(mask)));
        }
    }

    @Test
    void seededCopyMoveAddsItsTargetToTheMask() {
        try (Mat image = noiseImage(ROWS, COLS, 7); Mat mask = rectMask(ROWS, COLS, 0, 0, 3, 3)) {
            byte[] before = bytes(image), maskBefore = bytes(mask);
            try (Augmentation.Result r = new Augmentation(only(0, 1, 0, 0, 0, 0, 0, 0, 0))
                    .apply(image, mask, new SplittableRandom(11))) {
                assertTrue(r.manipulated());
                byte[] after = bytes(r.image()), m = bytes(r.mask());
                int added = 0;
                for (int i = 0; i < m.length; i++) {
                    assertTrue(m[i] >= maskBefore[i], "the mask only grows");
                    boolean changed = !Arrays.equals(Arrays.copyOfRange(before, 3 * i, 3 * i + 3),
                            Arrays.copyOfRange(after, 3 * i, 3 * i + 3));
                    if (changed) {
                        assertEquals(1, m[i], "changed pixel " + i + " is marked");
                    }
                    added += m[i] - maskBefore[i];
                }
                assertTrue(added > 0, r.applied().toString());
            }
            assertArrayEquals(before, bytes(image), "input untouched");
            assertArrayEquals(maskBefore, bytes(mask), "input mask untouched");
        }
    }

    @Test
    void inpaintingChangesOnlyItsRegionAndMarksIt() {
        for (int method : new int[] {INPAINT_TELEA, INPAINT_NS}) {
            try (Mat image = noiseImage(ROWS, COLS, 8); Mat mask = rectMask(ROWS, COLS, 0, 0, 0, 0);
                 Rect region = new Rect(10, 8, 12, 9); Mat out = Augmentation.inpaint(image, mask, region, method)) {
                byte[] before = bytes(image), after = bytes(out), m = bytes(mask);
                int changedInside = 0;
                for (int y = 0; y < ROWS; y++) {
                    for (int x = 0; x < COLS; x++) {
                        int i = y * COLS + x;
                        boolean inside = x >= 10 && x < 22 && y >= 8 && y < 17;
                        assertEquals(inside ? 1 : 0, m[i]);
                        boolean changed = !Arrays.equals(Arrays.copyOfRange(before, 3 * i, 3 * i + 3),
                                Arrays.copyOfRange(after, 3 * i, 3 * i + 3));
                        if (!inside) {
                            assertFalse(changed, "pixel outside the region changed at " + x + "," + y);
                        }
                        changedInside += inside && changed ? 1 : 0;
                    }
                }
                assertTrue(changedInside > 12 * 9 / 2, "inpainting replaced the noise: " + changedInside);
            }
        }
    }

    @Test
    void photometricStepsLeaveTheMaskAlone() {
        try (Mat mask = rectMask(ROWS, COLS, 5, 5, 20, 20); Mat image = noiseImage(ROWS, COLS, 9)) {
            byte[] maskBefore = bytes(mask), before = bytes(image);
            for (AugmentationSettings s : new AugmentationSettings[] {only(0, 0, 0, 0, 0, 0.1, 0, 0, 0),
                only(0, 0, 0, 0, 0, 0, 1, 0, 0), only(0, 0, 0, 0, 0, 0, 0, 0, 1)}) {
                try (Augmentation.Result r = new Augmentation(s).apply(image, mask, new SplittableRandom(3))) {
                    assertArrayEquals(maskBefore, bytes(r.mask()), r.applied().toString());
                    assertEquals(ROWS, r.image().rows());
                    assertFalse(Arrays.equals(before, bytes(r.image())), r.applied() + " changed the image");
                    assertFalse(r.manipulated());
                }
            }
        }
        try (Mat grey = mat(1, 1, CV_8UC3, new byte[] {100, 100, 100});
             Mat out = Augmentation.brightnessContrast(grey, 1.1, 0.05)) {
            assertArrayEquals(new byte[] {123, 123, 123}, bytes(out), "100 * 1.1 + 0.05 * 255 = 122.75");
        }
    }

    @Test
    void blurAndJpegDrawTheirSettingsRanges() {
        Set<String> kernels = new HashSet<>();
        Set<Integer> qualities = new HashSet<>();
        try (Mat mask = rectMask(12, 12, 2, 2, 6, 6); Mat image = noiseImage(12, 12, 10)) {
            for (int seed = 0; seed < 60; seed++) {
                try (Augmentation.Result r = new Augmentation(only(0, 0, 0, 0, 0, 0, 1, 0, 1))
                        .apply(image, mask, new SplittableRandom(seed))) {
                    kernels.add(r.applied().get(1));
                    int q = Integer.parseInt(r.applied().get(0).substring(5));
                    assertTrue(q >= 70 && q <= 100, "quality " + q);
                    qualities.add(q);
                }
            }
        }
        assertEquals(Set.of("blur 3", "blur 5", "blur 7"), kernels);
        assertTrue(qualities.size() > 15, "qualities spread over 70..100: " + qualities);
    }

    @Test
    void scaleStaysWithinTwentyPercentAndKeepsThePairAligned() {
        try (Mat mask = rectMask(50, 60, 10, 10, 30, 40); Mat image = paint(mask)) {
            for (int seed = 0; seed < 10; seed++) {
                try (Augmentation.Result r = new Augmentation(only(0.2, 0, 0, 0, 0, 0, 0, 0, 0))
                        .apply(image, mask, new SplittableRandom(seed))) {
                    assertTrue(r.image().rows() >= 40 && r.image().rows() <= 60, r.applied().toString());
                    assertEquals(r.image().cols(), r.mask().cols());
                    assertEquals(r.image().rows(), r.mask().rows());
                }
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() {
        AugmentationSettings all = new AugmentationSettings(0.2, 1, 1, 1, 1, 0.1, 0.1, 1, 70, 100, 1, 1, 3, 7);
        Augmentation aug = new Augmentation(all);
        try (Mat mask = rectMask(ROWS, COLS, 4, 4, 20, 14); Mat image = noiseImage(ROWS, COLS, 12);
             Augmentation.Result a = aug.apply(image, mask, Seeds.random(7, Seeds.AUGMENTATION, 0, 3));
             Augmentation.Result b = aug.apply(image, mask, Seeds.random(7, Seeds.AUGMENTATION, 0, 3));
             Augmentation.Result c = aug.apply(image, mask, Seeds.random(7, Seeds.AUGMENTATION, 1, 3))) {
            assertEquals(9, a.applied().size(), a.applied().toString());
            assertArrayEquals(bytes(a.image()), bytes(b.image()));
            assertArrayEquals(bytes(a.mask()), bytes(b.mask()));
            assertEquals(a.applied(), b.applied());
            assertNotEquals(a.applied(), c.applied(), "another epoch draws other parameters");
        }
    }

    @Test
    void paperSettingsMatchTheMethodDoc() {
        AugmentationSettings p = AugmentationSettings.paper();
        assertEquals(new AugmentationSettings(0.2, 0.1, 0.1, 0.5, 0.5, 0.1, 0.1, 0.2, 70, 100, 0.5, 0.2, 3, 7), p);
    }
}
