package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.model.mit.MitVariant;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Weights read from a foreign (or our own) file and renamed to our model's names, ready for
 * {@link ai.diffiml.io.ModuleWeights}.
 *
 * @param file the file they came from
 * @param source which key layout the file used
 * @param part which part of a {@link ai.diffiml.model.diffiml.DiffIml} the tensors fill
 * @param encoderVariant the Mix Transformer variant the encoder tensors have the shapes of; null when the part holds
 *     no encoder
 * @param tensors the tensors under our names ({@code segformer.encoder.*}, {@code cond.*}, {@code unet.*},
 *     {@code vae.*}), in the file's order
 * @param ignored the file's keys that were deliberately left out (classification heads, BatchNorm
 *     {@code num_batches_tracked} counters), in the file's order
 */
public record ImportedWeights(Path file, Source source, Part part, MitVariant encoderVariant,
        Map<String, LoadedTensor> tensors, List<String> ignored) {

    public ImportedWeights {
        tensors = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tensors));
        ignored = List.copyOf(ignored);
    }

    /** The key layouts the importers read. */
    public enum Source {
        /** Our own names (a {@link ai.diffiml.io.Checkpoint}'s model file, the parity weights). */
        DIFFIML("DiffIML (our names)"),
        /** HuggingFace {@code nvidia/mit-b0..b5}: {@code segformer.encoder.*} or bare {@code encoder.*}. */
        HUGGINGFACE_MIT("HuggingFace MiT"),
        /** NVlabs SegFormer {@code mit_b*.pth}: {@code patch_embed1.*}, {@code block1.0.attn.kv.*}, ... */
        NVLABS_MIT("NVlabs MiT"),
        /** The official DiffIML release trained with IMDL-BenCo ({@code checkpoint-N.pth}). */
        BENCO_DIFFIML("IMDL-BenCo DiffIML"),
        /** The official LightVAE weights ({@code light_vae_weights.pth} of {@code train_light_vae.py}). */
        BENCO_LIGHT_VAE("IMDL-BenCo LightVAE");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        /** A short human-readable name of the layout. */
        public String label() {
            return label;
        }
    }

    /** The part of a DiffIml the tensors fill, with the name prefix of that part. */
    public enum Part {
        WHOLE(""),
        ENCODER("segformer.encoder."),
        VAE("vae.");

        private final String prefix;

        Part(String prefix) {
            this.prefix = prefix;
        }

        /** The prefix every tensor name of this part starts with ("" for the whole model). */
        public String prefix() {
            return prefix;
        }
    }
}
