package ai.diffiml.cli;

import ai.diffiml.localize.Localizer;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --run DIR | --checkpoint DIR} options, a mixin of the commands that use a trained model. */
public final class WeightsOption {
    @Option(names = "--run", paramLabel = "<dir>",
            description = "Trained model: a training run folder (its best/ checkpoint, else last/).")
    private Path run;

    @Option(names = "--checkpoint", paramLabel = "<dir>",
            description = "Trained model: a checkpoint folder (DiffIML or discriminative SegFormer), instead of"
                    + " --run.")
    private Path checkpoint;

    /** Whether --run or --checkpoint was given. */
    boolean given() {
        return run != null || checkpoint != null;
    }

    /**
     * The checkpoint folder to load ({@link Localizer#checkpointFolder}), or null when neither option was given.
     *
     * @throws IllegalArgumentException when both were given
     * @throws IOException (one line) when the folder is missing or holds no checkpoint
     */
    Path checkpointFolder() throws IOException {
        if (run != null && checkpoint != null) {
            throw new IllegalArgumentException("give either --run or --checkpoint, not both");
        }
        return given() ? Localizer.checkpointFolder(run != null ? run : checkpoint) : null;
    }
}
