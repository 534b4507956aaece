package ai.diffiml.train;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.tensor.Scope;

/** The share of tampered pixels in training data, from which the segmentation losses weigh tampered pixels. */
public final class PixelShare {
    /** Batches of epoch 0 counted at most (the loader is seeded: the same batches every time). */
    static final int BATCHES = 25;

    private PixelShare() {}

    /** The mean of the masks over the first {@value #BATCHES} batches of epoch 0 (authentic images included). */
    public static double of(BatchSource train, Device device) {
        double sum = 0;
        long n = 0;
        int batches = Math.min(BATCHES, train.batchesPerEpoch());
        for (int i = 0; i < batches; i++) {
            try (Scope scope = Scope.open(); Batch b = train.batch(0, i, device)) {
                for (float v : b.masks().toArray()) {
                    sum += v;
                }
                n += b.masks().numel();
            }
        }
        return n == 0 ? 0 : sum / n;
    }
}
