package ai.diffiml.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.Preprocess;
import ai.diffiml.data.Sample;
import ai.diffiml.testing.SharedData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The engine on real dataset files (CASIAv2 TIFF and JPEG images, 1-band and grey-level masks, MVSS-Net list) with
 * an oracle that answers each image with its own binarised mask: pixel F1 must be exactly 1 in "original" scoring,
 * and close to 1 in "resize" scoring, where the oracle's map is shrunk by area and the mask by nearest neighbour.
 */
class RealSamplesEvalTest {
    /** Answers an image with the mask of the sample whose pixels it has. */
    private static final class Oracle implements MapPredictor {
        private final Map<Integer, float[]> masks = new HashMap<>();

        Oracle(List<Sample> samples) throws Exception {
            for (Sample s : samples) {
                try (Mat image = ImageFiles.readImage(s.image()); Mat mask = ImageFiles.readMask(s.mask())) {
                    float[] m = new float[mask.rows() * mask.cols()];
                    Preprocess.maskToFloats(mask, m, 0);
                    masks.put(key(image), m);
                }
            }
        }

        private static int key(Mat bgr) {
            byte[] pixels = new byte[bgr.rows() * bgr.cols() * 3];
            bgr.data().get(pixels);
            return Arrays.hashCode(pixels);
        }

        @Override
        public int resolution() {
            return 512;
        }

        @Override
        public Prediction predict(Mat bgr) {
            float[] m = masks.get(key(bgr));
            return new Prediction(new FloatMap(bgr.cols(), bgr.rows(), m), null, null, 1.0);
        }
    }

    @Test
    void anOracleScoresOneOnTheOriginalGridAndNearlyOneOnTheResizedGrid() throws Exception {
        Path dir = SharedData.realSamplesDir();
        Assumptions.assumeTrue(dir != null, "no ../shared/data/real-samples here");
        List<Sample> samples = DatasetReaders.open(dir.resolve("casia2/manifest_mvss.txt")).samples();
        assertEquals(17, samples.size());
        Oracle oracle = new Oracle(samples);
        DatasetResult original = new Evaluator(oracle, ScoringMode.ORIGINAL, 0).evaluate("casia2", samples, null,
                null, null);
        assertEquals(0, original.failures().size(), () -> original.failures().toString());
        assertEquals(17, original.pixel().tamperedImages());
        assertEquals(1.0, original.pixel().f1(), 0.0);
        assertEquals(1.0, original.pixelAuc(), 0.0);
        DatasetResult resized = new Evaluator(oracle, ScoringMode.RESIZE, 0).evaluate("casia2", samples, null,
                null, null);
        double f1 = resized.pixel().f1();
        assertTrue(f1 > 0.95 && f1 < 1.0, "boundary pixels differ between area and nearest resizing: " + f1);
    }
}
