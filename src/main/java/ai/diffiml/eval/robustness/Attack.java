package ai.diffiml.eval.robustness;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import ai.diffiml.data.Augmentation;
import ai.diffiml.data.OpenCv;
import ai.diffiml.data.Seeds;
import java.util.SplittableRandom;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One distortion at one strength, applied to the input image only (the ground truth stays as it is). Noise is drawn
 * from a seed, so the same seed gives the same distorted image.
 */
public record Attack(AttackKind kind, int strength) {
    public Attack {
        String problem = kind.check(strength);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** {@code kind:strength}, e.g. {@code jpeg:70}. */
    public String label() {
        return kind.label() + ":" + strength;
    }

    /** The distorted copy of {@code bgr} (8-bit, 3 channels; not modified), a new Mat the caller closes. */
    public Mat apply(Mat bgr, long seed) {
        if (bgr.type() != CV_8UC3) {
            throw new IllegalArgumentException("attacks need 8-bit 3-channel images, got type " + bgr.type());
        }
        OpenCv.load();
        return switch (kind) {
            case JPEG -> Augmentation.jpeg(bgr, strength);
            case BLUR -> Augmentation.gaussianBlur(bgr, strength);
            case NOISE -> noise(bgr, Math.sqrt(strength), seed);
        };
    }

    private static Mat noise(Mat bgr, double sigma, long seed) {
        int n = bgr.rows() * bgr.cols() * 3;
        byte[] data = new byte[n];
        try (Mat src = bgr.isContinuous() ? null : bgr.clone()) {
            (src == null ? bgr : src).data().get(data);
        }
        SplittableRandom rng = Seeds.random(seed, 0x4E4F4953L); // "NOIS"
        for (int i = 0; i < n; i += 2) { // Box-Muller: two normals per pair of uniforms
            double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
            double r = sigma * Math.sqrt(-2 * Math.log(u1));
            data[i] = add(data[i], r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                data[i + 1] = add(data[i + 1], r * Math.sin(2 * Math.PI * u2));
            }
        }
        Mat out = new Mat(bgr.rows(), bgr.cols(), CV_8UC3);
        out.data().put(data);
        return out;
    }

    private static byte add(byte v, double noise) {
        long x = Math.round((v & 0xFF) + noise);
        return (byte) Math.max(0, Math.min(255, x));
    }
}
