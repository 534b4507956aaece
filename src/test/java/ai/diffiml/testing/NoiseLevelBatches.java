package ai.diffiml.testing;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A tiny honest localisation task: every image is a smooth random texture (a few sinusoids, the same statistics in
 * the region and outside it) plus sensor-like Gaussian noise; in a tampered image an ellipse carries noise of
 * another level ({@code regionSigma} against {@code backgroundSigma} grey levels), so only the noise level tells the
 * region apart: its mean, colour and texture are those of the background. Every {@code authenticEvery}-th sample is
 * authentic. Images are ImageNet-normalised like the loader's. Deterministic per (seed, sample); epochs reshuffle.
 */
public final class NoiseLevelBatches implements BatchSource {
    private static final float[] MEAN = {0.485f, 0.456f, 0.406f}, STD = {0.229f, 0.224f, 0.225f};
    private final int samples, batchSize, resolution, authenticEvery;
    private final double backgroundSigma, regionSigma;
    private final long seed;

    public NoiseLevelBatches(int samples, int batchSize, int resolution, long seed, int authenticEvery,
            double backgroundSigma, double regionSigma) {
        this.samples = samples;
        this.batchSize = batchSize;
        this.resolution = resolution;
        this.seed = seed;
        this.authenticEvery = authenticEvery;
        this.backgroundSigma = backgroundSigma;
        this.regionSigma = regionSigma;
    }

    @Override
    public int batchesPerEpoch() {
        return samples / batchSize;
    }

    @Override
    public int samplesPerEpoch() {
        return batchesPerEpoch() * batchSize;
    }

    @Override
    public Batch batch(int epoch, int index, Device device) {
        int r = resolution, px = r * r;
        int[] order = RectangleBatches.order(samples, seed, epoch);
        float[] images = new float[batchSize * 3 * px], masks = new float[batchSize * px],
                edges = new float[batchSize * px];
        List<String> ids = new ArrayList<>();
        boolean[] tampered = new boolean[batchSize];
        for (int j = 0; j < batchSize; j++) {
            int k = order[index * batchSize + j];
            ids.add("noise-" + seed + "-" + k);
            tampered[j] = authenticEvery <= 0 || k % authenticEvery != 0;
            fill(k, tampered[j], images, j * 3 * px, masks, j * px);
            edgesOf(masks, edges, j * px);
        }
        return new Batch(Tensor.of(device, images, batchSize, 3, r, r), Tensor.of(device, masks, batchSize, 1, r, r),
                Tensor.of(device, edges, batchSize, 1, r, r), ids, tampered);
    }

    private void fill(int k, boolean isTampered, float[] images, int off, float[] masks, int mapOff) {
        int r = resolution;
        SplittableRandom rnd = new SplittableRandom(seed * 7_919L + k);
        double cy = r * (0.3 + 0.4 * rnd.nextDouble()), cx = r * (0.3 + 0.4 * rnd.nextDouble());
        double ry = r * (0.12 + 0.15 * rnd.nextDouble()), rx = r * (0.12 + 0.15 * rnd.nextDouble());
        double[][] waves = new double[4][4]; // frequency y, frequency x, phase, amplitude
        for (double[] w : waves) {
            w[0] = rnd.nextDouble() * 0.3;
            w[1] = rnd.nextDouble() * 0.3;
            w[2] = rnd.nextDouble() * 2 * Math.PI;
            w[3] = 10 + 20 * rnd.nextDouble();
        }
        double base = 90 + 60 * rnd.nextDouble();
        for (int y = 0; y < r; y++) {
            for (int x = 0; x < r; x++) {
                double dy = (y - cy) / ry, dx = (x - cx) / rx;
                boolean inside = isTampered && dy * dy + dx * dx <= 1;
                masks[mapOff + y * r + x] = inside ? 1 : 0;
                double texture = base;
                for (double[] w : waves) {
                    texture += w[3] * Math.sin(w[0] * y + w[1] * x + w[2]);
                }
                double sigma = inside ? regionSigma : backgroundSigma;
                for (int c = 0; c < 3; c++) {
                    double g = texture + sigma * gaussian(rnd);
                    g = Math.max(0, Math.min(255, g));
                    images[off + c * r * r + y * r + x] = (float) ((g / 255 - MEAN[c]) / STD[c]);
                }
            }
        }
    }

    /** Edge map: mask pixels with a 4-neighbour outside the mask, and their outside neighbours. */
    private void edgesOf(float[] masks, float[] edges, int off) {
        int r = resolution;
        for (int y = 0; y < r; y++) {
            for (int x = 0; x < r; x++) {
                float m = masks[off + y * r + x];
                boolean border = false;
                for (int[] d : new int[][] {{0, 1}, {1, 0}, {0, -1}, {-1, 0}}) {
                    int yy = y + d[0], xx = x + d[1];
                    if (yy >= 0 && yy < r && xx >= 0 && xx < r && masks[off + yy * r + xx] != m) {
                        border = true;
                    }
                }
                edges[off + y * r + x] = border ? 1 : 0;
            }
        }
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = 1.0 - rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
