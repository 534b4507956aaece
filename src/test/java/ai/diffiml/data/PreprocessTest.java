package ai.diffiml.data;

import static ai.diffiml.data.DataFixtures.bytes;
import static ai.diffiml.data.DataFixtures.mat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** Final resize and ImageNet normalisation. */
class PreprocessTest {
    @Test
    void normalisesRgbPlanesFromBgr() {
        // one pixel B=0, G=128, R=255 and one B=255, G=0, R=51
        try (Mat m = mat(1, 2, CV_8UC3, new byte[] {0, (byte) 128, (byte) 255, (byte) 255, 0, 51})) {
            float[] out = new float[1 + 6];
            Preprocess.normalize(m, out, 1);
            float[] expected = {
                (1f - 0.485f) / 0.229f, (51 / 255f - 0.485f) / 0.229f, // R plane
                (128 / 255f - 0.456f) / 0.224f, (0 - 0.456f) / 0.224f, // G plane
                (0 - 0.406f) / 0.225f, (1f - 0.406f) / 0.225f}; // B plane
            for (int i = 0; i < 6; i++) {
                assertEquals(expected[i], out[1 + i], 1e-6, "value " + i);
            }
            assertEquals(0f, out[0], "offset respected");
        }
    }

    @Test
    void shrinkingAveragesAreasAndMasksStayBinary() {
        byte[] px = new byte[4 * 4 * 3];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                byte v = (byte) ((x / 2 + 2 * (y / 2)) * 40 + (x % 2) * 10 + (y % 2) * 20);
                for (int c = 0; c < 3; c++) {
                    px[(y * 4 + x) * 3 + c] = v;
                }
            }
        }
        try (Mat m = mat(4, 4, CV_8UC3, px); Mat small = Preprocess.resizeImage(m, 2)) {
            byte[] s = bytes(small);
            // each 2x2 block: base + {0, 10, 20, 30} -> base + 15
            assertArrayEquals(new byte[] {15, 15, 15, 55, 55, 55, 95, 95, 95, (byte) 135, (byte) 135, (byte) 135}, s);
        }
        try (Mat mask = DataFixtures.rectMask(30, 50, 7, 3, 33, 21); Mat sized = Preprocess.resizeMask(mask, 64)) {
            assertEquals(CV_8UC1, sized.type());
            for (byte b : bytes(sized)) {
                assertEquals(true, b == 0 || b == 1);
            }
            assertEquals(64, sized.rows());
        }
    }

    @Test
    void maskToFloats() {
        try (Mat mask = mat(1, 3, CV_8UC1, new byte[] {0, 1, 0})) {
            float[] out = new float[5];
            Preprocess.maskToFloats(mask, out, 2);
            assertArrayEquals(new float[] {0, 0, 0, 1, 0}, out);
        }
    }
}
