package ai.diffiml.data;

import ai.diffiml.backend.Device;

/**
 * Deterministic random access to the batches of a dataset: batch {@code index} of {@code epoch} depends on the
 * seed, the epoch and the index alone (never on thread timing), so a resumed run sees exactly the batches an
 * uninterrupted one would. Implementations may prefetch in the background.
 */
public interface BatchSource extends AutoCloseable {
    /** Number of batches per epoch. */
    int batchesPerEpoch();

    /** Number of samples per epoch (the last batch may be smaller than the batch size, or dropped). */
    int samplesPerEpoch();

    /** The batch at (epoch, index), its tensors on {@code device}. */
    Batch batch(int epoch, int index, Device device);

    @Override
    default void close() {}
}
