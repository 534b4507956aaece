package ai.diffiml.train;

import ai.diffiml.data.Batch;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.nn.Module;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What {@link Trainer} trains: a model with its objective, its inference for validation and its checkpoint
 * format: {@link DiffusionTask} (DiffIML), {@link DiscriminativeTask} (the SegFormer baseline) and
 * {@link DiffForensicsTask} (one DiffForensics stage). The
 * task owns its model; closing the task closes it.
 */
public interface Task extends AutoCloseable {
    /** The loss of one step: the total to minimise and its named terms (one-element tensors each). */
    record StepLoss(Tensor total, Map<String, Tensor> terms) {}

    /** "diffusion", "discriminative", "diffforensics-pretrain" or "diffforensics-finetune". */
    String head();

    /** The model (its parameter names are the checkpoint's and the optimizer's). */
    Module model();

    /** The parameters to optimise, by name, in the model's order (frozen parts left out). */
    Map<String, Tensor> trainable();

    /** Training mode for the trained parts (frozen parts stay in inference mode). */
    void trainMode();

    /** Inference mode for everything. */
    void evalMode();

    /**
     * The loss of {@code batch} at global step {@code step}; every random draw comes from {@link Seeds#of}
     * ({@code seed}, stream, {@code step}), so the same step always draws the same values.
     */
    StepLoss loss(Batch batch, long step, long seed);

    /**
     * Steps {@code [0, steps)} train the encoder and its auxiliary head alone ({@link TrainSettings#auxWarmupEpochs});
     * a task without such a head refuses any warm-up.
     */
    default void auxWarmupSteps(long steps) {
        if (steps > 0) {
            throw new IllegalArgumentException("an auxiliary warm-up (--aux-warmup-epochs) needs DiffIML's auxiliary"
                    + " head; the " + head() + " model has none");
        }
    }

    /**
     * Tampering probability [B, 1, H, W] of ImageNet-normalised images, for validation ({@code settings} gives the
     * sampling of a diffusion model, {@code sampleSeed} its noise). Records nothing on the tape.
     */
    Tensor probability(Tensor images, TrainSettings settings, long sampleSeed);

    /**
     * A second map to score beside the model's own, for diagnostics (DiffIML's auxiliary head: is it the encoder or
     * the denoiser that has not learnt?), named by {@link #secondaryName}; null when the model has none.
     */
    default Tensor secondaryProbability(Tensor images) {
        return null;
    }

    /**
     * Image-level tampering scores [B] in [0, 1] from a detection head, scored by validation as image AUC; null
     * when the model has none. Records nothing on the tape.
     */
    default Tensor imageScores(Tensor images) {
        return null;
    }

    /** The name of {@link #secondaryProbability}'s map in logs. */
    default String secondaryName() {
        return "aux";
    }

    /**
     * Figures that show learning before F1 does, measured on one fixed validation batch with draws from
     * {@code seed} (DiffIML: the objective per timestep bucket, and with the conditions shuffled across the batch
     * at high t); empty for models without such figures. Records nothing on the tape.
     */
    default Map<String, Double> diagnostics(Batch batch, long seed) {
        return Map.of();
    }

    /** Saves the model (with {@code optimizer}'s state unless null) and {@code progress} as checkpoint {@code dir}. */
    void save(Path dir, AdamW optimizer, Checkpoint.Progress progress) throws IOException;

    /** Restores {@code optimizer}'s state from checkpoint {@code dir}. */
    default void loadOptimizer(Path dir, AdamW optimizer) throws IOException {
        Checkpoint.loadOptimizer(dir, model(), optimizer);
    }

    @Override
    default void close() {
        model().close();
    }
}
