package ai.diffiml.eval;

import ai.diffiml.tensor.Tensor;
import java.util.Locale;

/**
 * Pixel-level localisation scores as the MVSS protocol computes them in IMDL-BenCo (method.md section 7): per image,
 * a pixel is predicted tampered when its probability is strictly greater than {@value #THRESHOLD}, and is tampered
 * in truth when its ground-truth value is greater than {@value #THRESHOLD} (ground truth is binary, {0, 1}); from
 * that image's true/false positives and false negatives come precision P = TP / (TP + FP), recall R = TP / (TP + FN),
 * F1 = 2PR / (P + R) and IoU = TP / (TP + FP + FN). A ratio whose denominator is zero counts as 0 (BenCo adds 1e-8
 * to every denominator, which gives the same 0), so an empty prediction scores F1 0 on a tampered image. The dataset
 * score is the mean of the per-image scores over <b>tampered images only</b>: authentic images have no pixel F1
 * and are only counted.
 */
public final class PixelF1 {
    /** Probability above which (strictly) a pixel is predicted tampered. */
    public static final float THRESHOLD = 0.5f;

    private PixelF1() {}

    /** Confusion counts of one image. */
    public record Counts(long tp, long fp, long fn, long tn) {
        /** TP / (TP + FP), 0 when nothing is predicted tampered. */
        public double precision() {
            return ratio(tp, tp + fp);
        }

        /** TP / (TP + FN), 0 when nothing is tampered in truth. */
        public double recall() {
            return ratio(tp, tp + fn);
        }

        /** 2PR / (P + R), 0 when P + R is 0. */
        public double f1() {
            double p = precision(), r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }

        /** TP / (TP + FP + FN), 0 when the denominator is 0. */
        public double iou() {
            return ratio(tp, tp + fp + fn);
        }

        private static double ratio(long num, long den) {
            return den == 0 ? 0 : (double) num / den;
        }
    }

    /**
     * The counts of one image: {@code probability} and {@code truth} hold its pixels (same length), from
     * {@code offset} on, {@code length} of them.
     */
    public static Counts count(float[] probability, float[] truth, int offset, int length) {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = offset; i < offset + length; i++) {
            boolean predicted = probability[i] > THRESHOLD;
            boolean tampered = truth[i] > THRESHOLD;
            if (predicted && tampered) {
                tp++;
            } else if (predicted) {
                fp++;
            } else if (tampered) {
                fn++;
            } else {
                tn++;
            }
        }
        return new Counts(tp, fp, fn, tn);
    }

    /** The counts of one image given as two arrays of its pixels. */
    public static Counts count(float[] probability, float[] truth) {
        if (probability.length != truth.length) {
            throw new IllegalArgumentException("pixel F1: " + probability.length + " predicted pixels but "
                    + truth.length + " ground-truth pixels");
        }
        return count(probability, truth, 0, probability.length);
    }

    /** Dataset scores: means over the tampered images; NaN when there were none. */
    public record Summary(int tamperedImages, int authenticImages, double f1, double precision, double recall,
            double iou) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "pixel F1 %.4f (P %.4f, R %.4f, IoU %.4f) over %d tampered images"
                    + " (%d authentic images not scored)", f1, precision, recall, iou, tamperedImages, authenticImages);
        }
    }

    /** Accumulates per-image scores image by image or batch by batch. */
    public static final class Accumulator {
        private int tampered;
        private int authentic;
        private double f1, precision, recall, iou;

        /** Adds one image: scored when {@code isTampered}, only counted otherwise. */
        public Accumulator add(Counts c, boolean isTampered) {
            if (!isTampered) {
                authentic++;
                return this;
            }
            tampered++;
            f1 += c.f1();
            precision += c.precision();
            recall += c.recall();
            iou += c.iou();
            return this;
        }

        /**
         * Adds a batch: {@code probability} and {@code truth} are [B, 1, H, W] (any device), {@code tampered}
         * says which of the B images are tampered.
         */
        public Accumulator add(Tensor probability, Tensor truth, boolean[] tampered) {
            if (!java.util.Arrays.equals(probability.shape(), truth.shape()) || probability.rank() != 4
                    || probability.dim(1) != 1 || probability.dim(0) != tampered.length) {
                throw new IllegalArgumentException("pixel F1: expected probability and truth [B, 1, H, W] with B = "
                        + tampered.length + ", got " + probability.describe() + " and " + truth.describe());
            }
            float[] p = probability.toArray(), t = truth.toArray();
            int pixels = probability.dim(2) * probability.dim(3);
            for (int b = 0; b < tampered.length; b++) {
                add(tampered[b] ? count(p, t, b * pixels, pixels) : null, tampered[b]);
            }
            return this;
        }

        public Summary summary() {
            double n = tampered == 0 ? Double.NaN : tampered;
            return new Summary(tampered, authentic, f1 / n, precision / n, recall / n, iou / n);
        }
    }
}
