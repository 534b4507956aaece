package ai.diffiml.testing;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic synthetic training data for trainer tests: sample k is random noise in which, for a tampered sample,
 * a random rectangle is filled with noise of another mean and spread (the "spliced" region); its mask is the
 * rectangle and its edge map a band of {@code band} pixels on both sides of the rectangle's border. Authentic
 * samples (every {@code authenticEvery}-th, when &gt; 0) have no rectangle and all-zero maps. The sample order of an
 * epoch is a shuffle seeded by (seed, epoch); the last partial batch is dropped. Everything depends on the seed, the
 * epoch and the index alone, as {@link BatchSource} requires.
 */
public final class RectangleBatches implements BatchSource {
    private final int samples, batchSize, resolution, authenticEvery, band;
    private final long seed;
    private int batchesServed;

    public RectangleBatches(int samples, int batchSize, int resolution, long seed, int authenticEvery) {
        this.samples = samples;
        this.batchSize = batchSize;
        this.resolution = resolution;
        this.seed = seed;
        this.authenticEvery = authenticEvery;
        this.band = Math.max(1, resolution / 32);
    }

    @Override
    public int batchesPerEpoch() {
        return samples / batchSize;
    }

    @Override
    public int samplesPerEpoch() {
        return batchesPerEpoch() * batchSize;
    }

    /** How many batches have been handed out (to check that a resumed run asks for the rest only). */
    public int batchesServed() {
        return batchesServed;
    }

    @Override
    public Batch batch(int epoch, int index, Device device) {
        if (index < 0 || index >= batchesPerEpoch()) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch());
        }
        batchesServed++;
        int[] order = order(samples, seed, epoch);
        int r = resolution, px = r * r;
        float[] images = new float[batchSize * 3 * px], masks = new float[batchSize * px],
                edges = new float[batchSize * px];
        List<String> ids = new ArrayList<>();
        boolean[] tampered = new boolean[batchSize];
        for (int j = 0; j < batchSize; j++) {
            int k = order[index * batchSize + j];
            ids.add("sample-" + k);
            tampered[j] = authenticEvery <= 0 || k % authenticEvery != 0;
            fill(k, tampered[j], images, j * 3 * px, masks, edges, j * px);
        }
        return new Batch(Tensor.of(device, images, batchSize, 3, r, r), Tensor.of(device, masks, batchSize, 1, r, r),
                Tensor.of(device, edges, batchSize, 1, r, r), ids, tampered);
    }

    /**
     * The sample order of an epoch: a Fisher-Yates shuffle of 0..samples-1 seeded by (seed, epoch), shared by the
     * synthetic batch sources of the tests.
     */
    static int[] order(int samples, long seed, int epoch) {
        int[] o = new int[samples];
        for (int i = 0; i < samples; i++) {
            o[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = samples - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    private void fill(int k, boolean isTampered, float[] images, int imageOffset, float[] masks, float[] edges,
            int mapOffset) {
        int r = resolution;
        SplittableRandom rnd = new SplittableRandom(seed * 7_919L + k);
        int y0 = rnd.nextInt(r / 8, r / 2), x0 = rnd.nextInt(r / 8, r / 2);
        int y1 = y0 + rnd.nextInt(r / 4, r / 2), x1 = x0 + rnd.nextInt(r / 4, r / 2);
        for (int y = 0; y < r; y++) {
            for (int x = 0; x < r; x++) {
                boolean inside = isTampered && y >= y0 && y < y1 && x >= x0 && x < x1;
                int dist = Math.min(Math.min(Math.abs(y - y0), Math.abs(y - (y1 - 1))),
                        Math.min(Math.abs(x - x0), Math.abs(x - (x1 - 1))));
                boolean nearBox = y >= y0 - band && y < y1 + band && x >= x0 - band && x < x1 + band;
                masks[mapOffset + y * r + x] = inside ? 1 : 0;
                edges[mapOffset + y * r + x] = isTampered && nearBox && dist <= band ? 1 : 0;
                for (int c = 0; c < 3; c++) {
                    double noise = rnd.nextDouble() * 2 - 1;
                    images[imageOffset + c * r * r + y * r + x] = (float) (inside ? 0.8 + 0.2 * noise : 0.6 * noise);
                }
            }
        }
    }
}
