package ai.diffiml.eval;

import java.util.Arrays;
import java.util.Locale;

/**
 * Image-level (detection) scores from one score per image, such as the maximum of its probability map, against
 * whether the image is tampered (method.md section 7). An image is called tampered when its score is strictly above
 * {@value #THRESHOLD}. From the counts over all images of a dataset (TP, FP, FN, TN, tampered images positive):
 * <ul>
 *   <li>AUC over all images ({@link RocAuc}, ties count half);</li>
 *   <li>accuracy (TP + TN) / N;</li>
 *   <li>precision TP / (TP + FP), sensitivity (recall) TP / (TP + FN), and F1 = 2TP / (2TP + FP + FN), the F1 of
 *       IMDL-BenCo's image-level evaluator;</li>
 *   <li>specificity TN / (TN + FP), and <b>MVSS-Net's "image F1"</b>, the harmonic mean of sensitivity and
 *       specificity 2 Se Sp / (Se + Sp): a different quantity under the same name, reported separately and always
 *       labelled as MVSS-Net's.</li>
 * </ul>
 * Undefined values are NaN: AUC, sensitivity, F1 and the MVSS image F1 without tampered images; AUC, specificity and
 * the MVSS image F1 without authentic images. Precision is 0 when no image is called tampered (as in
 * {@link PixelF1}); the MVSS image F1 is 0 when Se + Sp is 0.
 */
public final class ImageDetection {
    /** Score above which (strictly) an image is called tampered. */
    public static final double THRESHOLD = 0.5;

    private ImageDetection() {}

    /** Detection scores of a dataset. */
    public record Summary(int images, int tampered, int authentic, long tp, long fp, long fn, long tn, double auc,
            double accuracy, double precision, double sensitivity, double specificity, double f1,
            double mvssImageF1) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "image AUC %.4f, accuracy %.4f, F1 %.4f (MVSS-Net image F1 %.4f:"
                    + " sensitivity %.4f, specificity %.4f) over %d images", auc, accuracy, f1, mvssImageF1,
                    sensitivity, specificity, images);
        }
    }

    /** Collects (score, tampered) pairs. */
    public static final class Accumulator {
        private double[] scores = new double[64];
        private boolean[] tampered = new boolean[64];
        private int n;

        /** Adds one image's score; scores must not be NaN. */
        public Accumulator add(double score, boolean isTampered) {
            if (Double.isNaN(score)) {
                throw new IllegalArgumentException("image score is NaN");
            }
            if (n == scores.length) {
                scores = Arrays.copyOf(scores, 2 * n);
                tampered = Arrays.copyOf(tampered, 2 * n);
            }
            scores[n] = score;
            tampered[n++] = isTampered;
            return this;
        }

        public Summary summary() {
            long tp = 0, fp = 0, fn = 0, tn = 0;
            for (int i = 0; i < n; i++) {
                boolean called = scores[i] > THRESHOLD;
                if (called && tampered[i]) {
                    tp++;
                } else if (called) {
                    fp++;
                } else if (tampered[i]) {
                    fn++;
                } else {
                    tn++;
                }
            }
            int positives = (int) (tp + fn), negatives = (int) (fp + tn);
            double auc = RocAuc.of(Arrays.copyOf(scores, n), Arrays.copyOf(tampered, n));
            double accuracy = n == 0 ? Double.NaN : (double) (tp + tn) / n;
            double precision = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
            double sensitivity = positives == 0 ? Double.NaN : (double) tp / positives;
            double specificity = negatives == 0 ? Double.NaN : (double) tn / negatives;
            double f1 = positives == 0 ? Double.NaN : 2.0 * tp / (2.0 * tp + fp + fn);
            double mvss = sensitivity + specificity == 0 ? 0
                    : 2 * sensitivity * specificity / (sensitivity + specificity); // NaN stays NaN
            return new Summary(n, positives, negatives, tp, fp, fn, tn, auc, accuracy, precision, sensitivity,
                    specificity, f1, mvss);
        }
    }
}
