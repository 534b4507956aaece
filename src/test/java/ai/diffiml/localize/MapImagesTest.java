package ai.diffiml.localize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.data.OpenCv;
import java.util.SplittableRandom;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.junit.jupiter.api.Test;

/** The overlay blended in bands of rows from a native photo is the overlay of the whole photo, byte for byte. */
class MapImagesTest {
    @Test
    void theBandedOverlayEqualsTheWholeImageOverlay() {
        OpenCv.load();
        // 1400 x 1100 x 3 bytes is over the 4 MiB band: two bands, the second a short one
        int width = 1400, height = 1100, n = width * height;
        SplittableRandom r = new SplittableRandom(3);
        byte[] bgr = new byte[3 * n];
        for (int i = 0; i < bgr.length; i++) {
            bgr[i] = (byte) r.nextInt(256);
        }
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) (r.nextDouble() * 1.2 - 0.1); // outside [0, 1] too: clamped
        }
        byte[] whole = MapImages.bgrPng(MapImages.overlayBgr(bgr, p, width, height), width, height);
        try (Mat photo = new Mat(height, width, opencv_core.CV_8UC3)) {
            photo.data().put(bgr);
            assertArrayEquals(whole, MapImages.overlayPng(photo, p));
            // a region of a larger image (rows not contiguous) reads its own rows
            try (Rect rect = new Rect(100, 50, 300, 200); Mat view = new Mat(photo, rect)) {
                byte[] part = new byte[3 * 300 * 200];
                float[] q = new float[300 * 200];
                for (int y = 0; y < 200; y++) {
                    System.arraycopy(bgr, 3 * ((50 + y) * width + 100), part, 3 * 300 * y, 3 * 300);
                    System.arraycopy(p, (50 + y) * width + 100, q, 300 * y, 300);
                }
                assertArrayEquals(MapImages.bgrPng(MapImages.overlayBgr(part, q, 300, 200), 300, 200),
                        MapImages.overlayPng(view, q));
            }
            assertThrows(IllegalArgumentException.class, () -> MapImages.overlayPng(photo, new float[n - 1]));
        }
    }
}
