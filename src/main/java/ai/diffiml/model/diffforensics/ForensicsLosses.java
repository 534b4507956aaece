package ai.diffiml.model.diffforensics;

import ai.diffiml.model.DiceLoss;
import ai.diffiml.model.SegmentationLoss;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Reduce;
import ai.diffiml.tensor.Tensor;

/** DiffForensics' loss terms, composed from the native ops on the tape. */
public final class ForensicsLosses {
    /** Added to numerator and denominator of the Dice ratio (so an empty target with an empty map scores 0). */
    public static final float SMOOTH = 1f;

    private ForensicsLosses() {}

    /**
     * Class-weighted BCE of logits against a {0,1} target of the same shape, averaged over all elements:
     * {@code -mean(wp y log s(x) + wn (1 - y) log s(-x))}.
     */
    public static Tensor weightedBce(Tensor logits, Tensor target01, float positiveWeight, float negativeWeight) {
        if (!(positiveWeight > 0) || !(negativeWeight > 0)) {
            throw new IllegalArgumentException("weighted BCE: weights must be > 0, got " + positiveWeight + " / "
                    + negativeWeight);
        }
        return Arithmetic.scale(SegmentationLoss.weightedBce(logits, target01, positiveWeight / negativeWeight),
                negativeWeight);
    }

    /**
     * The paper's Dice on probabilities f [B, ...] against a {0,1} target y, per image, averaged over the batch:
     * {@code 1 - mean_b (2 sum(f y) + s) / (sum(f^2) + sum(y^2) + s)} with smoothing s = {@value #SMOOTH}.
     */
    public static Tensor squaredDice(Tensor probability, Tensor target01) {
        int b = probability.dim(0);
        int n = Math.toIntExact(probability.numel() / b);
        Tensor f = Layout.reshape(probability, b, n);
        Tensor y = Layout.reshape(target01, b, n);
        Tensor smooth = Tensor.full(probability.device(), SMOOTH, 1);
        Tensor num = Arithmetic.addLeading(Arithmetic.scale(Reduce.sum(Arithmetic.mul(f, y), 1), 2f), smooth, 0);
        Tensor den = Arithmetic.addLeading(Arithmetic.add(Reduce.sum(Arithmetic.mul(f, f), 1),
                Reduce.sum(Arithmetic.mul(y, y), 1)), smooth, 0);
        Tensor ratio = DiceLoss.divide(num, den);
        return Arithmetic.addLeading(Arithmetic.scale(Reduce.mean(ratio), -1f), smooth, 0);
    }

    /**
     * Detection BCE weights from the share of forged images in the training data, by the paper's rule
     * {@code floor(10 x share) / 10}: each class weighs the other class's share (so the rarer class weighs more;
     * the paper's 0.7 / 0.3), at least 0.1. Returns {forged weight, real weight}.
     */
    public static float[] imageWeights(double forgedShare) {
        if (!(forgedShare >= 0 && forgedShare <= 1)) {
            throw new IllegalArgumentException("forged-image share must be in [0, 1], got " + forgedShare);
        }
        return new float[] {tenth(1 - forgedShare), tenth(forgedShare)};
    }

    private static float tenth(double share) {
        return (float) Math.max(0.1, Math.floor(10 * share + 1e-9) / 10);
    }
}
