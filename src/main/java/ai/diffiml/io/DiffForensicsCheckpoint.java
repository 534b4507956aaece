package ai.diffiml.io;

import ai.diffiml.backend.Device;
import ai.diffiml.io.Checkpoint.OptimizerState;
import ai.diffiml.io.Checkpoint.Progress;
import ai.diffiml.io.Checkpoint.TensorEntry;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.optim.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checkpoints of {@link DiffForensics}: the folder layout, atomic save and strict load of {@link Checkpoint}, with
 * the format marker {@value #FORMAT}, a {@link DiffForensics.Config} and the training stage that wrote it
 * ("pretrain" or "finetune"). Other models' checkpoints are refused here, and this one by their loaders, each with
 * a one-line error naming the file.
 */
public final class DiffForensicsCheckpoint {
    public static final String FORMAT = "diffiml-diffforensics-checkpoint";
    public static final int FORMAT_VERSION = 1;

    private DiffForensicsCheckpoint() {}

    /** The content of {@value Checkpoint#META_FILE}; the fields mean what they mean in {@link Checkpoint.Meta}. */
    public record Meta(String format, int formatVersion, String created, DiffForensics.Config config, String stage,
            long step, int epoch, Map<String, Double> metrics, long encoderForwards, boolean hasOptimizer,
            List<TensorEntry> tensors) {}

    /** A model rebuilt from a checkpoint (the caller closes it) and the checkpoint's description. */
    public record Loaded(DiffForensics model, Meta meta) {}

    /** Saves {@code model}, the stage, {@code progress} and (unless null) {@code optimizer}'s state as {@code dir}. */
    public static void save(Path dir, DiffForensics model, String stage, AdamW optimizer, Progress progress)
            throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(progress, "progress");
        Map<String, LoadedTensor> weights = ModuleWeights.snapshot(model);
        OptimizerState opt = optimizer == null ? null : OptimizerState.of(model, optimizer);
        Meta meta = new Meta(FORMAT, FORMAT_VERSION, Instant.now().toString(), model.config(), stage,
                progress.step(), progress.epoch(), progress.metrics(), model.encoder().forwardCount(), opt != null,
                Checkpoint.entries(weights.values()));
        Checkpoint.commit(dir, weights.values(), opt, Checkpoint.jsonBytes(meta));
    }

    /** Reads and validates {@value Checkpoint#META_FILE} of checkpoint {@code dir}. */
    public static Meta readMeta(Path dir) throws IOException {
        Path file = Checkpoint.existing(dir).resolve(Checkpoint.META_FILE);
        byte[] bytes = Checkpoint.readDescription(file, FORMAT, FORMAT_VERSION, "a DiffForensics checkpoint"
                + " description");
        Meta meta = Json.parse(file, bytes, Meta.class);
        Checkpoint.requireSane(file, meta.created(), meta.step(), meta.epoch(), meta.encoderForwards(),
                meta.tensors());
        if (meta.config() == null || !("pretrain".equals(meta.stage()) || "finetune".equals(meta.stage()))) {
            throw new WeightFileException(file, "a DiffForensics checkpoint needs a config and a stage (pretrain or"
                    + " finetune), got stage " + meta.stage());
        }
        return meta;
    }

    /** Rebuilds the model of checkpoint {@code dir} on {@code device} (training mode; the caller closes it). */
    public static Loaded load(Path dir, Device device) throws IOException {
        Path folder = Checkpoint.existing(dir);
        Meta meta = readMeta(dir);
        Path modelFile = folder.resolve(Checkpoint.MODEL_FILE);
        Map<String, LoadedTensor> tensors = Checkpoint.readListedWeights(folder, meta.tensors());
        DiffForensics model = new DiffForensics(meta.config(), device);
        try {
            ModuleWeights.load(model, tensors, modelFile);
            model.encoder().forwardCount(meta.encoderForwards());
        } catch (WeightFileException e) {
            model.close();
            throw new WeightFileException(modelFile, "does not fit the DiffForensics config in "
                    + Checkpoint.META_FILE + " (MiT-" + meta.config().variant() + "): " + Checkpoint.problem(e), e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new Loaded(model, meta);
    }
}
