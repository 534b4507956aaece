package ai.diffiml.eval;

import ai.diffiml.data.Sample;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A tiny IMDL-BenCo dataset written by tests, and a predictor that reads tampering off the pixels: images are grey
 * (90) with a bright (170) rectangle where they were "tampered", so {@link BrightnessPredictor} (probability = the
 * pixel's channel mean / 255) finds exactly the bright pixels. The masks cover the bright rectangle plus {@code k}
 * extra columns, so a tampered image's pixel F1 is 32 / (32 + k) in both scoring modes (16 x 16 rectangles at even
 * positions survive the 2x shrink to the 32 px model grid exactly).
 */
public final class EvalFixtures {
    /** Grey of the background and brightness of the tampered rectangle. */
    static final int GREY = 90, BRIGHT = 170;
    /** Extra mask columns of the tampered images Tp/t0..t4, so their F1s are 32/(32+k). */
    static final int[] EXTRA = {0, 2, 8, 4, 16};

    private EvalFixtures() {}

    /**
     * Writes a BenCo folder into {@code dir}: Tp/t0..t4 (64x64 PNGs) with masks Gt/t0..t4 (the mask of t3 is 32x32,
     * half-size: a size mismatch), Tp/t5.png corrupt (with a valid mask), Au/a0 plain grey and Au/a1 grey with a
     * bright spot (a false alarm).
     */
    public static Path writeDataset(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("Tp"));
        Files.createDirectories(dir.resolve("Gt"));
        Files.createDirectories(dir.resolve("Au"));
        for (int i = 0; i < EXTRA.length; i++) {
            int x = 8 + 4 * i, y = 8 + 2 * i;
            BufferedImage image = grey(64, 64);
            fill(image, x, y, 16, 16, BRIGHT);
            ImageIO.write(image, "png", dir.resolve("Tp/t" + i + ".png").toFile());
            BufferedImage mask = new BufferedImage(64, 64, BufferedImage.TYPE_3BYTE_BGR);
            fill(mask, x, y, 16 + EXTRA[i], 16, 255);
            if (i == 3) {
                BufferedImage half = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
                fill(half, x / 2, y / 2, (16 + EXTRA[i]) / 2, 8, 255);
                mask = half;
            }
            ImageIO.write(mask, "png", dir.resolve("Gt/t" + i + "_gt.png").toFile());
        }
        Files.write(dir.resolve("Tp/t5.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY), "png",
                dir.resolve("Gt/t5_gt.png").toFile());
        ImageIO.write(grey(48, 64), "png", dir.resolve("Au/a0.png").toFile());
        BufferedImage spot = grey(64, 48);
        fill(spot, 30, 20, 4, 4, BRIGHT);
        ImageIO.write(spot, "png", dir.resolve("Au/a1.png").toFile());
        return dir;
    }

    private static BufferedImage grey(int w, int h) {
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        fill(b, 0, 0, w, h, GREY);
        return b;
    }

    private static void fill(BufferedImage b, int x, int y, int w, int h, int v) {
        Graphics2D g = b.createGraphics();
        g.setColor(new Color(v, v, v));
        g.fillRect(x, y, w, h);
        g.dispose();
    }

    /** Pixel F1 of Tp/t{i} in the fixture. */
    static double expectedF1(int i) {
        return 32.0 / (32 + EXTRA[i]);
    }

    /**
     * Probability = channel mean / 255 at the image's own size; score = its maximum; uncertainty a constant 0.1 at
     * 8x8 (or none). Counts its calls; fails on request for images of a given width.
     */
    public static final class BrightnessPredictor implements MapPredictor {
        private final int resolution;
        private final boolean uncertainty;
        int calls;
        int failWidth = -1;
        /** Whether to give the model-resolution map too (the image-size map shrunk by area). */
        boolean modelMap;

        public BrightnessPredictor(int resolution, boolean uncertainty) {
            this.resolution = resolution;
            this.uncertainty = uncertainty;
        }

        @Override
        public int resolution() {
            return resolution;
        }

        @Override
        public Prediction predict(Mat bgr) {
            calls++;
            if (bgr.cols() == failWidth) {
                throw new IllegalStateException("simulated failure");
            }
            int w = bgr.cols(), h = bgr.rows();
            byte[] pixels = new byte[w * h * 3];
            bgr.data().get(pixels);
            float[] p = new float[w * h];
            float max = 0;
            for (int i = 0; i < p.length; i++) {
                float v = ((pixels[3 * i] & 0xFF) + (pixels[3 * i + 1] & 0xFF) + (pixels[3 * i + 2] & 0xFF)) / 3f / 255f;
                p[i] = v;
                max = Math.max(max, v);
            }
            FloatMap u = null;
            if (uncertainty) {
                float[] c = new float[64];
                java.util.Arrays.fill(c, 0.1f);
                u = new FloatMap(8, 8, c);
            }
            return new Prediction(new FloatMap(w, h, p), modelMap ? new FloatMap(w, h, p).resized(resolution, resolution) : null,
                    u, max);
        }
    }

    /** The samples of {@code dir} as the BenCo reader lists them. */
    static List<Sample> samples(Path dir) throws Exception {
        return new ArrayList<>(ai.diffiml.data.DatasetReaders.open(dir).samples());
    }
}
