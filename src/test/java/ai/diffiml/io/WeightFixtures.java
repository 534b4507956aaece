package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.backend.Device;
import ai.diffiml.io.PickleWriter.OrderedDict;
import ai.diffiml.io.PickleWriter.Storage;
import ai.diffiml.io.PickleWriter.TensorRef;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;
import ai.diffiml.nn.Module;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Weight files for the checkpoint and importer tests, built here: torch.save zips of state dicts (through
 * {@link PickleWriter} and {@link TorchZip}), random MiT encoders under HuggingFace names, and the NVlabs and
 * IMDL-BenCo names of our tensors, written out rule by rule from the layouts' descriptions (independently of the
 * importers, which go the other way).
 */
final class WeightFixtures {
    private WeightFixtures() {}

    /** Gives each storage of one pickle its own key, as torch.save numbers them. */
    static final class Keys {
        private int next;

        String next() {
            return Integer.toString(next++);
        }
    }

    /** The tensors as a state-dict OrderedDict, one little-endian storage per tensor (F32 or I64). */
    static OrderedDict stateDict(Map<String, LoadedTensor> tensors, Keys keys) {
        OrderedDict sd = new OrderedDict();
        tensors.forEach((name, t) -> sd.put(name, tensorRef(t, keys)));
        return sd;
    }

