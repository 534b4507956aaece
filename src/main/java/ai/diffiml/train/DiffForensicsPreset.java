package ai.diffiml.train;

import ai.diffiml.data.AugmentationPreset;
import java.util.Locale;

/**
 * Starting points of {@code train --model diffforensics}, named like {@link TrainPreset}s; every value can be
 * overridden by its flag.
 * <ul>
 *   <li>{@link #DEFAULT}: sized like DiffIML's default run for 15 minutes on 2 CPU cores: MiT-b0 at 128 px, batch 8,
 *       1 pretraining epoch (the encoder frozen, so a step costs about a third of a fine-tuning one) and 3
 *       fine-tuning epochs of the 1500-image synthetic set, decoder width 32, geometric augmentation. With the
 *       lessons of DiffIML's default run: the SRM noise stem, tampered pixels weighted by the training share
 *       (auto, at most 10) against 1 for authentic ones, lr 3e-4 (a random encoder) with 0.3 warm-up epochs and a
 *       cosine to 0.1 x, validation on 64 images at epoch ends and all at the end.</li>
 *   <li>{@link #PAPER}: the paper's settings: 512 px, AdamW lr 1e-4, pretraining 100 epochs at batch 16,
 *       fine-tuning 50 epochs at batch 32, pixel weights 2 / 0.5, no noise stem. What the paper leaves open: the
 *       MiT size (b3, as DiffIML's paper preset), the decoder width (64), the schedule (a cosine to 0 without
 *       warm-up) and the augmentation (none).</li>
 * </ul>
 *
 * @see ai.diffiml.model.diffforensics.DiffForensics
 */
public enum DiffForensicsPreset {
    DEFAULT("b0", 128, 32, 8, 1, 8, 3, 3e-4, 0.3, 0.1, "srm", true, 64, AugmentationPreset.GEOMETRIC),
    PAPER("b3", 512, 64, 16, 100, 32, 50, 1e-4, 0, 0, "none", false, 0, AugmentationPreset.NONE);

    public final String variant;
    public final int resolution;
    public final int decoderWidth;
    public final int pretrainBatch;
    public final int pretrainEpochs;
    public final int batch;
    public final int epochs;
    public final double lr;
    public final double warmupEpochs;
    public final double lrFloor;
    public final String noiseStem;
    /** Tampered pixels weighted by the training share against 1 (true), or the paper's 2 / 0.5 (false). */
    public final boolean sharePixelWeights;
    public final int valSubset;
    public final AugmentationPreset augmentation;

    DiffForensicsPreset(String variant, int resolution, int decoderWidth, int pretrainBatch, int pretrainEpochs,
            int batch, int epochs, double lr, double warmupEpochs, double lrFloor, String noiseStem,
            boolean sharePixelWeights, int valSubset, AugmentationPreset augmentation) {
        this.variant = variant;
        this.resolution = resolution;
        this.decoderWidth = decoderWidth;
        this.pretrainBatch = pretrainBatch;
        this.pretrainEpochs = pretrainEpochs;
        this.batch = batch;
        this.epochs = epochs;
        this.lr = lr;
        this.warmupEpochs = warmupEpochs;
        this.lrFloor = lrFloor;
        this.noiseStem = noiseStem;
        this.sharePixelWeights = sharePixelWeights;
        this.valSubset = valSubset;
        this.augmentation = augmentation;
    }

    /** The preset of the same name as {@code p}. */
    public static DiffForensicsPreset of(TrainPreset p) {
        return valueOf(p.name());
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
