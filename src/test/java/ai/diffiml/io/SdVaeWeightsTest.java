package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.PickleWriter.OrderedDict;
import ai.diffiml.io.PickleWriter.Storage;
import ai.diffiml.io.PickleWriter.TensorRef;
import ai.diffiml.model.diffiml.SdVaeEncoder;
import ai.diffiml.nn.Init;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sd-vae-ft-mse importer on whole-AutoencoderKL files written here (safetensors and torch.save zip): encoder
 * and quant_conv kept, decoder and post_quant_conv dropped, both attention namings, 1x1-conv-shaped attention
 * weights, and every mismatch named.
 */
class SdVaeWeightsTest {
    static final SdVaeEncoder.Config TINY = new SdVaeEncoder.Config(3, new int[] {8, 8, 16, 16}, 2, 4, 4);
    static final String ATTN = "encoder.mid_block.attentions.0.";
    static final Map<String, String> OLD = Map.of("to_q", "query", "to_k", "key", "to_v", "value",
            "to_out.0", "proj_attn");

    @TempDir
    Path dir;

    /** The weights of a tiny encoder with every value random (GroupNorm affines included). */
    private static Map<String, LoadedTensor> source() {
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY).init(new Init(1))) {
            Rand r = new Rand(2);
            for (Tensor t : enc.stateDict().values()) {
                t.copyFrom(r.uniform(t.numel(), -1, 1));
            }
            return ModuleWeights.snapshot(enc);
        }
    }

    /**
     * A whole-AutoencoderKL state dict around {@code encoder}: decoder tensors first (as diffusers orders them:
     * encoder, decoder, quant_conv, post_quant_conv), attention names old or new, attention weights [C, C] or
     * [C, C, 1, 1].
     */
    private static List<LoadedTensor> autoencoder(Map<String, LoadedTensor> encoder, boolean oldNames,
            boolean convShaped) {
        Rand r = new Rand(3);
        List<LoadedTensor> out = new ArrayList<>();
        List<LoadedTensor> quant = new ArrayList<>();
        for (LoadedTensor t : encoder.values()) {
            String name = t.name();
            int[] shape = t.shape();
            if (name.startsWith(ATTN) && !name.contains("group_norm")) {
                String proj = name.substring(ATTN.length(), name.lastIndexOf('.'));
                if (oldNames) {
                    name = ATTN + OLD.get(proj) + name.substring(name.lastIndexOf('.'));
                }
                if (convShaped && shape.length == 2) {
                    shape = new int[] {shape[0], shape[1], 1, 1};
                }
            }
            LoadedTensor copy = LoadedTensor.ofFloats(name, shape, t.floats());
            (name.startsWith("quant_conv") ? quant : out).add(copy);
        }
        out.add(LoadedTensor.ofFloats("decoder.conv_in.weight", new int[] {16, 4, 3, 3}, r.uniform(576, -1, 1)));
        out.add(LoadedTensor.ofFloats("decoder.mid_block.attentions.0." + (oldNames ? "query" : "to_q") + ".weight",
                new int[] {16, 16}, r.uniform(256, -1, 1)));
        out.add(LoadedTensor.ofFloats("decoder.conv_out.bias", new int[] {3}, r.uniform(3, -1, 1)));
        out.addAll(quant);
        out.add(LoadedTensor.ofFloats("post_quant_conv.weight", new int[] {4, 4, 1, 1}, r.uniform(16, -1, 1)));
        out.add(LoadedTensor.ofFloats("post_quant_conv.bias", new int[] {4}, r.uniform(4, -1, 1)));
        return out;
    }

    private Path safetensors(String name, List<LoadedTensor> tensors) throws IOException {
        Path file = dir.resolve(name);
        Safetensors.write(file, tensors);
        return file;
    }

    /** The tensors as torch.save pickles a state dict, one contiguous float storage each. */
    private Path torchSave(String name, List<LoadedTensor> tensors) throws IOException {
        OrderedDict sd = new OrderedDict();
        int key = 0;
        for (LoadedTensor t : tensors) {
            int[] shape = t.shape();
            int[] stride = new int[shape.length];
            int s = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = s;
                s *= shape[d];
            }
            Storage storage = new Storage(Integer.toString(key++), "FloatStorage", t.numel(),
                    TorchZip.f32(ByteOrder.LITTLE_ENDIAN, t.floats()));
            sd.put(t.name(), new TensorRef(storage, 0, shape, stride));
        }
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(sd);
        Path file = dir.resolve(name);
        TorchZip.standard("archive", pickle, w.storages, "little").write(file);
        return file;
    }

    private static void assertSameWeights(Map<String, LoadedTensor> expected, SdVaeEncoder enc) {
        Map<String, LoadedTensor> got = ModuleWeights.snapshot(enc);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(got.keySet()));
        expected.forEach((k, t) -> {
            assertArrayEquals(t.shape(), got.get(k).shape(), k);
            assertArrayEquals(t.floats(), got.get(k).floats(), 0f, k);
        });
    }

    @Test
    void newNamesFromSafetensorsLoadEveryEncoderTensorAndDropTheDecoder() throws IOException {
        Map<String, LoadedTensor> src = source();
        Path file = safetensors("diffusion_pytorch_model.safetensors", autoencoder(src, false, false));
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY)) {
            SdVaeWeights.Report report = SdVaeWeights.load(enc, file);
            assertSameWeights(src, enc);
            assertEquals(src.size(), report.loaded());
            assertEquals(enc.parameterCount(), report.parameters());
            assertEquals(List.of("decoder.conv_in.weight", "decoder.mid_block.attentions.0.to_q.weight",
                    "decoder.conv_out.bias", "post_quant_conv.weight", "post_quant_conv.bias"), report.ignored());
            assertTrue(report.renamed().isEmpty());
            assertTrue(report.reshaped().isEmpty());
            assertTrue(report.summary().contains("ignored 5 decoder/post_quant_conv tensors"), report.summary());
        }
    }

    @Test
    void oldAttentionNamesAndConvShapedWeightsLoadTheSameWeights() throws IOException {
        Map<String, LoadedTensor> src = source();
        Path fresh = safetensors("new.safetensors", autoencoder(src, false, false));
        Path old = safetensors("old.safetensors", autoencoder(src, true, true));
        Path bin = torchSave("diffusion_pytorch_model.bin", autoencoder(src, true, false));
        Path binConv = torchSave("conv.bin", autoencoder(src, false, true));
        try (SdVaeEncoder a = new SdVaeEncoder(Device.CPU, TINY); SdVaeEncoder b = new SdVaeEncoder(Device.CPU, TINY);
                SdVaeEncoder c = new SdVaeEncoder(Device.CPU, TINY);
                SdVaeEncoder d = new SdVaeEncoder(Device.CPU, TINY)) {
            SdVaeWeights.load(a, fresh);
            SdVaeWeights.Report rb = SdVaeWeights.load(b, old);
            SdVaeWeights.Report rc = SdVaeWeights.load(c, bin);
            SdVaeWeights.Report rd = SdVaeWeights.load(d, binConv);
            for (SdVaeEncoder e : List.of(a, b, c, d)) {
                assertSameWeights(src, e);
            }
            assertEquals(List.of(ATTN + "query.weight -> " + ATTN + "to_q.weight",
                    ATTN + "query.bias -> " + ATTN + "to_q.bias",
                    ATTN + "key.weight -> " + ATTN + "to_k.weight",
                    ATTN + "key.bias -> " + ATTN + "to_k.bias",
                    ATTN + "value.weight -> " + ATTN + "to_v.weight",
                    ATTN + "value.bias -> " + ATTN + "to_v.bias",
                    ATTN + "proj_attn.weight -> " + ATTN + "to_out.0.weight",
                    ATTN + "proj_attn.bias -> " + ATTN + "to_out.0.bias"), rb.renamed());
            List<String> reshaped = List.of(ATTN + "to_q.weight", ATTN + "to_k.weight", ATTN + "to_v.weight",
                    ATTN + "to_out.0.weight");
            assertEquals(reshaped, rb.reshaped());
            assertEquals(8, rc.renamed().size());
            assertTrue(rc.reshaped().isEmpty());
            assertTrue(rd.renamed().isEmpty());
            assertEquals(reshaped, rd.reshaped());
            // The decoder's old-style name is dropped with the decoder, not renamed.
            assertTrue(rc.ignored().contains("decoder.mid_block.attentions.0.query.weight"), rc.ignored().toString());

            // Same weights, same teacher latents.
            try (Scope scope = Scope.open()) {
                Tensor mask = new Rand(5).tensorIn(-1, 1, 1, 1, 16, 16);
                assertArrayEquals(a.posteriorMean(mask).toArray(), c.posteriorMean(mask).toArray(), 0f);
            }
        }
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreAllNamedAndNothingIsCopied() throws IOException {
        Map<String, LoadedTensor> src = source();
        List<LoadedTensor> tensors = new ArrayList<>();
        for (LoadedTensor t : autoencoder(src, false, false)) {
            if (t.name().equals("encoder.conv_in.bias")) {
                continue;
            }
            if (t.name().equals("encoder.conv_out.bias")) {
                t = LoadedTensor.ofFloats(t.name(), new int[] {9}, new float[9]);
            }
            tensors.add(t);
        }
        tensors.add(LoadedTensor.ofFloats("encoder.down_blocks.3.downsamplers.0.conv.weight", new int[] {16, 16, 3, 3},
                new float[16 * 16 * 9]));
        // A 3x3 "attention" weight is not a 1x1 conv: it is not reshaped, and is reported as a shape mismatch.
        tensors.replaceAll(t -> t.name().equals(ATTN + "to_k.weight")
                ? LoadedTensor.ofFloats(t.name(), new int[] {16, 16, 3, 3}, new float[16 * 16 * 9]) : t);
        Path file = safetensors("bad.safetensors", tensors);
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY).init(new Init(4))) {
            Map<String, LoadedTensor> before = ModuleWeights.snapshot(enc);
            WeightFileException e = assertThrows(WeightFileException.class, () -> SdVaeWeights.load(enc, file));
            String msg = e.getMessage();
            assertTrue(msg.startsWith(file.toString()), msg);
            assertTrue(msg.contains("1 missing: encoder.conv_in.bias"), msg);
            assertTrue(msg.contains("1 unexpected: encoder.down_blocks.3.downsamplers.0.conv.weight"), msg);
            assertTrue(msg.contains("encoder.conv_out.bias: shape [9] in the file, [8] in the model"), msg);
            assertTrue(msg.contains(ATTN + "to_k.weight: shape [16, 16, 3, 3] in the file, [16, 16] in the model"),
                    msg);
            assertFalse(msg.contains("decoder"), "decoder tensors are not unexpected: " + msg);
            assertSameWeights(before, enc);
        }
    }

    @Test
    void oldAndNewNameForOneTensorIsRefused() throws IOException {
        List<LoadedTensor> tensors = autoencoder(source(), false, false);
        tensors.add(LoadedTensor.ofFloats(ATTN + "value.bias", new int[] {16}, new float[16]));
        Path file = safetensors("mixed.safetensors", tensors);
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY)) {
            WeightFileException e = assertThrows(WeightFileException.class, () -> SdVaeWeights.load(enc, file));
            assertTrue(e.getMessage().contains("'" + ATTN + "to_v.bias' and '" + ATTN + "value.bias' both give '"
                    + ATTN + "to_v.bias'"), e.getMessage());
        }
    }

    @Test
    void unreadableFilesAreNamed() throws IOException {
        try (SdVaeEncoder enc = new SdVaeEncoder(Device.CPU, TINY)) {
            Path missing = dir.resolve("absent.safetensors");
            WeightFileException e = assertThrows(WeightFileException.class, () -> SdVaeWeights.load(enc, missing));
            assertEquals(missing + ": no such file", e.getMessage());

            Path legacy = dir.resolve("legacy.bin");
            Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10});
            e = assertThrows(WeightFileException.class, () -> SdVaeWeights.load(enc, legacy));
            assertTrue(e.getMessage().startsWith(legacy + ": a legacy torch.save file"), e.getMessage());

            Path junk = dir.resolve("junk.safetensors");
            Files.write(junk, new byte[] {1, 2, 3});
            e = assertThrows(WeightFileException.class, () -> SdVaeWeights.load(enc, junk));
            assertTrue(e.getMessage().startsWith(junk.toString()), e.getMessage());
        }
    }

    @Test
    void selectKeepsFileOrderAndOnlyTouchesEncoderAttention() throws WeightFileException {
        Map<String, LoadedTensor> all = new LinkedHashMap<>();
        all.put("quant_conv.bias", LoadedTensor.ofFloats("quant_conv.bias", new int[] {8}, new float[8]));
        all.put("encoder.mid_block.attentions.0.key.weight",
                LoadedTensor.ofFloats("encoder.mid_block.attentions.0.key.weight", new int[] {2, 2, 1, 1},
                        new float[] {1, 2, 3, 4}));
        all.put("encoder.conv_in.weight",
                LoadedTensor.ofFloats("encoder.conv_in.weight", new int[] {2, 2, 1, 1}, new float[] {5, 6, 7, 8}));
        SdVaeWeights.Selection s = SdVaeWeights.select(all, Path.of("x"));
        assertEquals(List.of("quant_conv.bias", ATTN + "to_k.weight", "encoder.conv_in.weight"),
                List.copyOf(s.weights().keySet()));
        assertArrayEquals(new int[] {2, 2}, s.weights().get(ATTN + "to_k.weight").shape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, s.weights().get(ATTN + "to_k.weight").floats());
        assertEquals(ATTN + "to_k.weight", s.weights().get(ATTN + "to_k.weight").name());
        // A real 1x1 conv elsewhere keeps its shape.
        assertArrayEquals(new int[] {2, 2, 1, 1}, s.weights().get("encoder.conv_in.weight").shape());
    }
}
