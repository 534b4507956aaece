package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.io.importers.ImportedWeights.Part;
import ai.diffiml.io.importers.ImportedWeights.Source;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Imports the official LightVAE weights ({@code light_vae_weights.pth} or {@code light_vae_epoch_N.pth} of the
 * release's {@code train_light_vae.py}: a torch.save zip of {@code {'model': state_dict, 'optimizer': ...,
 * 'epoch': N}}) into our {@code vae.*}: the release's {@code encoder.{i}} / {@code decoder.{i}} nn.Sequential
 * indices are our names under {@code vae.}; {@code num_batches_tracked} counters are ignored; any other key is
 * refused. Only the BatchNorm LightVAE is supported (a GroupNorm one has no running statistics and is refused).
 */
public final class BencoLightVae {
    /** The first normalisation layer of the encoder, whose running statistics tell BatchNorm from GroupNorm. */
    private static final String FIRST_NORM = "encoder.1.";

    private BencoLightVae() {}

    /** Reads a LightVAE checkpoint and renames its tensors to our {@code vae.*}. */
    public static ImportedWeights read(Path file) throws IOException {
        WeightImport.Opened o = WeightImport.open(file);
        return convert(o.tensors(), o.file());
    }

    /** Renames a LightVAE state dict (read from {@code file}) to our names. */
    public static ImportedWeights convert(Map<String, LoadedTensor> state, Path file) throws WeightFileException {
        Renamer r = new Renamer(file, Source.BENCO_LIGHT_VAE.label());
        for (Map.Entry<String, LoadedTensor> e : Renamer.unwrap(state).entrySet()) {
            String key = e.getKey();
            if (Renamer.isBatchCounter(key)) {
                r.ignore(key);
            } else if (key.startsWith("encoder.") || key.startsWith("decoder.")) {
                r.put("vae." + key, e.getValue(), key);
            } else {
                r.unknown(key);
            }
        }
        r.requireAllRecognised();
        requireBatchNorm(r.out, "vae.", file);
        return new ImportedWeights(file, Source.BENCO_LIGHT_VAE, Part.VAE, null, r.out, r.ignored);
    }

    /** Refuses a LightVAE whose norms are GroupNorm: affine weights without running statistics. */
    static void requireBatchNorm(Map<String, LoadedTensor> ours, String prefix, Path file)
            throws WeightFileException {
        String norm = prefix + FIRST_NORM;
        if (ours.containsKey(norm + "weight") && !ours.containsKey(norm + "running_mean")) {
            throw new WeightFileException(file, "the LightVAE uses GroupNorm (" + norm + "weight has no running "
                    + "statistics); this model's LightVAE uses BatchNorm (norm_layer_type='BatchNorm')");
        }
    }
}
