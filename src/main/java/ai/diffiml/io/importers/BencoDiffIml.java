package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.TorchCheckpoint;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.io.importers.ImportedWeights.Part;
import ai.diffiml.io.importers.ImportedWeights.Source;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Imports an official DiffIML checkpoint trained with IMDL-BenCo ({@code checkpoint-N.pth}: a torch.save zip of
 * {@code {'model': state_dict, 'optimizer': ..., 'epoch': N, 'scaler': ..., 'args': Namespace(...)}}; only
 * {@code 'model'} is read, the other entries are tolerated). The release's module tree maps onto ours one to one:
 * <pre>
 *   extractor.backbone.*                 -> segformer.encoder.* (NVlabs MiT names, see {@link NvlabsMit})
 *   extractor.linear_c{1..4}.*           -> cond.linear_c{1..4}.*
 *   extractor.linear_fuse.{0,1}.*        -> cond.linear_fuse.{0,1}.* (3x3 conv, BatchNorm; the ReLU has no weights)
 *   unet.unet.*                          -> unet.* (diffusers UNet2DModel names)
 *   unet.concat.weight                   -> unet.concat.weight
 *   vae.encoder.{i}.* / vae.decoder.{i}.*  -> the same (the LightVAE's nn.Sequential indices)
 *   *.num_batches_tracked                ignored (our BatchNorm keeps no step counter)
 * </pre>
 * The mid-block attention of diffusers releases before the attention-processor rewrite ({@code query},
 * {@code key}, {@code value}, {@code proj_attn}) is renamed to {@code to_q}, {@code to_k}, {@code to_v},
 * {@code to_out.0}. ConvTranspose weights are [Cin, Cout, k, k] in both. Any other key is refused.
 *
 * <p>What the weights cannot tell is checked against the saved {@code args} where present: the LightVAE must use
 * BatchNorm ({@code norm_layer_type}) and ReLU ({@code activation_fn_name}), as ours does; a GroupNorm LightVAE is
 * also recognised from its missing running statistics.
 */
public final class BencoDiffIml {
    private static final Pattern COND = Pattern.compile("extractor\\.(linear_c[1-4]|linear_fuse)\\..*");
    private static final String ATTENTION = "mid_block.attentions.0.";
    private static final Map<String, String> LEGACY_ATTENTION = Map.of("query.", "to_q.", "key.", "to_k.",
            "value.", "to_v.", "proj_attn.", "to_out.0.");

    private BencoDiffIml() {}

    /** Reads an IMDL-BenCo DiffIML checkpoint and renames its model tensors to ours. */
    public static ImportedWeights read(Path file) throws IOException {
        WeightImport.Opened o = WeightImport.open(file);
        ImportedWeights w = convert(o.tensors(), o.file());
        if (o.torch() != null && o.torch().root() instanceof Map<?, ?> top
                && top.get("args") instanceof TorchCheckpoint.Namespace args) {
            checkArgs(args, o.file());
        }
        return w;
    }

    /** Renames the release's model state dict (read from {@code file}) to our names. */
    public static ImportedWeights convert(Map<String, LoadedTensor> state, Path file) throws WeightFileException {
        Renamer r = new Renamer(file, Source.BENCO_DIFFIML.label());
        for (Map.Entry<String, LoadedTensor> e : Renamer.unwrap(state).entrySet()) {
            String key = e.getKey();
            LoadedTensor t = e.getValue();
            if (Renamer.isBatchCounter(key)) {
                r.ignore(key);
            } else if (key.startsWith("extractor.backbone.")) {
                String sub = key.substring("extractor.backbone.".length());
                if (sub.startsWith("head.")) {
                    r.ignore(key);
                } else if (!NvlabsMit.rename(sub, t, key, r)) {
                    r.unknown(key);
                }
            } else if (COND.matcher(key).matches()) {
                r.put("cond." + key.substring("extractor.".length()), t, key);
            } else if (key.equals("unet.concat.weight")) {
                r.put(key, t, key);
            } else if (key.startsWith("unet.unet.")) {
                r.put("unet." + modernAttention(key.substring("unet.unet.".length())), t, key);
            } else if (key.startsWith("vae.encoder.") || key.startsWith("vae.decoder.")) {
                r.put(key, t, key);
            } else {
                r.unknown(key);
            }
        }
        r.requireAllRecognised();
        BencoLightVae.requireBatchNorm(r.out, "vae.", file);
        return new ImportedWeights(file, Source.BENCO_DIFFIML, Part.WHOLE, MitEncoders.variantOf(r.out, file),
                r.out, r.ignored);
    }

    /** diffusers' pre-0.15 mid-block attention names to the current ones; everything else unchanged. */
    private static String modernAttention(String name) {
        if (name.startsWith(ATTENTION)) {
            String rest = name.substring(ATTENTION.length());
            for (Map.Entry<String, String> e : LEGACY_ATTENTION.entrySet()) {
                if (rest.startsWith(e.getKey())) {
                    return ATTENTION + e.getValue() + rest.substring(e.getKey().length());
                }
            }
        }
        return name;
    }

    /** Refuses a release trained with a LightVAE this model cannot reproduce (SiLU or GroupNorm). */
    static void checkArgs(TorchCheckpoint.Namespace args, Path file) throws WeightFileException {
        Object act = args.attributes().get("activation_fn_name");
        if (act != null && !"relu".equalsIgnoreCase(String.valueOf(act))) {
            throw new WeightFileException(file, "trained with LightVAE activation '" + act
                    + "' (args.activation_fn_name); this model's LightVAE uses ReLU");
        }
        Object norm = args.attributes().get("norm_layer_type");
        if (norm != null && !"BatchNorm".equals(String.valueOf(norm))) {
            throw new WeightFileException(file, "trained with LightVAE norm '" + norm
                    + "' (args.norm_layer_type); this model's LightVAE uses BatchNorm");
        }
    }
}
