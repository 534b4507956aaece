package ai.diffiml.cli;

import ai.diffiml.localize.LocalizerOptions;
import picocli.CommandLine.Option;

/**
 * The {@code --steps}, {@code --ensemble}, {@code --tta} and {@code --seed} options, a mixin of the commands that run
 * a trained model's inference ({@code predict}, {@code eval}); the defaults are the paper's.
 */
public final class SamplingOptions {
    @Option(names = "--steps", paramLabel = "<n>", defaultValue = "8",
            description = "DDIM sampling steps. Default: ${DEFAULT-VALUE}.")
    private int steps;

    @Option(names = "--ensemble", paramLabel = "<n>", defaultValue = "5",
            description = "Ensemble members (chains averaged in latent space). Default: ${DEFAULT-VALUE}.")
    private int ensemble;

    @Option(names = "--tta", description = "Flip test-time augmentation: also predict the mirrored image, keep"
            + " the per-pixel maximum.")
    private boolean tta;

    @Option(names = "--seed", paramLabel = "<n>", defaultValue = "0",
            description = "Seed of the sampling noise (the same seed gives the same maps). Default: ${DEFAULT-VALUE}.")
    private long seed;

    /** {@code builder} with these settings (checked when it builds). */
    LocalizerOptions.Builder applyTo(LocalizerOptions.Builder builder) {
        return builder.steps(steps).ensemble(ensemble).flipTta(tta).seed(seed);
    }
}
