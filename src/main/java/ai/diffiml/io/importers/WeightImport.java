package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.Safetensors;
import ai.diffiml.io.TorchCheckpoint;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.io.importers.ImportedWeights.Source;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One entry point for every weight file the project reads: sniffs the container from the first bytes (a zip is a
 * torch.save checkpoint, an 8-byte header length followed by '{' a safetensors file), recognises the key layout
 * (see {@link Source}), renames to our names and loads into the matching part of a {@link DiffIml}: the encoder
 * for MiT weights (HuggingFace or NVlabs), the LightVAE for LightVAE weights, the whole model for IMDL-BenCo
 * DiffIML checkpoints and our own names. Parts not in the file are left as they were.
 *
 * <p>A folder is read through the weight file it holds: {@code model.safetensors} (a HuggingFace model folder, or
 * one of our checkpoints), else {@code pytorch_model.bin}. torch.save files of the legacy (pre-1.6, non-zip)
 * format are refused with a message saying so.
 */
public final class WeightImport {
    private static final Pattern NVLABS_BLOCK = Pattern.compile("block[1-4]\\.\\d+\\..*");

    private WeightImport() {}

    /** A weight file's tensors as stored, and the checkpoint object when it was a torch.save zip. */
    record Opened(Path file, Map<String, LoadedTensor> tensors, TorchCheckpoint torch) {}

