package ai.diffiml.cli;

import ai.diffiml.eval.LoadedPredictor;
import java.nio.file.Path;

/** The model {@code eval} opens by default. */
final class DefaultModel {
    private DefaultModel() {}

    static LoadedPredictor open(Path runOrCheckpoint, EvalCommand.ModelRequest request) {
        throw new IllegalArgumentException(runOrCheckpoint + ": eval cannot load models in this build yet (the"
                + " Localizer is not merged)");
    }
}
