package ai.diffiml.io;

import ai.diffiml.backend.Device;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.ModelConfigs;
import ai.diffiml.nn.Module;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Our checkpoint format: a folder holding
 * <ul>
 *   <li>{@value #MODEL_FILE}: every parameter and buffer of the {@link DiffIml} by its own name (F32);</li>
 *   <li>{@value #META_FILE}: a JSON {@link Meta} object: format marker and version, creation time (ISO-8601 UTC),
 *       the {@link ModelConfig} (one field per record component, as {@link ai.diffiml.model.diffiml.ModelConfigs} reads
 *       it), training step, epoch, metrics, the
 *       encoder's drop-path forward count, whether optimizer state is present, and the name and shape of every
 *       tensor in {@value #MODEL_FILE};</li>
 *   <li>optionally {@value #OPTIMIZER_FILE}: AdamW state of every optimised parameter, keyed
 *       {@code exp_avg/<name>}, {@code exp_avg_sq/<name>} (F32, the parameter's shape) and {@code step/<name>}
 *       (I64 scalar: the updates that parameter received), with the optimiser's step count, learning rate, betas
 *       and eps in the safetensors metadata.</li>
 * </ul>
 *
 * <p><b>Saving is atomic as a whole.</b> Everything is gathered in memory first, then written into a temporary
 * sibling folder {@code .<name>.partial} (each file flushed to disk, then the folder); an existing checkpoint is
 * renamed aside to {@code .<name>.previous}, the new folder renamed into place, the parent folder synced, and only
 * then the previous one deleted. A failure at any point removes the temporary folder and leaves the previous
 * checkpoint where it was. After a crash between the two renames, {@link #load} reads {@code .<name>.previous}
 * and the next {@link #save} puts it back first. One writer per checkpoint path at a time. A folder that holds
 * anything besides these files is never replaced or deleted.
 *
 * <p><b>Loading</b> reads the JSON strictly (unknown format or version, missing or unknown fields, invalid config
 * values are refused), checks that {@value #MODEL_FILE} holds exactly the tensors the JSON lists, builds the model
 * from the config and loads the weights through {@link ModuleWeights}, which names every mismatch. Every error is a
 * {@link WeightFileException} of one line naming the file.
 *
 * <p>{@link SegFormerCheckpoint} stores the discriminative baseline in the same layout through the package-private
 * helpers here ({@link #commit}, {@link #readDescription}, {@link #readListedWeights}); {@link #loadOptimizer} takes
 * any {@link Module}.
 */
public final class Checkpoint {
    /** The value of {@link Meta#format()}. */
    public static final String FORMAT = "diffiml-checkpoint";
    /** The format version this build writes and reads. */
    public static final int FORMAT_VERSION = 1;
    public static final String MODEL_FILE = "model.safetensors";
    public static final String META_FILE = ModelConfigs.CHECKPOINT_JSON;
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** Key prefixes of {@value #OPTIMIZER_FILE}. */
    public static final String EXP_AVG = "exp_avg/";
    public static final String EXP_AVG_SQ = "exp_avg_sq/";
    public static final String STEP = "step/";
    private static final List<String> FILES = List.of(MODEL_FILE, META_FILE, OPTIMIZER_FILE);

    private Checkpoint() {}

    /** Training progress saved with the weights: global step, epoch and named metrics (finite or not). */
    public record Progress(long step, int epoch, Map<String, Double> metrics) {
        public Progress {
            if (step < 0 || epoch < 0) {
                throw new IllegalArgumentException("checkpoint progress: step and epoch must be >= 0, got " + step
                        + ", " + epoch);
            }
            Map<String, Double> copy = new LinkedHashMap<>();
            metrics.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "metric name"),
                    Objects.requireNonNull(v, "metric " + k)));
            metrics = Collections.unmodifiableMap(copy);
        }

        public static Progress of(long step, int epoch) {
            return new Progress(step, epoch, Map.of());
        }
    }

    /** Name and shape of one tensor of {@value #MODEL_FILE}. */
    public record TensorEntry(String name, List<Integer> shape) {
        public TensorEntry {
            Objects.requireNonNull(name, "name");
            shape = List.copyOf(shape);
        }

        int[] dims() {
            return shape.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * The content of {@value #META_FILE}.
     *
     * @param format always {@value #FORMAT}
     * @param formatVersion {@value #FORMAT_VERSION} for checkpoints of this build
     * @param created when the checkpoint was written, ISO-8601 in UTC ({@link Instant#toString()})
     * @param config the model's configuration: enough to rebuild it
     * @param step training step (optimizer updates) at saving
     * @param epoch training epoch at saving
     * @param metrics named values at saving (loss, F1, ...); NaN and infinities are written as strings
     * @param encoderForwards the encoder's training forward count, which drives its drop-path draws
     * @param hasOptimizer whether {@value #OPTIMIZER_FILE} is part of the checkpoint
     * @param tensors name and shape of every tensor in {@value #MODEL_FILE}, in state-dict order
     */
    public record Meta(String format, int formatVersion, String created, ModelConfig config, long step, int epoch,
            Map<String, Double> metrics, long encoderForwards, boolean hasOptimizer, List<TensorEntry> tensors) {}

    /** A model rebuilt from a checkpoint (the caller closes it) and the checkpoint's description. */
    public record Loaded(DiffIml model, Meta meta) {}

    /** Test seam: called after each stage of {@link #save}; a thrown exception acts as a failure there. */
    interface Faults {
        void at(String stage) throws IOException;
    }

    static volatile Faults faults = stage -> {};

    /** The temporary folder a save of {@code dir} writes into. */
    static Path partialOf(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return d.resolveSibling("." + d.getFileName() + ".partial");
    }

    /** Where a save of {@code dir} keeps the checkpoint it replaces until the new one is in place. */
    static Path previousOf(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return d.resolveSibling("." + d.getFileName() + ".previous");
    }

    // ---- save ----

    /**
     * Saves {@code model} (all parameters and buffers, its config, its encoder's forward count), the training
     * {@code progress} and, when {@code optimizer} is not null, its state, as the checkpoint folder {@code dir},
     * atomically replacing a checkpoint already there (see the class comment). Every optimised parameter must be a
     * parameter of the model.
     */
    public static void save(Path dir, DiffIml model, AdamW optimizer, Progress progress) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(progress, "progress");
        // Everything in memory first: a failure here has not touched the disk.
        Map<String, LoadedTensor> weights = ModuleWeights.snapshot(model);
        OptimizerState opt = optimizer == null ? null : OptimizerState.of(model, optimizer);
        List<TensorEntry> entries = entries(weights.values());
        Meta meta = new Meta(FORMAT, FORMAT_VERSION, Instant.now().toString(), model.config(), progress.step(),
                progress.epoch(), progress.metrics(), model.encoder().forwardCount(), opt != null, entries);
        commit(dir, weights.values(), opt, jsonBytes(meta));
    }

    /** A checkpoint description as the UTF-8 bytes of its indented JSON and a final newline. */
    static byte[] jsonBytes(Object meta) {
        try {
            return (Json.MAPPER.writeValueAsString(meta) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write checkpoint metadata: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Writes a checkpoint folder {@code target} atomically (see the class comment): {@value #MODEL_FILE} from
     * {@code weights}, {@value #OPTIMIZER_FILE} from {@code opt} when not null, {@value #META_FILE} from
     * {@code json}. Shared by every checkpoint kind of this package.
     */
    static void commit(Path dir, Collection<LoadedTensor> weights, OptimizerState opt, byte[] json)
            throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (target.getParent() == null) {
            throw new IllegalArgumentException("checkpoint folder " + dir + " has no parent folder");
        }
        Path parent = target.getParent();
        Path partial = partialOf(target);
        Path previous = previousOf(target);
        boolean committed = false;
        try {
            Files.createDirectories(parent);
            restoreInterruptedSwap(target, previous);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                requireReplaceable(target);
            }
            removeCheckpointFolder(partial); // left by a crashed save
            removeCheckpointFolder(previous); // left by a crash after a completed swap
            Files.createDirectory(partial);
            Safetensors.write(partial.resolve(MODEL_FILE), weights);
            faults.at("model");
            if (opt != null) {
                Safetensors.write(partial.resolve(OPTIMIZER_FILE), opt.tensors, opt.metadata);
                faults.at("optimizer");
            }
            Safetensors.writeAtomically(partial.resolve(META_FILE), ch -> writeAll(ch, json));
            faults.at("meta");
            syncFolder(partial);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.move(target, previous, StandardCopyOption.ATOMIC_MOVE);
                faults.at("swap");
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
            syncFolder(parent);
        } catch (IOException e) {
            String detail = e instanceof WeightFileException ? e.getMessage() : e.toString();
            throw new WeightFileException(target, "checkpoint not saved, any previous checkpoint there is unchanged: "
                    + Json.oneLine(detail), e);
        } finally {
            if (!committed) {
                try {
                    removeCheckpointFolder(partial);
                } catch (IOException | RuntimeException ignored) {
                    // the failure being thrown is the one to report; the next save removes the leftover
                }
                try {
                    restoreInterruptedSwap(target, previous);
                } catch (IOException | RuntimeException ignored) {
                    // load() still reads the previous checkpoint from its temporary name
                }
            }
        }
        try {
            removeCheckpointFolder(previous);
        } catch (IOException e) {
            // The new checkpoint is in place; the next save removes the displaced one.
        }
    }

    /** Optimizer tensors and metadata, gathered before anything is written. */
    record OptimizerState(List<LoadedTensor> tensors, Map<String, String> metadata) {
        static OptimizerState of(Module model, AdamW optimizer) {
            List<String> names = optimizedNames(model, optimizer);
            List<LoadedTensor> tensors = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                AdamW.State s = optimizer.state(optimizer.parameters().get(i));
                tensors.add(LoadedTensor.of(EXP_AVG + name, s.expAvg()));
                tensors.add(LoadedTensor.of(EXP_AVG_SQ + name, s.expAvgSq()));
                tensors.add(LoadedTensor.ofLongs(STEP + name, new int[0], new long[] {s.step()}));
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format_version", Integer.toString(FORMAT_VERSION));
            meta.put("optimizer", "AdamW");
            meta.put("step_count", Long.toString(optimizer.stepCount()));
            meta.put("lr", Float.toString(optimizer.lr()));
            meta.put("beta1", Float.toString(optimizer.beta1()));
            meta.put("beta2", Float.toString(optimizer.beta2()));
            meta.put("eps", Float.toString(optimizer.eps()));
            return new OptimizerState(tensors, meta);
        }
    }

    /** The model's names of the optimizer's parameters, in the optimizer's order; each must be the model's. */
    private static List<String> optimizedNames(Module model, AdamW optimizer) {
        Map<Tensor, String> byTensor = new IdentityHashMap<>();
        model.namedParameters().forEach((n, t) -> byTensor.put(t, n));
        List<String> names = new ArrayList<>();
        for (Tensor p : optimizer.parameters()) {
            String name = byTensor.get(p);
            if (name == null) {
                throw new IllegalArgumentException("checkpoint: optimizer parameter " + p.describe()
                        + " is not a parameter of the model");
            }
            names.add(name);
        }
        return names;
    }

    private static void writeAll(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void syncFolder(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Folders cannot be opened for sync on some platforms; the renames are still atomic there.
        }
    }

    /** After a crash between the two renames of a save, puts the displaced checkpoint back in place. */
    private static void restoreInterruptedSwap(Path target, Path previous) throws IOException {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(previous, LinkOption.NOFOLLOW_LINKS)) {
            Files.move(previous, target, StandardCopyOption.ATOMIC_MOVE);
            syncFolder(target.getParent());
        }
    }

    /** True for the files of a checkpoint folder and the temporary files their atomic writes leave on a crash. */
    private static boolean isCheckpointFile(String name) {
        for (String f : FILES) {
            if (name.equals(f) || (name.startsWith("." + f + ".") && name.endsWith(".tmp"))) {
                return true;
            }
        }
        return false;
    }

    /** Refuses a target that is not a folder of checkpoint files (an empty folder is fine). */
    private static void requireReplaceable(Path target) throws IOException {
        if (Files.isSymbolicLink(target) || !Files.isDirectory(target)) {
            throw new WeightFileException(target, "exists and is not a checkpoint folder (a file or a link): "
                    + "refusing to replace it");
        }
        String foreign = foreignEntry(target);
        if (foreign != null) {
            throw new WeightFileException(target, "exists and holds '" + foreign
                    + "', which is not part of a checkpoint: refusing to replace it");
        }
    }

    private static String foreignEntry(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                if (!isCheckpointFile(e.getFileName().toString()) || !Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
                    return e.getFileName().toString();
                }
            }
        }
        return null;
    }

    /** Deletes a folder of checkpoint files; refuses (and deletes nothing) if it holds anything else. */
    private static void removeCheckpointFolder(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir)) {
            throw new WeightFileException(dir, "is in the way of a checkpoint save and is not a folder; remove it");
        }
        String foreign = foreignEntry(dir);
        if (foreign != null) {
            throw new WeightFileException(dir, "holds '" + foreign + "', which is not part of a checkpoint;"
                    + " remove the folder by hand");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                Files.delete(e);
            }
        }
        Files.delete(dir);
    }

    // ---- load ----

    /**
     * The folder to read for checkpoint {@code dir}: {@code dir} itself, or the checkpoint a crashed save had
     * renamed aside (see the class comment).
     */
    static Path existing(Path dir) throws WeightFileException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(target)) {
            return target;
        }
        Path previous = previousOf(target);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(previous)) {
            return previous;
        }
        throw new WeightFileException(dir, Files.exists(target) ? "is not a checkpoint folder (not a folder)"
                : "no such checkpoint folder");
    }

    /** Reads and validates {@value #META_FILE} of checkpoint {@code dir}. */
    public static Meta readMeta(Path dir) throws IOException {
        Path file = existing(dir).resolve(META_FILE);
        byte[] bytes = readDescription(file, FORMAT, FORMAT_VERSION, "a DiffIML checkpoint description");
        Meta meta = Json.parse(file, bytes, Meta.class, ModelConfig.ADDED_COMPONENTS);
        requireSane(file, meta.created(), meta.step(), meta.epoch(), meta.encoderForwards(), meta.tensors());
        return meta;
    }

    /**
     * The bytes of a checkpoint description {@code file} once its "format" is {@code format} and its
     * "formatVersion" is {@code version}; otherwise a one-line error saying the file is not {@code what}.
     */
    static byte[] readDescription(Path file, String format, int version, String what) throws IOException {
        byte[] bytes = Json.readBytes(file);
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new WeightFileException(file, "invalid JSON: " + Json.describe(e), e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
        if (tree == null || !tree.isObject()) {
            throw new WeightFileException(file, "not a JSON object");
        }
        JsonNode found = tree.get("format");
        if (found == null || !format.equals(found.asText(null)) || !found.isTextual()) {
            throw new WeightFileException(file, "not " + what + " (\"format\" is " + found + ", expected \""
                    + format + "\")");
        }
        JsonNode v = tree.get("formatVersion");
        if (v == null || !v.isIntegralNumber()) {
            throw new WeightFileException(file, "no integer \"formatVersion\"");
        }
        if (v.asLong() != version) {
            throw new WeightFileException(file, "unknown checkpoint format version " + v.asText()
                    + " (this build reads version " + version + ")");
        }
        return bytes;
    }

    /** The checks every checkpoint description passes: a valid time, no negative counts, no tensor listed twice. */
    static void requireSane(Path file, String created, long step, int epoch, long encoderForwards,
            List<TensorEntry> tensors) throws WeightFileException {
        try {
            Instant.parse(created);
        } catch (DateTimeParseException e) {
            throw new WeightFileException(file, "\"created\" is '" + created + "', not an ISO-8601 instant");
        }
        if (step < 0 || epoch < 0 || encoderForwards < 0) {
            throw new WeightFileException(file, "negative step, epoch or encoderForwards");
        }
        Set<String> names = new HashSet<>();
        for (TensorEntry t : tensors) {
            if (!names.add(t.name())) {
                throw new WeightFileException(file, "tensor '" + t.name() + "' is listed twice");
            }
            for (int d : t.dims()) {
                if (d < 0) {
                    throw new WeightFileException(file, "tensor '" + t.name() + "' has a negative dimension");
                }
            }
        }
    }

    /**
     * The tensors of {@value #MODEL_FILE} in checkpoint {@code folder}, which must be exactly those {@code listed}
     * in {@value #META_FILE}, with the listed shapes.
     */
    static Map<String, LoadedTensor> readListedWeights(Path folder, List<TensorEntry> listed) throws IOException {
        Path modelFile = folder.resolve(MODEL_FILE);
        Map<String, LoadedTensor> tensors = Safetensors.read(modelFile).tensors();
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (TensorEntry e : listed) {
            names.add(e.name());
            LoadedTensor t = tensors.get(e.name());
            if (t == null) {
                problems.add(e.name() + ": listed in " + META_FILE + " but missing");
            } else if (!Arrays.equals(t.shape(), e.dims())) {
                problems.add(e.name() + ": shape " + Shapes.str(t.shape()) + " here, " + Shapes.str(e.dims())
                        + " in " + META_FILE);
            }
        }
        for (String name : tensors.keySet()) {
            if (!names.contains(name)) {
                problems.add(name + ": not listed in " + META_FILE);
            }
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(modelFile, "disagrees with " + META_FILE + ": " + abbreviate(problems));
        }
        return tensors;
    }

    /** Name and shape of every tensor of {@code weights}, in order, for a checkpoint description. */
    static List<TensorEntry> entries(Collection<LoadedTensor> weights) {
        List<TensorEntry> entries = new ArrayList<>();
        for (LoadedTensor t : weights) {
            entries.add(new TensorEntry(t.name(), Arrays.stream(t.shape()).boxed().toList()));
        }
        return entries;
    }

    /**
     * Rebuilds the model of checkpoint {@code dir} on {@code device}: the config from {@value #META_FILE}, the
     * weights from {@value #MODEL_FILE} (which must hold exactly the tensors the JSON lists, with the shapes the
     * config gives), the encoder's forward count. The model is in training mode, as a new one is; the caller owns
     * and closes it.
     */
    public static Loaded load(Path dir, Device device) throws IOException {
        Path folder = existing(dir);
        Meta meta = readMeta(dir);
        Path modelFile = folder.resolve(MODEL_FILE);
        Map<String, LoadedTensor> tensors = readListedWeights(folder, meta.tensors());
        DiffIml model = new DiffIml(meta.config(), device);
        try {
            ModuleWeights.load(model, tensors, modelFile);
            model.encoder().forwardCount(meta.encoderForwards());
        } catch (WeightFileException e) {
            model.close();
            throw new WeightFileException(modelFile, "does not fit the model config in " + META_FILE + " (MiT-"
                    + meta.config().variant() + ", " + meta.config().resolution() + " px): " + problem(e), e);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return new Loaded(model, meta);
    }

    /**
     * Restores {@code optimizer}'s state from checkpoint {@code dir}: moments and update count of every parameter
     * it optimises (matched by the parameter's name in {@code model}), its step count and learning rate. Betas and
     * eps must equal the saved ones. Everything is checked before anything is copied; the file must hold state for
     * exactly the optimizer's parameters.
     */
    public static void loadOptimizer(Path dir, Module model, AdamW optimizer) throws IOException {
        Path file = existing(dir).resolve(OPTIMIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new WeightFileException(file, "no optimizer state in this checkpoint");
        }
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> md = c.metadata();
        if (!Integer.toString(FORMAT_VERSION).equals(md.get("format_version"))) {
            throw new WeightFileException(file, "unknown optimizer state version '" + md.get("format_version")
                    + "' (this build reads " + FORMAT_VERSION + ")");
        }
        long stepCount;
        float lr;
        float[] saved = new float[3];
        String[] keys = {"beta1", "beta2", "eps"};
        try {
            stepCount = Long.parseLong(String.valueOf(md.get("step_count")));
            lr = Float.parseFloat(String.valueOf(md.get("lr")));
            for (int i = 0; i < 3; i++) {
                saved[i] = Float.parseFloat(String.valueOf(md.get(keys[i])));
            }
        } catch (NumberFormatException e) {
            throw new WeightFileException(file, "metadata step_count, lr, beta1, beta2 or eps is missing or not a "
                    + "number: " + md);
        }
        float[] have = {optimizer.beta1(), optimizer.beta2(), optimizer.eps()};
        for (int i = 0; i < 3; i++) {
            if (Float.compare(saved[i], have[i]) != 0) {
                throw new WeightFileException(file, "saved with " + keys[i] + " = " + saved[i]
                        + ", the optimizer has " + have[i]);
            }
        }
        List<String> names = optimizedNames(model, optimizer);
        List<Tensor> params = optimizer.parameters();
        Map<String, LoadedTensor> tensors = c.tensors();
        Set<String> used = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Tensor p = params.get(i);
            for (String prefix : List.of(EXP_AVG, EXP_AVG_SQ)) {
                LoadedTensor t = tensors.get(prefix + name);
                used.add(prefix + name);
                if (t == null) {
                    problems.add(prefix + name + ": missing");
                } else if (t.isInteger() || !Arrays.equals(t.shape(), p.shape())) {
                    problems.add(prefix + name + ": " + t.storedAs() + " " + Shapes.str(t.shape())
                            + ", the parameter is F32 " + Shapes.str(p.shape()));
                } else if (t.nonFinite() != null) {
                    problems.add(prefix + name + ": " + t.nonFinite());
                }
            }
            LoadedTensor step = tensors.get(STEP + name);
            used.add(STEP + name);
            if (step == null) {
                problems.add(STEP + name + ": missing");
            } else if (!step.isInteger() || step.numel() != 1 || step.longs()[0] < 0) {
                problems.add(STEP + name + ": not a non-negative integer scalar");
            }
        }
        for (String name : tensors.keySet()) {
            if (!used.contains(name)) {
                problems.add(name + ": not a parameter of this optimizer");
            }
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(file, "does not fit the optimizer: " + abbreviate(problems));
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            AdamW.State s = optimizer.state(params.get(i));
            s.expAvg().copyFrom(tensors.get(EXP_AVG + name).floats());
            s.expAvgSq().copyFrom(tensors.get(EXP_AVG_SQ + name).floats());
            s.setStep(tensors.get(STEP + name).longs()[0]);
        }
        optimizer.setStepCount(stepCount);
        optimizer.setLr(lr);
    }

    /** The problem part of a {@link WeightFileException}'s message (without the leading file name). */
    static String problem(WeightFileException e) {
        String m = e.getMessage();
        String head = e.file() + ": ";
        return m.startsWith(head) ? m.substring(head.length()) : m;
    }

    private static String abbreviate(List<String> items) {
        int show = Math.min(items.size(), 8);
        String head = String.join("; ", items.subList(0, show));
        return items.size() > show ? head + "; ... (" + (items.size() - show) + " more)" : head;
    }
}
