package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.model.mit.MitVariant;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Recognises the Mix Transformer variant of encoder weights (under our names) from their shapes. */
public final class MitEncoders {
    /** Where the encoder's tensors live in a DiffIml. */
    public static final String PREFIX = "segformer.encoder.";
    private static final Pattern BLOCK = Pattern.compile(Pattern.quote(PREFIX) + "block\\.(\\d+)\\.(\\d+)\\..*");

    private MitEncoders() {}

    /**
     * The variant whose stage widths (output channels of {@code patch_embeddings.{s}.proj.weight}) and depths
     * (blocks per stage) these tensors have; throws, naming {@code file} and what was found, when they fit none.
     */
    public static MitVariant variantOf(Map<String, LoadedTensor> tensors, Path file) throws WeightFileException {
        int[] dims = new int[4];
        for (int s = 0; s < 4; s++) {
            String name = PREFIX + "patch_embeddings." + s + ".proj.weight";
            LoadedTensor w = tensors.get(name);
            if (w == null || w.rank() != 4) {
                throw new WeightFileException(file, "no Mix Transformer stage " + s + ": " + name
                        + (w == null ? " is missing" : " has shape " + Arrays.toString(w.shape())));
            }
            dims[s] = w.shape()[0];
        }
        int[] depths = new int[4];
        Set<String> seen = new HashSet<>();
        for (String key : tensors.keySet()) {
            Matcher m = BLOCK.matcher(key);
            if (m.matches() && seen.add(m.group(1) + "." + m.group(2))) {
                int s = Integer.parseInt(m.group(1));
                if (s < 4) {
                    depths[s]++;
                }
            }
        }
        for (MitVariant v : MitVariant.values()) {
            if (Arrays.equals(v.dims(), dims) && Arrays.equals(v.depths(), depths)) {
                return v;
            }
        }
        throw new WeightFileException(file, "Mix Transformer weights with widths " + Arrays.toString(dims)
                + " and depths " + Arrays.toString(depths) + " are none of MiT-b0..b5");
    }

    /** "MiT-b3 (widths 64,128,320,512, depths 3,4,18,3)". */
    public static String describe(MitVariant v) {
        return "MiT-" + v.id() + " (widths " + join(v.dims()) + ", depths " + join(v.depths()) + ")";
    }

    private static String join(int[] a) {
        return Arrays.toString(a).replaceAll("[\\[\\] ]", "");
    }
}
