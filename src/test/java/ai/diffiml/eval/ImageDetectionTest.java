package ai.diffiml.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Image-level scores worked out by hand. */
class ImageDetectionTest {
    private static final double TOL = 1e-12;

    @Test
    void countsAndScoresByHand() {
        // tampered 0.9 (TP), 0.6 (TP), 0.4 (FN); authentic 0.7 (FP), 0.2 (TN), 0.5 (TN: strict), 0.1 (TN)
        ImageDetection.Summary s = new ImageDetection.Accumulator().add(0.9, true).add(0.6, true).add(0.4, true)
                .add(0.7, false).add(0.2, false).add(0.5, false).add(0.1, false).summary();
        assertEquals(7, s.images());
        assertEquals(3, s.tampered());
        assertEquals(4, s.authentic());
        assertEquals(2, s.tp());
        assertEquals(1, s.fp());
        assertEquals(1, s.fn());
        assertEquals(3, s.tn());
        assertEquals(5.0 / 7, s.accuracy(), TOL);
        assertEquals(2.0 / 3, s.precision(), TOL);
        assertEquals(2.0 / 3, s.sensitivity(), TOL);
        assertEquals(3.0 / 4, s.specificity(), TOL);
        assertEquals(2.0 / 3, s.f1(), TOL); // 2TP / (2TP + FP + FN) = 4 / 6
        assertEquals(12.0 / 17, s.mvssImageF1(), TOL); // 2 (2/3)(3/4) / (2/3 + 3/4)
        // positives beat 4 + 3 + 2 of the 4 negatives each: 9 / 12
        assertEquals(0.75, s.auc(), TOL);
        assertTrue(s.toString().contains("MVSS-Net image F1 0.7059"), s::toString);
    }

    @Test
    void undefinedScoresAreNaN() {
        ImageDetection.Summary onlyTampered = new ImageDetection.Accumulator().add(0.9, true).add(0.2, true)
                .summary();
        assertTrue(Double.isNaN(onlyTampered.auc()));
        assertTrue(Double.isNaN(onlyTampered.specificity()));
        assertTrue(Double.isNaN(onlyTampered.mvssImageF1()));
        assertEquals(0.5, onlyTampered.sensitivity(), TOL);
        assertEquals(2.0 / 3, onlyTampered.f1(), TOL);
        ImageDetection.Summary onlyAuthentic = new ImageDetection.Accumulator().add(0.9, false).add(0.2, false)
                .summary();
        assertTrue(Double.isNaN(onlyAuthentic.f1()));
        assertTrue(Double.isNaN(onlyAuthentic.sensitivity()));
        assertEquals(0.5, onlyAuthentic.specificity(), TOL);
        assertEquals(0, onlyAuthentic.precision(), TOL);
        ImageDetection.Summary allWrong = new ImageDetection.Accumulator().add(0.1, true).add(0.9, false).summary();
        assertEquals(0, allWrong.mvssImageF1(), TOL);
        assertEquals(0, allWrong.auc(), TOL);
        assertThrows(IllegalArgumentException.class, () -> new ImageDetection.Accumulator().add(Double.NaN, true));
    }

    @Test
    void manyImagesGrowTheBuffers() {
        ImageDetection.Accumulator acc = new ImageDetection.Accumulator();
        for (int i = 0; i < 1000; i++) {
            acc.add(i % 2 == 0 ? 0.75 : 0.25, i % 2 == 0);
        }
        ImageDetection.Summary s = acc.summary();
        assertEquals(1000, s.images());
        assertEquals(1, s.accuracy(), TOL);
        assertEquals(1, s.auc(), TOL);
    }
}
