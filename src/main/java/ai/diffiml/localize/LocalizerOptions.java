package ai.diffiml.localize;

import java.util.Locale;
import java.util.Objects;

/**
 * Settings of a {@link Localizer}; immutable. {@link #defaults()} is the paper's inference (8 DDIM steps, 5
 * ensemble members, no TTA, seed 0, threshold 0.5, the resize protocol) with the uncertainty map on; change fields
 * through {@link #builder()} or {@link #toBuilder()}.
 *
 * @param device backend: {@code auto} (CUDA when a GPU is usable, else CPU), {@code cpu} or {@code cuda}
 * @param steps DDIM sampling steps (DiffIML models; at most the model's training steps)
 * @param ensemble sampling chains averaged in latent space (DiffIML models)
 * @param flipTta also predict the horizontally mirrored image and keep the per-pixel maximum of the two maps
 * @param seed seed of the initial noise: the same seed gives bit-identical maps, whatever the batch
 * @param threshold a pixel is tampered in {@link Localization#mask()} when its probability is above this
 * @param mode how images of any size meet the model's resolution ({@link InferenceMode})
 * @param tileOverlap in {@link InferenceMode#TILED}: the least overlap of neighbouring tiles, as a fraction of
 *     the tile side, in [0, 0.5]
 * @param uncertainty compute {@link Localization#uncertainty()} (the per-pixel spread of the ensemble members):
 *     each member's latent is decoded too, {@code ensemble} extra decodes; when off, no member is decoded
 * @param batch images (or tiles) per model call in {@link Localizer#localizeAll}; larger batches use the device
 *     better and more memory; they can change the last bits of a map (batched kernels add up in other orders)
 * @param concurrentForwards how many model calls may run at the same time when several threads share the
 *     localizer (CPU only; on CUDA always 1). 1, the default, runs them one after another: each already uses
 *     every core, and each concurrent call holds its own activations
 */
public record LocalizerOptions(String device, int steps, int ensemble, boolean flipTta, long seed, float threshold,
        InferenceMode mode, double tileOverlap, boolean uncertainty, int batch, int concurrentForwards) {

    public LocalizerOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(mode, "mode");
        device = device.toLowerCase(Locale.ROOT);
        require(device.equals("auto") || device.equals("cpu") || device.equals("cuda"),
                "device must be auto, cpu or cuda, got '" + device + "'");
        require(steps >= 1, "steps must be >= 1, got " + steps);
        require(ensemble >= 1, "ensemble must be >= 1, got " + ensemble);
        require(threshold >= 0 && threshold <= 1, "threshold must be in [0, 1], got " + threshold);
        require(tileOverlap >= 0 && tileOverlap <= 0.5, "tileOverlap must be in [0, 0.5], got " + tileOverlap);
        require(batch >= 1, "batch must be >= 1, got " + batch);
        require(concurrentForwards >= 1, "concurrentForwards must be >= 1, got " + concurrentForwards);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("localizer options: " + message);
        }
    }

    /** auto device, 8 steps, ensemble 5, no TTA, seed 0, threshold 0.5, resize mode, overlap 0.25, uncertainty on. */
    public static LocalizerOptions defaults() {
        return new LocalizerOptions("auto", 8, 5, false, 0, 0.5f, InferenceMode.RESIZE, 0.25, true, 1, 1);
    }

    public static Builder builder() {
        return new Builder(defaults());
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds {@link LocalizerOptions} from the defaults; {@link #build()} validates. */
    public static final class Builder {
        private String device;
        private int steps;
        private int ensemble;
        private boolean flipTta;
        private long seed;
        private float threshold;
        private InferenceMode mode;
        private double tileOverlap;
        private boolean uncertainty;
        private int batch;
        private int concurrentForwards;

        private Builder(LocalizerOptions o) {
            device = o.device;
            steps = o.steps;
            ensemble = o.ensemble;
            flipTta = o.flipTta;
            seed = o.seed;
            threshold = o.threshold;
            mode = o.mode;
            tileOverlap = o.tileOverlap;
            uncertainty = o.uncertainty;
            batch = o.batch;
            concurrentForwards = o.concurrentForwards;
        }

        public Builder device(String v) {
            device = v;
            return this;
        }

        public Builder steps(int v) {
            steps = v;
            return this;
        }

        public Builder ensemble(int v) {
            ensemble = v;
            return this;
        }

        public Builder flipTta(boolean v) {
            flipTta = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder threshold(float v) {
            threshold = v;
            return this;
        }

        public Builder mode(InferenceMode v) {
            mode = v;
            return this;
        }

        public Builder tileOverlap(double v) {
            tileOverlap = v;
            return this;
        }

        public Builder uncertainty(boolean v) {
            uncertainty = v;
            return this;
        }

        public Builder batch(int v) {
            batch = v;
            return this;
        }

        public Builder concurrentForwards(int v) {
            concurrentForwards = v;
            return this;
        }

        public LocalizerOptions build() {
            return new LocalizerOptions(device, steps, ensemble, flipTta, seed, threshold, mode, tileOverlap,
                    uncertainty, batch, concurrentForwards);
        }
    }
}
