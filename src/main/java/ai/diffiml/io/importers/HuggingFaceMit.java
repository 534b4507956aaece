package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.io.importers.ImportedWeights.Part;
import ai.diffiml.io.importers.ImportedWeights.Source;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Imports HuggingFace {@code nvidia/mit-b0..b5} encoder weights ({@code model.safetensors} or
 * {@code pytorch_model.bin}, a torch.save zip). Their names are ours: {@code segformer.encoder.*} in
 * {@code SegformerForImageClassification} files, bare {@code encoder.*} in {@code SegformerModel} files (given the
 * {@code segformer.} prefix here). {@code classifier.*} (the ImageNet head) and {@code decode_head.*} (a
 * segmentation head) are ignored; any other key is refused. The variant is recognised from the shapes.
 */
public final class HuggingFaceMit {
    private HuggingFaceMit() {}

    /** Reads a HuggingFace MiT file (or a model folder holding one) and renames its encoder tensors to ours. */
    public static ImportedWeights read(Path file) throws IOException {
        WeightImport.Opened o = WeightImport.open(file);
        return convert(o.tensors(), o.file());
    }

    /** Renames a HuggingFace MiT state dict (read from {@code file}) to our names. */
    public static ImportedWeights convert(Map<String, LoadedTensor> state, Path file) throws WeightFileException {
        Renamer r = new Renamer(file, Source.HUGGINGFACE_MIT.label());
        for (Map.Entry<String, LoadedTensor> e : Renamer.unwrap(state).entrySet()) {
            String key = e.getKey();
            if (key.startsWith(MitEncoders.PREFIX)) {
                r.put(key, e.getValue(), key);
            } else if (key.startsWith("encoder.")) {
                r.put("segformer." + key, e.getValue(), key);
            } else if (key.startsWith("classifier.") || key.startsWith("decode_head.")) {
                r.ignore(key);
            } else {
                r.unknown(key);
            }
        }
        r.requireAllRecognised();
        return new ImportedWeights(file, Source.HUGGINGFACE_MIT, Part.ENCODER, MitEncoders.variantOf(r.out, file),
                r.out, r.ignored);
    }
}
