package ai.diffiml.io;

import ai.diffiml.backend.Device;
import ai.diffiml.io.Checkpoint.OptimizerState;
import ai.diffiml.io.Checkpoint.Progress;
import ai.diffiml.io.Checkpoint.TensorEntry;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.optim.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checkpoints of the discriminative baseline ({@link SegFormer}): the same folder layout, atomic save and strict
 * load as {@link Checkpoint} ({@value Checkpoint#MODEL_FILE}, {@value Checkpoint#META_FILE}, optionally
 * {@value Checkpoint#OPTIMIZER_FILE}, whose optimizer state {@link Checkpoint#loadOptimizer} restores), with its
 * own format marker {@value #FORMAT} and a {@link SegFormer.Config} in place of the DiffIML model config. A
 * DiffIML checkpoint is refused here and a SegFormer checkpoint by {@link Checkpoint#load}, each with a one-line
 * error naming the file.
 */
public final class SegFormerCheckpoint {
    /** The value of {@link Meta#format()}. */
    public static final String FORMAT = "diffiml-segformer-checkpoint";
    /** The format version this build writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private SegFormerCheckpoint() {}

    /**
     * The content of {@value Checkpoint#META_FILE}; the fields mean what they mean in {@link Checkpoint.Meta}.
     */
    public record Meta(String format, int formatVersion, String created, SegFormer.Config config, long step,
            int epoch, Map<String, Double> metrics, long encoderForwards, boolean hasOptimizer,
            List<TensorEntry> tensors) {}

    /** A model rebuilt from a checkpoint (the caller closes it) and the checkpoint's description. */
    public record Loaded(SegFormer model, Meta meta) {}

    /**
     * Saves {@code model} (parameters, buffers, config, the encoder's forward count), {@code progress} and, when
     * {@code optimizer} is not null, its state, atomically as the checkpoint folder {@code dir}.
     */
    public static void save(Path dir, SegFormer model, AdamW optimizer, Progress progress) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(progress, "progress");
        Map<String, LoadedTensor> weights = ModuleWeights.snapshot(model);
        OptimizerState opt = optimizer == null ? null : OptimizerState.of(model, optimizer);
        Meta meta = new Meta(FORMAT, FORMAT_VERSION, Instant.now().toString(), model.config(), progress.step(),
                progress.epoch(), progress.metrics(), model.encoder().forwardCount(), opt != null,
                Checkpoint.entries(weights.values()));
        Checkpoint.commit(dir, weights.values(), opt, Checkpoint.jsonBytes(meta));
    }

    /** Reads and validates {@value Checkpoint#META_FILE} of checkpoint {@code dir}. */
    public static Meta readMeta(Path dir) throws IOException {
        Path file = Checkpoint.existing(dir).resolve(Checkpoint.META_FILE);
        byte[] bytes = Checkpoint.readDescription(file, FORMAT, FORMAT_VERSION,
                "a SegFormer (discriminative) checkpoint description");
        Meta meta = Json.parse(file, bytes, Meta.class, SegFormer.Config.ADDED_COMPONENTS);
        Checkpoint.requireSane(file, meta.created(), meta.step(), meta.epoch(), meta.encoderForwards(),
                meta.tensors());
        return meta;
    }

    /** Rebuilds the model of checkpoint {@code dir} on {@code device} (training mode; the caller closes it). */
    public static Loaded load(Path dir, Device device) throws IOException {
        Path folder = Checkpoint.existing(dir);
        Meta meta = readMeta(dir);
        Path modelFile = folder.resolve(Checkpoint.MODEL_FILE);
        Map<String, LoadedTensor> tensors = Checkpoint.readListedWeights(folder, meta.tensors());
        SegFormer model = new SegFormer(meta.config(), device);
        try {
            ModuleWeights.load(model, tensors, modelFile);
            model.encoder().forwardCount(meta.encoderForwards());
        } catch (WeightFileException e) {
            model.close();
            throw new WeightFileException(modelFile, "does not fit the SegFormer config in " + Checkpoint.META_FILE
                    + " (MiT-" + meta.config().variant() + "): " + Checkpoint.problem(e), e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new Loaded(model, meta);
    }
}
