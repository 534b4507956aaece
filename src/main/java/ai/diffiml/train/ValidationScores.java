package ai.diffiml.train;

import ai.diffiml.eval.PixelF1;
import ai.diffiml.eval.RocAuc;
import ai.diffiml.tensor.Tensor;
import java.util.Locale;

/**
 * What a validation pass measures of probability maps, each a mean over the tampered images: pixel F1 at the
 * protocol's fixed 0.5 ({@link PixelF1}), pixel AUC (threshold-free, so it shows learning before F1 at 0.5 moves),
 * and the F1 at the best of a fixed grid of thresholds (0.05 .. 0.95), labelled as an oracle: it is chosen on the
 * data it scores and is never the protocol's figure.
 */
public final class ValidationScores {
    /** The thresholds of the oracle sweep. */
    static final float[] SWEEP = sweep();

    private final PixelF1.Accumulator atHalf = new PixelF1.Accumulator();
    private final double[] sweepF1 = new double[SWEEP.length];
    private double aucSum;
    private int aucCount;
    private int tampered;

    /** The scores of one pass. */
    public record Summary(PixelF1.Summary atHalf, double auc, double oracleF1, float oracleThreshold) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s; pixel AUC %.4f; oracle-threshold F1 %.4f (at %.2f)", atHalf, auc,
                    oracleF1, oracleThreshold);
        }
    }

    private static float[] sweep() {
        float[] t = new float[19];
        for (int i = 0; i < t.length; i++) {
            t[i] = 0.05f * (i + 1);
        }
        return t;
    }

    /** Adds a batch of maps [B, 1, H, W] against masks of the same shape. */
    public ValidationScores add(Tensor probability, Tensor truth, boolean[] isTampered) {
        atHalf.add(probability, truth, isTampered);
        add(probability.toArray(), truth.toArray(), isTampered);
        return this;
    }

    /** Adds maps given as flat arrays of B images of equal size. */
    public ValidationScores add(float[] p, float[] t, boolean[] isTampered) {
        int pixels = p.length / isTampered.length;
        for (int b = 0; b < isTampered.length; b++) {
            if (!isTampered[b]) {
                continue;
            }
            tampered++;
            float[] pi = java.util.Arrays.copyOfRange(p, b * pixels, (b + 1) * pixels);
            float[] ti = java.util.Arrays.copyOfRange(t, b * pixels, (b + 1) * pixels);
            double auc = RocAuc.pixels(pi, ti);
            if (!Double.isNaN(auc)) {
                aucSum += auc;
                aucCount++;
            }
            for (int k = 0; k < SWEEP.length; k++) {
                long tp = 0, fp = 0, fn = 0;
                for (int i = 0; i < pixels; i++) {
                    boolean pred = pi[i] > SWEEP[k], truth = ti[i] > PixelF1.THRESHOLD;
                    tp += pred && truth ? 1 : 0;
                    fp += pred && !truth ? 1 : 0;
                    fn += !pred && truth ? 1 : 0;
                }
                sweepF1[k] += new PixelF1.Counts(tp, fp, fn, 0).f1();
            }
        }
        return this;
    }

    /** Scores of a map that is the same for every image ({@code map}: H x W values), e.g. a rule that learns nothing. */
    public ValidationScores addConstant(float[] map, Tensor truth, boolean[] isTampered) {
        int b = isTampered.length;
        float[] p = new float[map.length * b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(map, 0, p, i * map.length, map.length);
        }
        float[] t = truth.toArray();
        add(p, t, isTampered);
        for (int i = 0; i < b; i++) {
            atHalf.add(isTampered[i] ? PixelF1.count(p, t, i * map.length, map.length) : null, isTampered[i]);
        }
        return this;
    }

    public Summary summary() {
        int best = 0;
        for (int k = 1; k < SWEEP.length; k++) {
            if (sweepF1[k] > sweepF1[best]) {
                best = k;
            }
        }
        double n = tampered == 0 ? Double.NaN : tampered;
        return new Summary(atHalf.summary(), aucCount == 0 ? Double.NaN : aucSum / aucCount, sweepF1[best] / n,
                SWEEP[best]);
    }

    /** Every pixel called tampered (probability 1): the F1 that marks everything. */
    public static float[] allTampered(int h, int w) {
        float[] m = new float[h * w];
        java.util.Arrays.fill(m, 1f);
        return m;
    }

    /**
     * A centred prior that ignores the image: exp(-r^2 / (2 s^2)) with r the distance from the centre in units of
     * the side and s = 0.25, so the 0.5 threshold keeps a centred disc of radius 0.29 sides (about a quarter of the
     * image: tampered regions are more often near the centre than at the borders).
     */
    public static float[] centredPrior(int h, int w) {
        float[] m = new float[h * w];
        double s = 0.25;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double dy = (y + 0.5) / h - 0.5, dx = (x + 0.5) / w - 0.5;
                m[y * w + x] = (float) Math.exp(-(dx * dx + dy * dy) / (2 * s * s));
            }
        }
        return m;
    }
}
