package ai.diffiml.eval;

import java.util.Arrays;

/**
 * Area under the ROC curve: the probability that a randomly drawn positive scores higher than a randomly drawn
 * negative, computed exactly from the Mann-Whitney U statistic. <b>Ties count half</b>: a positive and a negative
 * with the same score add 1/2, which equals the trapezoidal area over the distinct thresholds (scikit-learn's
 * {@code roc_auc_score}). IMDL-BenCo's pixel AUC instead integrates over every pixel in {@code argsort} order, so
 * among tied scores the order the sort happens to leave decides; maps with many equal values (saturated 0 or 1,
 * quantised probabilities) can score differently there, while this value does not depend on pixel order.
 * The AUC is undefined (NaN) when there is no positive or no negative.
 */
public final class RocAuc {
    private RocAuc() {}

    /** The AUC of {@code positives} against {@code negatives}; both arrays are sorted in place. */
    public static double of(double[] positives, double[] negatives) {
        if (positives.length == 0 || negatives.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(positives);
        Arrays.sort(negatives);
        double u = 0; // sum over positives of (negatives below it + half of those equal to it)
        int below = 0; // negatives strictly below the current positive value
        int i = 0;
        while (i < positives.length) {
            double v = positives[i];
            int run = i;
            while (run < positives.length && Double.compare(positives[run], v) == 0) {
                run++;
            }
            while (below < negatives.length && negatives[below] < v) {
                below++;
            }
            int equalEnd = below;
            while (equalEnd < negatives.length && Double.compare(negatives[equalEnd], v) == 0) {
                equalEnd++;
            }
            u += (double) (run - i) * (below + 0.5 * (equalEnd - below));
            i = run;
        }
        return u / ((double) positives.length * negatives.length);
    }

    /** The AUC of {@code scores}, where {@code positive[i]} says whether item i is a positive. */
    public static double of(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) {
            throw new IllegalArgumentException("AUC: " + scores.length + " scores but " + positive.length + " labels");
        }
        int p = 0;
        for (boolean b : positive) {
            p += b ? 1 : 0;
        }
        double[] pos = new double[p], neg = new double[scores.length - p];
        for (int i = 0, a = 0, b = 0; i < scores.length; i++) {
            if (positive[i]) {
                pos[a++] = scores[i];
            } else {
                neg[b++] = scores[i];
            }
        }
        return of(pos, neg);
    }

    /**
     * Pixel AUC of one image: {@code probability} ranks its pixels, a pixel is positive when its {@code truth} value
     * is above {@value PixelF1#THRESHOLD}. NaN when the truth is all 0 or all 1 (an authentic image, or a fully
     * tampered one).
     */
    public static double pixels(float[] probability, float[] truth) {
        if (probability.length != truth.length) {
            throw new IllegalArgumentException("pixel AUC: " + probability.length + " predicted pixels but "
                    + truth.length + " ground-truth pixels");
        }
        int p = 0;
        for (float t : truth) {
            p += t > PixelF1.THRESHOLD ? 1 : 0;
        }
        double[] pos = new double[p], neg = new double[truth.length - p];
        for (int i = 0, a = 0, b = 0; i < truth.length; i++) {
            if (truth[i] > PixelF1.THRESHOLD) {
                pos[a++] = probability[i];
            } else {
                neg[b++] = probability[i];
            }
        }
        return of(pos, neg);
    }
}
