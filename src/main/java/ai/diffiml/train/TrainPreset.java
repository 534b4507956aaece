package ai.diffiml.train;

import ai.diffiml.data.AugmentationPreset;
import java.util.Locale;

/**
 * Starting points of the {@code train} command; every value can be overridden by its own flag.
 * <ul>
 *   <li>{@link #DEFAULT}: sized to finish within 15 minutes on a 2-core CPU: MiT-b0 at 128 px, batch 8, 3 epochs
 *       of the 1500-image synthetic set after 1 LightVAE epoch, validation with 8 DDIM steps and one chain. Peak
 *       learning rate 3e-4 with 0.3 warm-up epochs: the encoder starts from random initialisation here (no ImageNet
 *       weights offline), which takes larger steps than the paper's fine-tuning rate. Geometric augmentation only
 *       (flips, rot90): the paper's set erases most pixel-level traces at this size and budget.</li>
 *   <li>{@link #PAPER}: the paper's settings (method.md section 5): MiT-b3 at 512 px, batch 16 (per GPU),
 *       200 epochs, 40 LightVAE epochs, validation with 8 steps and the 5-chain ensemble, lr 1e-4, 2 warm-up
 *       epochs, the paper's augmentation.</li>
 * </ul>
 */
public enum TrainPreset {
    DEFAULT("b0", 128, 8, 3, 1, 8, 1, 3e-4, 0.3, AugmentationPreset.GEOMETRIC),
    PAPER("b3", 512, 16, 200, 40, 8, 5, 1e-4, 2, AugmentationPreset.PAPER);

    public final String variant;
    public final int resolution;
    public final int batch;
    public final int epochs;
    public final int vaeEpochs;
    public final int valSteps;
    public final int valEnsemble;
    public final double lr;
    public final double warmupEpochs;
    public final AugmentationPreset augmentation;

    TrainPreset(String variant, int resolution, int batch, int epochs, int vaeEpochs, int valSteps, int valEnsemble,
            double lr, double warmupEpochs, AugmentationPreset augmentation) {
        this.variant = variant;
        this.resolution = resolution;
        this.batch = batch;
        this.epochs = epochs;
        this.vaeEpochs = vaeEpochs;
        this.valSteps = valSteps;
        this.valEnsemble = valEnsemble;
        this.lr = lr;
        this.warmupEpochs = warmupEpochs;
        this.augmentation = augmentation;
    }

    /** The lower-case name used on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