    /** Reads a safetensors file or a torch.save zip (sniffed, not guessed from the name), or a model folder. */
    static Opened open(Path path) throws IOException {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = null;
            for (String name : List.of("model.safetensors", "pytorch_model.bin")) {
                if (Files.isRegularFile(path.resolve(name))) {
                    file = path.resolve(name);
                    break;
                }
            }
            if (file == null) {
                throw new WeightFileException(path, "folder holds neither model.safetensors nor pytorch_model.bin");
            }
        }
        if (!Files.isRegularFile(file)) {
            throw new WeightFileException(file, Files.exists(file) ? "not a regular file" : "no such file");
        }
        byte[] head = new byte[9];
        int n;
        long size;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
            size = Files.size(file);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            TorchCheckpoint ck = TorchCheckpoint.read(file);
            return new Opened(file, ck.stateDict(), ck);
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            throw new WeightFileException(file, "a torch.save file in the legacy format of PyTorch before 1.6 (a bare"
                    + " pickle, not a zip), which is not supported: load it in PyTorch and save it again");
        }
        if (n == 9 && head[8] == '{') {
            long headerLen = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLen > 0 && headerLen <= size - 8) {
                return new Opened(file, Safetensors.read(file).tensors(), null);
            }
        }
        throw new WeightFileException(file, "neither a safetensors file nor a torch.save zip checkpoint");
    }

    /** The key layout of a state dict (wrapper prefixes already removed), or a one-line error naming the file. */
    static Source detect(Map<String, LoadedTensor> state, Path file) throws WeightFileException {
        if (any(state, k -> k.startsWith("extractor.backbone.") || k.startsWith("unet.unet."))) {
            return Source.BENCO_DIFFIML;
        }
        boolean encoder = any(state, k -> k.startsWith(MitEncoders.PREFIX));
        if (encoder && any(state, k -> k.startsWith("cond.") || k.startsWith("unet.") || k.startsWith("vae."))) {
            return Source.DIFFIML;
        }
        if (encoder || any(state, k -> k.startsWith("encoder.patch_embeddings."))) {
            return Source.HUGGINGFACE_MIT;
        }
        if (any(state, k -> k.startsWith("patch_embed1.") || NVLABS_BLOCK.matcher(k).matches())) {
            return Source.NVLABS_MIT;
        }
        if (any(state, k -> k.startsWith("encoder.0.")) && any(state, k -> k.startsWith("decoder.0."))) {
            return Source.BENCO_LIGHT_VAE;
        }
        if (any(state, k -> k.startsWith("quant_conv.") || k.startsWith("encoder.conv_in."))) {
            throw new WeightFileException(file, "holds a diffusers AutoencoderKL (the Stable Diffusion VAE teacher),"
                    + " which is no part of a DiffIml: load it into an SdVaeEncoder with SdVaeWeights.load");
        }
        List<String> first = new ArrayList<>(state.keySet()).subList(0, Math.min(5, state.size()));
        throw new WeightFileException(file, "key layout not recognised as DiffIML, HuggingFace MiT, NVlabs MiT, "
                + "IMDL-BenCo DiffIML or LightVAE weights (" + state.size() + " tensors; first keys: "
                + String.join(", ", first) + ")");
    }

    private static boolean any(Map<String, LoadedTensor> state, Predicate<String> p) {
        return state.keySet().stream().anyMatch(p);
    }

    /** Reads {@code path} (file or model folder) and renames its tensors to ours, whatever its layout. */
    public static ImportedWeights read(Path path) throws IOException {
        Opened o = open(path);
        Map<String, LoadedTensor> state = Renamer.unwrap(o.tensors());
        ImportedWeights w = switch (detect(state, o.file())) {
            case DIFFIML -> ours(state, o.file());
            case HUGGINGFACE_MIT -> HuggingFaceMit.convert(state, o.file());
            case NVLABS_MIT -> NvlabsMit.convert(state, o.file());
            case BENCO_DIFFIML -> BencoDiffIml.convert(state, o.file());
            case BENCO_LIGHT_VAE -> BencoLightVae.convert(state, o.file());
        };
        if (w.source() == Source.BENCO_DIFFIML && o.torch() != null && o.torch().root() instanceof Map<?, ?> top
                && top.get("args") instanceof TorchCheckpoint.Namespace args) {
            BencoDiffIml.checkArgs(args, o.file());
        }
        return w;
    }

    /** Our own names: kept as they are (BatchNorm counters, if any, ignored). */
    private static ImportedWeights ours(Map<String, LoadedTensor> state, Path file) throws WeightFileException {
        Renamer r = new Renamer(file, Source.DIFFIML.label());
        for (Map.Entry<String, LoadedTensor> e : state.entrySet()) {
            if (Renamer.isBatchCounter(e.getKey())) {
                r.ignore(e.getKey());
            } else {
                r.put(e.getKey(), e.getValue(), e.getKey());
            }
        }
        r.requireAllRecognised();
        return new ImportedWeights(file, Source.DIFFIML, ImportedWeights.Part.WHOLE,
                MitEncoders.variantOf(r.out, file), r.out, r.ignored);
    }

    /**
     * Reads {@code path} (see {@link #read}) and loads it into {@code model}: into the encoder, the LightVAE or the
     * whole model, as the file's layout says. Refuses encoder weights of another Mix Transformer variant than the
     * model's config names, and (through {@link ModuleWeights}) any missing, unexpected or misshapen tensor, before
     * anything is copied. Returns what was imported, with the ignored keys.
     */
    public static ImportedWeights load(Path path, DiffIml model) throws IOException {
        ImportedWeights w = read(path);
        requireVariant(w, model.config().mitVariant());
        switch (w.part()) {
            case WHOLE -> ModuleWeights.load(model, w.tensors(), w.file());
            case ENCODER -> ModuleWeights.load(model.encoder(), w.part().prefix(), w.tensors(), w.file());
            case VAE -> ModuleWeights.load(model.vae(), w.part().prefix(), w.tensors(), w.file());
        }
        return w;
    }

    /**
     * Reads {@code path} (see {@link #read}), which must hold Mix Transformer encoder weights (HuggingFace or NVlabs
     * layout) of {@code encoder}'s variant, and loads them into {@code encoder}: for models other than a
     * {@link DiffIml} that share its encoder (e.g. the discriminative SegFormer). Anything else is refused with a
     * one-line error naming the file.
     */
    public static ImportedWeights loadEncoder(Path path, MixTransformer encoder) throws IOException {
        ImportedWeights w = read(path);
        if (w.part() != ImportedWeights.Part.ENCODER) {
            throw new WeightFileException(w.file(), "holds " + w.source().label() + " weights, not Mix Transformer"
                    + " encoder weights (HuggingFace nvidia/mit-b* or NVlabs mit_b*.pth)");
        }
        requireVariant(w, encoder.variant());
        ModuleWeights.load(encoder, w.part().prefix(), w.tensors(), w.file());
        return w;
    }

    private static void requireVariant(ImportedWeights w, MitVariant want) throws WeightFileException {
        if (w.encoderVariant() != null && w.encoderVariant() != want) {
            throw new WeightFileException(w.file(), "holds " + MitEncoders.describe(w.encoderVariant())
                    + " encoder weights (" + w.source().label() + ") but the model is configured for "
                    + MitEncoders.describe(want));
        }
    }
}
