package ai.diffiml.localize;

import ai.diffiml.backend.Device;
import ai.diffiml.nn.Module;

/**
 * The model behind a {@link Localizer}, seen as a function from normalised pixels to probability maps. Runs on
 * the localizer's model threads only; each call opens and closes its own tensor scope, and the model's weights are
 * only read, so calls may overlap (see {@link Localizer} on when they do). Owns the model: closing the network
 * frees it.
 */
abstract class Network implements AutoCloseable {
    private final Module model;
    private final Device device;
    private final int resolution;

    Network(Module model, Device device, int resolution) {
        this.model = model;
        this.device = device;
        this.resolution = resolution;
        model.train(false);
    }

    /** The square input side R. */
    final int resolution() {
        return resolution;
    }

    final Device device() {
        return device;
    }

    /** One line naming the model ("DiffIML MiT-b0, 64 px", ...). */
    abstract String description();

    /** Whether the model has a detection head, whose scores {@link Output#detection()} carries. */
    boolean hasDetectionHead() {
        return false;
    }

    /** Whether the model has ensemble members whose spread is the uncertainty. */
    abstract boolean hasEnsemble();

    /**
     * Maps of {@code batch} images, {@code pixels} holding their ImageNet-normalised RGB planes ([batch, 3, R, R]).
     * Member maps are returned only when {@code memberMaps} is set and the model has them.
     */
    abstract Output run(float[] pixels, int batch, boolean memberMaps);

    @Override
    public final void close() {
        model.close();
    }

    /**
     * What a call returns, on the host.
     *
     * @param probability [batch, R, R]
     * @param members [members, batch, R, R] (member-major), or null
     * @param memberCount members per image in {@code members} (0 when null)
     * @param detection [batch] image-level scores of a detection head, or null when the model has none
     */
    record Output(float[] probability, float[] members, int memberCount, long encoderNs, long samplingNs,
            long decodeNs, float[] detection) {
        /** An output without detection scores. */
        Output(float[] probability, float[] members, int memberCount, long encoderNs, long samplingNs,
                long decodeNs) {
            this(probability, members, memberCount, encoderNs, samplingNs, decodeNs, null);
        }
    }
}
