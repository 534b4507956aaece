package ai.diffiml.train;

import ai.diffiml.data.AugmentationPreset;
import ai.diffiml.model.NoiseStem;
import java.util.Locale;

/**
 * Starting points of the {@code train} command; every value can be overridden by its own flag.
 * <ul>
 *   <li>{@link #DEFAULT}: sized to finish within 15 minutes on a 2-core CPU: MiT-b0 at 128 px, a UNet of width 64
 *       (half the paper's: the encoder learns from the auxiliary head alone, and the steps a smaller UNet saves go
 *       to the encoder), batch 8, 7 epochs of the 1500-image synthetic set after 1 LightVAE epoch, the first 6.5 of
 *       them an auxiliary warm-up (the encoder and its auxiliary head alone, at 1.3 times the steps a second; the
 *       UNet trains in the last half epoch), validation with 8 DDIM steps and one chain. Peak
 *       learning rate 3e-4 with 0.3 warm-up epochs: the encoder starts from random initialisation here (no ImageNet
 *       weights offline), which takes larger steps than the paper's fine-tuning rate. Geometric augmentation only
 *       (flips, rot90): the paper's set erases most pixel-level traces at this size and budget.</li>
 *   <li>{@link #PAPER}: the paper's settings (method.md section 5): MiT-b3 at 512 px, batch 16 (per GPU),
 *       200 epochs, 40 LightVAE epochs, UNet width 128, validation with 8 steps and the 5-chain ensemble, lr 1e-4,
 *       2 warm-up epochs, the paper's augmentation.</li>
 * </ul>
 */
public enum TrainPreset {
    DEFAULT("b0", 128, 64, 8, 7, 1, 8, 1, 3e-4, 0.3, AugmentationPreset.GEOMETRIC,
            new Learnability("srm", 5f, true, 0.5f, false, 1e-3, 0.1, 64, true, true, "residual", true, true, 1f,
                    6.5 / 7, 1f, true, true, 1, NoiseStem.DEFAULT_WIDTH)),
    PAPER("b3", 512, 128, 16, 200, 40, 8, 5, 1e-4, 2, AugmentationPreset.PAPER,
            new Learnability("none", 0f, false, 0.2f, true, 1e-4, 0, 0, false, false, "gated", false, false, 0f, 0,
                    0f, false, false, 0, NoiseStem.DEFAULT_WIDTH));

    /**
     * The settings that decide whether a short run learns (issue: the default run must localize), each a flag of
     * its own.
     *
     * @param noiseStem the encoder's noise stem (none, srm, srm+bayar)
     * @param auxWeight weight of the auxiliary segmentation loss on the condition feature (0: none, the paper)
     * @param fairLoss BCE weighted by the tampered-pixel share + Dice over tampered images for the auxiliary head
     *     and the discriminative baseline (false: the paper's plain BCE + Dice)
     * @param segWeight lambda, the mask-latent share of the diffusion objective (paper 0.2)
     * @param clipSample clamp x0 to [-1, 1] while sampling (off for calibrated, unit-variance latents)
     * @param vaeLr stage-1 learning rate
     * @param lrFloor the cosine ends at this fraction of the peak
     * @param valSubset validation images scored at each epoch end (0: all; the end scores all)
     * @param calibrateLatents use the LightVAE's measured latent scale (1 / std without a teacher) instead of the SD
     *     VAE's 0.18215 ({@link VaeTrainer.Calibration})
     * @param auxAnchor the x0-prediction is anchored at the latent of the auxiliary head's map
     *     ({@link ai.diffiml.model.diffiml.DiffIml#anchor})
     * @param anchorForm how the anchored prediction is formed ({@link ai.diffiml.model.diffiml.AnchorForm})
     * @param auxDetail the auxiliary head also reads the noise stem's full-resolution features
     * @param weightedLatents the mask-latent MSE weighs cells by their tampered pixels, as the BCE does
     * @param pixelWeight weight of the segmentation loss on the decoded x0-prediction
     * @param auxWarmupShare the share of the run's epochs at its start in which the encoder and its auxiliary head
     *     train alone ({@link TrainSettings#auxWarmupEpochs}; a share, so that {@code --epochs} keeps the balance)
     * @param guessShare the share of training samples noised around the model's own first DDIM guess
     *     ({@link ai.diffiml.model.diffiml.DiffIml#loss})
     * @param detachCondition the diffusion objective does not train the encoder (only the auxiliary loss does)
     * @param auxFine the auxiliary head adds a read-out of the encoder at 1/4 resolution
     *     ({@link ai.diffiml.model.diffiml.FineReadout})
     * @param auxFineConvs 3x3 conv layers of that read-out (0: 1x1 convs alone)
     * @param stemWidth channels of the noise stem's two full-resolution layers (DiffIML)
     */
    public record Learnability(String noiseStem, float auxWeight, boolean fairLoss, float segWeight,
            boolean clipSample, double vaeLr, double lrFloor, int valSubset, boolean calibrateLatents,
            boolean auxAnchor, String anchorForm, boolean auxDetail, boolean weightedLatents, float pixelWeight,
            double auxWarmupShare, float guessShare, boolean detachCondition, boolean auxFine,
            int auxFineConvs, int stemWidth) {}

    public final String variant;
    public final int resolution;
    /** Width of DiffIML's denoising UNet. */
    public final int unetWidth;
    public final int batch;
    public final int epochs;
    public final int vaeEpochs;
    public final int valSteps;
    public final int valEnsemble;
    public final double lr;
    public final double warmupEpochs;
    public final AugmentationPreset augmentation;
    public final Learnability learnability;

    TrainPreset(String variant, int resolution, int unetWidth, int batch, int epochs, int vaeEpochs, int valSteps,
            int valEnsemble, double lr, double warmupEpochs, AugmentationPreset augmentation,
            Learnability learnability) {
        this.learnability = learnability;
        this.variant = variant;
        this.resolution = resolution;
        this.unetWidth = unetWidth;
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
