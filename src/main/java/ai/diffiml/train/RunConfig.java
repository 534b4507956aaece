package ai.diffiml.train;

import ai.diffiml.data.AugmentationPreset;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.segformer.SegFormer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What a training run was started with, saved as {@code config.json} in its {@link RunFolder} and read back by
 * {@code --resume}: the head and its model config (exactly one of {@code model}, {@code segformer} and
 * {@code diffforensics}), the
 * training settings, the batch size, and where data and initial weights came from (paths as given).
 *
 * @param format always {@value #FORMAT}
 * @param created ISO-8601 UTC time of the start
 * @param head "diffusion" or "discriminative"
 * @param preset the preset the settings started from
 * @param model the DiffIML config (diffusion head), else null
 * @param segformer the SegFormer config (discriminative head), else null
 * @param train the optimisation settings
 * @param batch samples per batch
 * @param data the training data
 * @param valData the validation data, or null
 * @param vae the LightVAE weights used (diffusion head): a file given with --vae, or this run's stage-1 folder
 * @param vaeEpochs stage-1 epochs when this run trained its LightVAE, else 0
 * @param teacher the SD-VAE teacher weights of stage 1, or null
 * @param encoderWeights the ImageNet encoder weights, or null (random initialisation)
 * @param augmentation the training augmentation's {@link AugmentationPreset} label; absent in configs written
 *                     before the choice existed, which trained with the paper's set
 * @param diffforensics a DiffForensics run's model and stages (head "diffforensics"), else null; {@code train}
 *                      then holds the fine-tuning settings
 */
public record RunConfig(String format, String created, String head, String preset, ModelConfig model,
        SegFormer.Config segformer, TrainSettings train, int batch, String data, String valData, String vae,
        int vaeEpochs, String teacher, String encoderWeights, String augmentation, DiffForensicsRun diffforensics) {
    public static final String FORMAT = "diffiml-training-run";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** A DiffIML or SegFormer run's config (no DiffForensics part). */
    public RunConfig(String format, String created, String head, String preset, ModelConfig model,
            SegFormer.Config segformer, TrainSettings train, int batch, String data, String valData, String vae,
            int vaeEpochs, String teacher, String encoderWeights, String augmentation) {
        this(format, created, head, preset, model, segformer, train, batch, data, valData, vae, vaeEpochs, teacher,
                encoderWeights, augmentation, null);
    }

    /** The training augmentation of the run (the paper's set for configs that predate the choice). */
    public AugmentationPreset augmentationPreset() {
        return augmentation == null ? AugmentationPreset.PAPER : AugmentationPreset.of(augmentation);
    }

    /** The same run config with {@code m} as its DiffIML model config (e.g. after the LightVAE is calibrated). */
    public RunConfig withModel(ModelConfig m) {
        return new RunConfig(format, created, head, preset, m, segformer, train, batch, data, valData, vae, vaeEpochs,
                teacher, encoderWeights, augmentation, diffforensics);
    }

    /** Writes {@code file} atomically. */
    public void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(this) + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads a run's {@code config.json}; a missing or foreign file is an {@link IllegalArgumentException}. */
    public static RunConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file (not the folder of a training run)");
        }
        RunConfig c;
        try {
            c = JSON.readValue(file.toFile(), RunConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a training run config: "
                    + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " "));
        }
        if (c == null) { // the JSON literal null
            throw new IllegalArgumentException(file + ": not a training run config (null instead of an object)");
        }
        int models = (c.model() != null ? 1 : 0) + (c.segformer() != null ? 1 : 0) + (c.diffforensics() != null ? 1 : 0);
        if (!FORMAT.equals(c.format()) || models != 1 || c.train() == null) {
            throw new IllegalArgumentException(file + ": not a training run config (format '" + c.format()
                    + "', expected '" + FORMAT + "' with one model config and training settings)");
        }
        try {
            c.augmentationPreset();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": augmentation " + e.getMessage());
        }
        return c;
    }
}