    static TensorRef tensorRef(LoadedTensor t, Keys keys) {
        int[] shape = t.shape();
        int[] stride = new int[shape.length];
        for (int i = shape.length - 1, s = 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        Storage storage = t.isInteger()
                ? new Storage(keys.next(), "LongStorage", t.numel(), TorchZip.i64(t.longs()))
                : new Storage(keys.next(), "FloatStorage", t.numel(), TorchZip.f32(ByteOrder.LITTLE_ENDIAN,
                        t.floats()));
        return new TensorRef(storage, 0, shape, stride);
    }

    /** Writes {@code obj} as torch.save does (protocol 2, the standard zip layout) to {@code file}. */
    static Path torchSave(Path file, Object obj) throws IOException {
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(obj);
        TorchZip.standard("archive", pickle, w.storages, "little").write(file);
        return file;
    }

    /** The names and shapes of a MiT encoder (our names, under segformer.encoder.) with seeded random values. */
    static Map<String, LoadedTensor> randomEncoder(MitVariant variant, long seed) {
        Rand r = new Rand(seed);
        Map<String, LoadedTensor> out = new LinkedHashMap<>();
        try (MixTransformer m = new MixTransformer(Device.CPU, variant, 1e-6f, 1e-5f, 0)) {
            m.stateDict().forEach((name, t) -> out.put("segformer.encoder." + name,
                    LoadedTensor.ofFloats("segformer.encoder." + name, t.shape(), r.uniform(t.numel(), -1, 1))));
        }
        return out;
    }

    /** Random values of the given shape under {@code name}. */
    static LoadedTensor random(String name, long seed, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return LoadedTensor.ofFloats(name, shape, new Rand(seed).uniform(n, -1, 1));
    }

    // ---- NVlabs names of our encoder tensors ----

    private static final Pattern OUR_PATCH = Pattern.compile("patch_embeddings\\.(\\d)\\.(proj|layer_norm)\\.(\\w+)");
    private static final Pattern OUR_NORM = Pattern.compile("layer_norm\\.(\\d)\\.(\\w+)");
    private static final Pattern OUR_BLOCK = Pattern.compile("block\\.(\\d)\\.(\\d+)\\.(.+)\\.(weight|bias)");
    private static final Map<String, String> NVLABS_BLOCK_PARTS = Map.of(
            "layer_norm_1", "norm1", "layer_norm_2", "norm2", "attention.self.query", "attn.q",
            "attention.output.dense", "attn.proj", "attention.self.sr", "attn.sr",
            "attention.self.layer_norm", "attn.norm", "mlp.dense1", "mlp.fc1", "mlp.dense2", "mlp.fc2",
            "mlp.dwconv.dwconv", "mlp.dwconv.dwconv");

    /**
     * The encoder tensors (ours, under {@code segformer.encoder.}) as NVlabs names them: stages and norms counted
     * from 1, {@code attn.kv} the row-wise concatenation [key; value].
     */
    static Map<String, LoadedTensor> toNvlabs(Map<String, LoadedTensor> ours) {
        Map<String, LoadedTensor> out = new LinkedHashMap<>();
        String prefix = "segformer.encoder.";
        for (Map.Entry<String, LoadedTensor> e : ours.entrySet()) {
            String name = e.getKey().substring(prefix.length());
            LoadedTensor t = e.getValue();
            Matcher m = OUR_PATCH.matcher(name);
            if (m.matches()) {
                int stage = Integer.parseInt(m.group(1)) + 1;
                out.put("patch_embed" + stage + "." + (m.group(2).equals("proj") ? "proj" : "norm") + "."
                        + m.group(3), t);
                continue;
            }
            m = OUR_NORM.matcher(name);
            if (m.matches()) {
                out.put("norm" + (Integer.parseInt(m.group(1)) + 1) + "." + m.group(2), t);
                continue;
            }
            m = OUR_BLOCK.matcher(name);
            if (!m.matches()) {
                throw new IllegalArgumentException("not an encoder tensor: " + e.getKey());
            }
            String block = "block" + (Integer.parseInt(m.group(1)) + 1) + "." + m.group(2) + ".";
            String part = m.group(3), kind = m.group(4);
            if (part.equals("attention.self.key")) {
                LoadedTensor v = ours.get(e.getKey().replace("attention.self.key", "attention.self.value"));
                out.put(block + "attn.kv." + kind, concatRows(t, v));
            } else if (!part.equals("attention.self.value")) {
                String nv = NVLABS_BLOCK_PARTS.get(part);
                if (nv == null) {
                    throw new IllegalArgumentException("no NVlabs name for " + e.getKey());
                }
                out.put(block + nv + "." + kind, t);
            }
        }
        return out;
    }

    static LoadedTensor concatRows(LoadedTensor a, LoadedTensor b) {
        int[] shape = a.shape();
        assertEquals(Arrays.toString(shape), Arrays.toString(b.shape()));
        float[] all = Arrays.copyOf(a.floats(), a.floats().length * 2);
        System.arraycopy(b.floats(), 0, all, a.floats().length, b.floats().length);
        shape[0] *= 2;
        return LoadedTensor.ofFloats("", shape, all);
    }

    // ---- IMDL-BenCo names of a whole DiffIml ----

    /** Our BatchNorm modules in a DiffIml, whose state dicts in PyTorch carry a num_batches_tracked counter. */
    static final String[] BATCH_NORMS = {"cond.linear_fuse.1", "vae.encoder.1", "vae.encoder.4", "vae.encoder.7",
        "vae.decoder.1", "vae.decoder.4", "vae.decoder.7", "vae.decoder.10"};

    /**
     * The release's state dict of a DiffIml with these weights: extractor.backbone (NVlabs names),
     * extractor.linear_*, unet.unet.*, unet.concat, vae.*, and num_batches_tracked after every BatchNorm.
     * {@code legacyAttention} uses diffusers' old mid-block attention names (query, key, value, proj_attn).
     */
    static Map<String, LoadedTensor> toBenco(Map<String, LoadedTensor> ours, boolean legacyAttention) {
        Map<String, LoadedTensor> encoder = new LinkedHashMap<>();
        ours.forEach((k, v) -> {
            if (k.startsWith("segformer.encoder.")) {
                encoder.put(k, v);
            }
        });
        Map<String, LoadedTensor> out = new LinkedHashMap<>();
        toNvlabs(encoder).forEach((k, v) -> out.put("extractor.backbone." + k, v));
        for (Map.Entry<String, LoadedTensor> e : ours.entrySet()) {
            String k = e.getKey();
            if (k.startsWith("segformer.encoder.")) {
                continue;
            }
            String name;
            if (k.startsWith("cond.")) {
                name = "extractor." + k.substring("cond.".length());
            } else if (k.equals("unet.concat.weight")) {
                name = k;
            } else if (k.startsWith("unet.")) {
                name = "unet.unet." + k.substring("unet.".length());
                if (legacyAttention) {
                    name = name.replace(".attentions.0.to_q.", ".attentions.0.query.")
                            .replace(".attentions.0.to_k.", ".attentions.0.key.")
                            .replace(".attentions.0.to_v.", ".attentions.0.value.")
                            .replace(".attentions.0.to_out.0.", ".attentions.0.proj_attn.");
                }
            } else if (k.startsWith("vae.")) {
                name = k;
            } else {
                throw new IllegalArgumentException("no release name for " + k);
            }
            out.put(name, e.getValue());
            for (String bn : BATCH_NORMS) {
                String releaseBn = bn.startsWith("cond.") ? "extractor." + bn.substring(5) : bn;
                if (k.equals(bn + ".running_var")) {
                    out.put(releaseBn + ".num_batches_tracked",
                            LoadedTensor.ofLongs("", new int[0], new long[] {12345}));
                }
            }
        }
        return out;
    }

    // ---- modules ----

    /** Host copies of a module's tensors. */
    static Map<String, float[]> values(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, t) -> out.put(k, t.toArray()));
        return out;
    }

    /** Sets every parameter and buffer of {@code m} to seeded random values (running variances positive). */
    static void randomise(Module m, long seed) {
        Rand r = new Rand(seed);
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            Tensor t = e.getValue();
            t.copyFrom(e.getKey().endsWith("running_var") ? r.uniform(t.numel(), 0.5, 1.5)
                    : r.uniform(t.numel(), -1, 1));
        }
    }

}
