package ai.diffiml.eval;

import ai.diffiml.eval.robustness.RobustnessSpec;
import java.util.Objects;

/**
 * How an evaluation was run, recorded in every report so that numbers are never read without their protocol.
 *
 * @param checkpoint the checkpoint or run folder evaluated
 * @param model what the checkpoint holds, in words (e.g. "DiffIML MiT-b3 512 px")
 * @param steps DDIM sampling steps; null for a model that does not sample
 * @param ensemble sampling chains averaged; null for a model that does not sample
 * @param tta whether horizontal-flip test-time augmentation was on
 * @param seed seed of the sampling noise and of the random attacks
 * @param device the backend the model ran on
 * @param scoring the scoring mode
 * @param resolution the model's square input size (the "resize" scoring grid)
 * @param date when the evaluation started (ISO-8601)
 * @param batch images per prediction call
 * @param limit images per dataset the run was limited to, null for all
 * @param robustness the attacks run besides the clean images, null for none
 */
public record EvalSettings(String checkpoint, String model, Integer steps, Integer ensemble, boolean tta, long seed,
        String device, ScoringMode scoring, int resolution, String date, int batch, Integer limit,
        RobustnessSpec robustness) {
    public EvalSettings {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(scoring, "scoring");
        Objects.requireNonNull(date, "date");
    }
}
