package ai.diffiml.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.testing.Rand;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ROC AUC against hand-computed cases, a brute-force pair count, and the argsort-trapezoid form IMDL-BenCo uses. */
class RocAucTest {
    private static final double TOL = 1e-12;

    @Test
    void handComputedCasesWithTiesCountingHalf() {
        assertEquals(1.0, RocAuc.of(new double[] {0.9, 0.8}, new double[] {0.1, 0.7}), TOL);
        assertEquals(0.0, RocAuc.of(new double[] {0.1, 0.2}, new double[] {0.3, 0.7}), TOL);
        assertEquals(0.5, RocAuc.of(new double[] {0.4, 0.4}, new double[] {0.4, 0.4, 0.4}), TOL);
        // pairs: 0.8>0.5, 0.8>0.2, 0.5=0.5 (half), 0.5>0.2: 3.5 of 4
        assertEquals(0.875, RocAuc.of(new double[] {0.8, 0.5}, new double[] {0.5, 0.2}), TOL);
        // labels form: same pairs
        assertEquals(0.875, RocAuc.of(new double[] {0.2, 0.8, 0.5, 0.5}, new boolean[] {false, true, true, false}),
                TOL);
    }

    @Test
    void undefinedWithoutBothClasses() {
        assertTrue(Double.isNaN(RocAuc.of(new double[] {0.3}, new double[0])));
        assertTrue(Double.isNaN(RocAuc.pixels(new float[] {0.2f, 0.9f}, new float[] {0, 0})));
        assertTrue(Double.isNaN(RocAuc.pixels(new float[] {0.2f, 0.9f}, new float[] {1, 1})));
        assertThrows(IllegalArgumentException.class, () -> RocAuc.pixels(new float[2], new float[3]));
    }

    @Test
    void agreesWithBruteForcePairCountOnQuantisedMaps() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 20; trial++) {
            int n = 50 + r.nextInt(300);
            float[] p = new float[n], t = new float[n];
            for (int i = 0; i < n; i++) {
                t[i] = r.nextInt(4) == 0 ? 1 : 0;
                // levels of 1/8 make many ties; tampered pixels lean higher
                p[i] = Math.min(8, r.nextInt(8) + (t[i] > 0 ? r.nextInt(3) : 0)) / 8f;
            }
            assertEquals(bruteForce(p, t), RocAuc.pixels(p, t), 1e-12, "trial " + trial);
        }
    }

    @Test
    void agreesWithBencosArgsortTrapezoidWhenScoresAreDistinct() {
        Rand rand = new Rand(9);
        for (int trial = 0; trial < 10; trial++) {
            float[] p = rand.uniform(400, 0, 1); // continuous: no ties
            float[] t = new float[p.length];
            float[] coin = rand.uniform(p.length, 0, 1);
            for (int i = 0; i < p.length; i++) {
                t[i] = coin[i] < 0.3f + 0.4f * p[i] ? 1 : 0;
            }
            assertEquals(bencoTrapezoid(p, t), RocAuc.pixels(p, t), 1e-9, "trial " + trial);
        }
    }

    /** Pairs (positive, negative) ordered right, ties half. */
    private static double bruteForce(float[] p, float[] t) {
        double u = 0;
        long pairs = 0;
        for (int i = 0; i < p.length; i++) {
            for (int j = 0; j < p.length; j++) {
                if (t[i] > 0.5 && t[j] <= 0.5) {
                    u += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
                    pairs++;
                }
            }
        }
        return u / pairs;
    }

    /**
     * A re-statement of IMDL-BenCo's pixel AUC: pixels sorted by descending score, cumulative TP and FP counts as TPR
     * and FPR after every pixel, trapezoidal area under (FPR, TPR) starting from the first pixel.
     */
    private static double bencoTrapezoid(float[] p, float[] t) {
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
        double nPos = 0;
        for (float v : t) {
            nPos += v;
        }
        double nNeg = p.length - nPos, tps = 0, fps = 0, prevTpr = 0, prevFpr = 0, area = 0;
        boolean first = true;
        for (int i : order) {
            tps += t[i];
            fps += 1 - t[i];
            double tpr = tps / nPos, fpr = fps / nNeg;
            if (!first) {
                area += (fpr - prevFpr) * (tpr + prevTpr) / 2;
            }
            first = false;
            prevTpr = tpr;
            prevFpr = fpr;
        }
        return area;
    }
}
