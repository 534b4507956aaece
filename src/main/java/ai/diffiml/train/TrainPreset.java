package ai.diffiml.train;

import java.util.Locale;

/**
 * Starting points of the {@code train} command; every value can be overridden by its own flag.
 * <ul>
 *   <li>{@link #DEFAULT}: a small run for a 2-core CPU: MiT-b0 at 128 px, batch 8, 10 epochs, 5 LightVAE epochs,
 *       validation with 8 DDIM steps and one chain.</li>
 *   <li>{@link #PAPER}: the paper's settings (method.md section 5): MiT-b3 at 512 px, batch 16 (per GPU),
 *       200 epochs, 40 LightVAE epochs, validation with 8 steps and the 5-chain ensemble.</li>
 * </ul>
 */
public enum TrainPreset {
    DEFAULT("b0", 128, 8, 10, 5, 8, 1),
    PAPER("b3", 512, 16, 200, 40, 8, 5);

    public final String variant;
    public final int resolution;
    public final int batch;
    public final int epochs;
    public final int vaeEpochs;
    public final int valSteps;
    public final int valEnsemble;

    TrainPreset(String variant, int resolution, int batch, int epochs, int vaeEpochs, int valSteps, int valEnsemble) {
        this.variant = variant;
        this.resolution = resolution;
        this.batch = batch;
        this.epochs = epochs;
        this.vaeEpochs = vaeEpochs;
        this.valSteps = valSteps;
        this.valEnsemble = valEnsemble;
    }

    /** The lower-case name used on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
