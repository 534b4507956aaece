package ai.diffiml.io.importers;

import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.io.importers.ImportedWeights.Part;
import ai.diffiml.io.importers.ImportedWeights.Source;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Imports NVlabs SegFormer {@code mit_b*.pth} (a torch.save zip of a bare state dict) into our encoder names:
 * <pre>
 *   patch_embed{n}.proj | .norm          -> patch_embeddings.{n-1}.proj | .layer_norm
 *   block{n}.{j}.norm1 | .norm2          -> block.{n-1}.{j}.layer_norm_1 | .layer_norm_2
 *   block{n}.{j}.attn.q                  -> block.{n-1}.{j}.attention.self.query
 *   block{n}.{j}.attn.kv                 -> rows [0, C) to .attention.self.key, rows [C, 2C) to .value
 *   block{n}.{j}.attn.sr | .attn.norm    -> block.{n-1}.{j}.attention.self.sr | .attention.self.layer_norm
 *   block{n}.{j}.attn.proj               -> block.{n-1}.{j}.attention.output.dense
 *   block{n}.{j}.mlp.fc1 | .fc2          -> block.{n-1}.{j}.mlp.dense1 | .dense2
 *   block{n}.{j}.mlp.dwconv.dwconv       -> block.{n-1}.{j}.mlp.dwconv.dwconv
 *   norm{n}                              -> layer_norm.{n-1}
 *   head.*                               ignored (the ImageNet classifier)
 * </pre>
 * each with {@code .weight} / {@code .bias}, all under {@code segformer.encoder.}. Any other key is refused. The
 * split of the fused key/value projection follows the original's {@code reshape(B, N, 2, heads, C / heads)}: the
 * first C output rows are K, the next C are V.
 */
public final class NvlabsMit {
    private static final Pattern PATCH = Pattern.compile("patch_embed([1-4])\\.(proj|norm)\\.(weight|bias)");
    private static final Pattern BLOCK = Pattern.compile("block([1-4])\\.(\\d+)\\.(norm1|norm2|attn\\.q|attn\\.kv"
            + "|attn\\.proj|attn\\.sr|attn\\.norm|mlp\\.fc1|mlp\\.fc2|mlp\\.dwconv\\.dwconv)\\.(weight|bias)");
    private static final Pattern NORM = Pattern.compile("norm([1-4])\\.(weight|bias)");

    private NvlabsMit() {}

    /** Reads an NVlabs MiT checkpoint and renames its encoder tensors to ours. */
    public static ImportedWeights read(Path file) throws IOException {
        WeightImport.Opened o = WeightImport.open(file);
        return convert(o.tensors(), o.file());
    }

    /** Renames an NVlabs MiT state dict (read from {@code file}) to our names. */
    public static ImportedWeights convert(Map<String, LoadedTensor> state, Path file) throws WeightFileException {
        Renamer r = new Renamer(file, Source.NVLABS_MIT.label());
        for (Map.Entry<String, LoadedTensor> e : Renamer.unwrap(state).entrySet()) {
            String key = e.getKey();
            if (key.startsWith("head.")) {
                r.ignore(key);
            } else if (!rename(key, e.getValue(), key, r)) {
                r.unknown(key);
            }
        }
        r.requireAllRecognised();
        return new ImportedWeights(file, Source.NVLABS_MIT, Part.ENCODER, MitEncoders.variantOf(r.out, file),
                r.out, r.ignored);
    }

    /**
     * Renames one NVlabs encoder key ({@code key}, without any outer prefix; {@code fromKey} is the file's full
     * key, for messages) into {@code r}. Returns false when {@code key} is not an NVlabs encoder key.
     */
    static boolean rename(String key, LoadedTensor t, String fromKey, Renamer r) throws WeightFileException {
        String p = MitEncoders.PREFIX;
        Matcher m = PATCH.matcher(key);
        if (m.matches()) {
            int stage = Integer.parseInt(m.group(1)) - 1;
            String part = m.group(2).equals("proj") ? "proj" : "layer_norm";
            r.put(p + "patch_embeddings." + stage + "." + part + "." + m.group(3), t, fromKey);
            return true;
        }
        m = NORM.matcher(key);
        if (m.matches()) {
            r.put(p + "layer_norm." + (Integer.parseInt(m.group(1)) - 1) + "." + m.group(2), t, fromKey);
            return true;
        }
        m = BLOCK.matcher(key);
        if (!m.matches()) {
            return false;
        }
        String block = p + "block." + (Integer.parseInt(m.group(1)) - 1) + "." + m.group(2) + ".";
        String kind = m.group(4);
        switch (m.group(3)) {
            case "norm1" -> r.put(block + "layer_norm_1." + kind, t, fromKey);
            case "norm2" -> r.put(block + "layer_norm_2." + kind, t, fromKey);
            case "attn.q" -> r.put(block + "attention.self.query." + kind, t, fromKey);
            case "attn.proj" -> r.put(block + "attention.output.dense." + kind, t, fromKey);
            case "attn.sr" -> r.put(block + "attention.self.sr." + kind, t, fromKey);
            case "attn.norm" -> r.put(block + "attention.self.layer_norm." + kind, t, fromKey);
            case "mlp.fc1" -> r.put(block + "mlp.dense1." + kind, t, fromKey);
            case "mlp.fc2" -> r.put(block + "mlp.dense2." + kind, t, fromKey);
            case "mlp.dwconv.dwconv" -> r.put(block + "mlp.dwconv.dwconv." + kind, t, fromKey);
            case "attn.kv" -> {
                LoadedTensor[] kv = splitRows(t, fromKey, r.file());
                r.put(block + "attention.self.key." + kind, kv[0], fromKey);
                r.put(block + "attention.self.value." + kind, kv[1], fromKey);
            }
            default -> throw new IllegalStateException("unhandled " + m.group(3));
        }
        return true;
    }

    /** The first and second half of {@code t}'s rows (dimension 0), each contiguous in row-major order. */
    static LoadedTensor[] splitRows(LoadedTensor t, String key, Path file) throws WeightFileException {
        int[] shape = t.shape();
        if (t.isInteger() || shape.length < 1 || shape[0] % 2 != 0) {
            throw new WeightFileException(file, "'" + key + "' (" + t.storedAs() + " " + Arrays.toString(shape)
                    + ") cannot be split into key and value halves: expected float rows [2C, ...]");
        }
        float[] all = t.floats();
        int half = all.length / 2;
        int[] halfShape = shape.clone();
        halfShape[0] /= 2;
        return new LoadedTensor[] {
            LoadedTensor.ofFloats(key, halfShape, Arrays.copyOfRange(all, 0, half)),
            LoadedTensor.ofFloats(key, halfShape, Arrays.copyOfRange(all, half, all.length))
        };
    }
}
