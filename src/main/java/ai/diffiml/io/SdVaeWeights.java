package ai.diffiml.io;

import ai.diffiml.model.diffiml.SdVaeEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports the Stable Diffusion VAE teacher ({@code stabilityai/sd-vae-ft-mse}, diffusers {@code AutoencoderKL})
 * into an {@link SdVaeEncoder}: from {@code diffusion_pytorch_model.safetensors} or the torch.save
 * {@code diffusion_pytorch_model.bin} (zip format, PyTorch 1.6 and later; read by {@link TorchCheckpoint}'s
 * restricted unpickler). The format is recognised by the file's first bytes, not its name.
 *
 * <p>The file holds the whole autoencoder. The {@code encoder.*} and {@code quant_conv.*} tensors are kept;
 * {@code decoder.*} and {@code post_quant_conv.*} are dropped and listed in the {@link Report}. Two generations of
 * attention names are accepted in the encoder's mid block: diffusers' current {@code to_q}, {@code to_k},
 * {@code to_v}, {@code to_out.0} and the older {@code query}, {@code key}, {@code value}, {@code proj_attn} (what
 * the original sd-vae-ft-mse {@code .bin} uses), which are renamed to the current ones as diffusers'
 * {@code _convert_deprecated_attention_blocks} does. Attention projection weights stored as 1x1 convolutions
 * [C, C, 1, 1] (checkpoints converted from the CompVis layout) are reshaped to [C, C]. Everything else goes through
 * {@link ModuleWeights#load}: every missing, unexpected, wrongly shaped or integer tensor is named, and nothing is
 * copied unless all fit.
 */
public final class SdVaeWeights {
    private static final Pattern OLD_ATTENTION =
            Pattern.compile("^(encoder\\..*\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)\\.(weight|bias)$");
    private static final Pattern ATTENTION_WEIGHT =
            Pattern.compile("^encoder\\..*\\.attentions\\.\\d+\\.(to_q|to_k|to_v|to_out\\.0)\\.weight$");
    private static final Map<String, String> NEW_NAMES =
            Map.of("query", "to_q", "key", "to_k", "value", "to_v", "proj_attn", "to_out.0");
    private static final List<String> IGNORED_PREFIXES = List.of("decoder.", "post_quant_conv.");

    private SdVaeWeights() {}

    /**
     * What an import did. {@code loaded}: tensors copied into the encoder; {@code ignored}: decoder and
     * post_quant_conv tensors of the file that were dropped; {@code renamed}: old attention names, as
     * {@code old -> new}; {@code reshaped}: attention weights that were [C, C, 1, 1] in the file.
     */
    public record Report(Path file, int loaded, long parameters, List<String> ignored, List<String> renamed,
            List<String> reshaped) {
        public Report {
            ignored = List.copyOf(ignored);
            renamed = List.copyOf(renamed);
            reshaped = List.copyOf(reshaped);
        }

        /** One line for logs. */
        public String summary() {
            return file + ": loaded " + loaded + " encoder tensors (" + parameters + " parameters); ignored "
                    + ignored.size() + " decoder/post_quant_conv tensors; renamed " + renamed.size()
                    + " old-style attention tensors; reshaped " + reshaped.size() + " conv-shaped attention weights";
        }
    }

    /** The encoder's weights as taken from a whole-AutoencoderKL file, with what was done to get them. */
    public record Selection(Map<String, LoadedTensor> weights, List<String> ignored, List<String> renamed,
            List<String> reshaped) {
        public Selection {
            ignored = List.copyOf(ignored);
            renamed = List.copyOf(renamed);
            reshaped = List.copyOf(reshaped);
        }
    }

    /** Reads {@code file} (safetensors or torch.save zip) and loads its encoder part into {@code encoder}. */
    public static Report load(SdVaeEncoder encoder, Path file) throws IOException {
        Selection s = select(read(file), file);
        ModuleWeights.load(encoder, s.weights(), file);
        return new Report(file, s.weights().size(), encoder.parameterCount(), s.ignored(), s.renamed(),
                s.reshaped());
    }

    /**
     * All tensors of a weight file, by name: safetensors, or a torch.save zip archive (its state dict, see
     * {@link TorchCheckpoint#stateDict()}). Refuses the legacy (pre-1.6) torch.save format with a clear message.
     */
    public static Map<String, LoadedTensor> read(Path file) throws IOException {
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(file, "no such file", e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
        if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return TorchCheckpoint.loadStateDict(file);
        }
        if (n >= 1 && (head[0] & 0xFF) == 0x80) {
            throw new WeightFileException(file, "a legacy torch.save file (raw pickle, PyTorch < 1.6) is not"
                    + " supported: re-save it with torch.save from PyTorch 1.6 or later, or use the .safetensors file");
        }
        return Safetensors.read(file).tensors();
    }

    /**
     * Keeps the encoder and quant_conv tensors of a whole-AutoencoderKL state dict and normalises their attention
     * names and shapes (see the class comment). Throws when one tensor is present under both its old and its new
     * name. Anything else unusual is left for {@link ModuleWeights#load} to name.
     */
    public static Selection select(Map<String, LoadedTensor> all, Path source) throws WeightFileException {
        Map<String, LoadedTensor> out = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        List<String> renamed = new ArrayList<>();
        List<String> reshaped = new ArrayList<>();
        for (Map.Entry<String, LoadedTensor> e : all.entrySet()) {
            String name = e.getKey();
            if (IGNORED_PREFIXES.stream().anyMatch(name::startsWith)) {
                ignored.add(name);
                continue;
            }
            String target = name;
            Matcher m = OLD_ATTENTION.matcher(name);
            if (m.matches()) {
                target = m.group(1) + NEW_NAMES.get(m.group(2)) + "." + m.group(3);
                renamed.add(name + " -> " + target);
            }
            LoadedTensor t = e.getValue();
            int[] s = t.shape();
            if (ATTENTION_WEIGHT.matcher(target).matches() && s.length == 4 && s[2] == 1 && s[3] == 1
                    && !t.isInteger()) {
                t = LoadedTensor.decoded(target, new int[] {s[0], s[1]}, t.storedAs(), t.floats(), null);
                reshaped.add(target);
            } else {
                t = t.withName(target);
            }
            String earlier = origin.putIfAbsent(target, name);
            if (earlier != null) {
                throw new WeightFileException(source, "'" + earlier + "' and '" + name + "' both give '" + target
                        + "' (old and new attention names mixed)");
            }
            out.put(target, t);
        }
        return new Selection(Collections.unmodifiableMap(out), ignored, renamed, reshaped);
    }
}
