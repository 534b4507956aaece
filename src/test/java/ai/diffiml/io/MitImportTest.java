package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.importers.HuggingFaceMit;
import ai.diffiml.io.importers.ImportedWeights;
import ai.diffiml.io.importers.ImportedWeights.Part;
import ai.diffiml.io.importers.ImportedWeights.Source;
import ai.diffiml.io.importers.MitEncoders;
import ai.diffiml.io.importers.NvlabsMit;
import ai.diffiml.io.importers.WeightImport;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.mit.MitVariant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Encoder imports: a random MiT-b0 written under HuggingFace names (safetensors and pytorch_model.bin, with and
 * without the {@code segformer.} prefix) and under NVlabs names (fused kv, stages from 1, a classifier head), each
 * imported into a DiffIml's encoder and compared value for value; the rest of the model untouched; variant
 * recognition and refusals naming the file and the tensor.
 */
class MitImportTest {
    @TempDir
    Path dir;

    /** Random MiT-b0 encoder under our (= HuggingFace SegformerForImageClassification) names. */
    static Map<String, LoadedTensor> encoder;

    @BeforeAll
    static void makeEncoder() {
        encoder = WeightFixtures.randomEncoder(MitVariant.B0, 42);
    }

    private static DiffIml model(String variant) {
        DiffIml m = new DiffIml(CheckpointTest.CONFIG.withVariant(variant), Device.CPU);
        WeightFixtures.randomise(m, 5);
        return m;
    }

    /** Imports {@code file} into a fresh b0 model and checks: encoder == {@link #encoder}, everything else kept. */
    private ImportedWeights importAndCheck(Path file, Source source, List<String> ignored) throws IOException {
        try (DiffIml m = model("b0")) {
            Map<String, float[]> before = WeightFixtures.values(m);
            ImportedWeights w = WeightImport.load(file, m);
            assertEquals(source, w.source());
            assertEquals(Part.ENCODER, w.part());
            assertEquals(MitVariant.B0, w.encoderVariant());
            assertEquals(ignored, w.ignored());
            assertEquals(encoder.keySet(), w.tensors().keySet());
            Map<String, float[]> after = WeightFixtures.values(m);
            int encoderTensors = 0;
            for (Map.Entry<String, float[]> e : after.entrySet()) {
                String k = e.getKey();
                if (k.startsWith("segformer.encoder.")) {
                    assertArrayEquals(encoder.get(k).floats(), e.getValue(), 0f, k);
                    encoderTensors++;
                } else {
                    assertArrayEquals(before.get(k), e.getValue(), 0f, k + " must be left as it was");
                }
            }
            assertEquals(encoder.size(), encoderTensors);
            return w;
        }
    }

    @Test
    void importsHuggingFaceSafetensorsIgnoringTheClassifier() throws IOException {
        List<LoadedTensor> file = new ArrayList<>(encoder.values());
        file.add(WeightFixtures.random("classifier.weight", 1, 1000, 256));
        file.add(WeightFixtures.random("classifier.bias", 2, 1000));
        Path path = dir.resolve("model.safetensors");
        Safetensors.write(path, file, Map.of("format", "pt"));
        importAndCheck(path, Source.HUGGINGFACE_MIT, List.of("classifier.weight", "classifier.bias"));
        // The same through the model folder, as a HuggingFace download lays it out.
        importAndCheck(dir, Source.HUGGINGFACE_MIT, List.of("classifier.weight", "classifier.bias"));
        ImportedWeights direct = HuggingFaceMit.read(path);
        assertEquals(encoder.keySet(), direct.tensors().keySet());
    }

    @Test
    void importsHuggingFacePytorchModelBinWithBareEncoderNames() throws IOException {
        // SegformerModel saves its encoder as encoder.*; DataParallel adds module. in front of everything.
        Map<String, LoadedTensor> bare = new LinkedHashMap<>();
        encoder.forEach((k, v) -> bare.put("module." + k.substring("segformer.".length()), v));
        Path path = WeightFixtures.torchSave(dir.resolve("pytorch_model.bin"),
                WeightFixtures.stateDict(bare, new WeightFixtures.Keys()));
        importAndCheck(path, Source.HUGGINGFACE_MIT, List.of());
    }

    @Test
    void importsNvlabsCheckpointsSplittingTheFusedKeyValueProjection() throws IOException {
        Map<String, LoadedTensor> nv = WeightFixtures.toNvlabs(encoder);
        assertTrue(nv.containsKey("block1.0.attn.kv.weight") && nv.containsKey("patch_embed4.norm.bias")
                && nv.containsKey("norm4.weight"), nv.keySet().toString());
        assertArrayEquals(new int[] {64, 32}, nv.get("block1.0.attn.kv.weight").shape());
        nv.put("head.weight", WeightFixtures.random("head.weight", 3, 1000, 256));
        nv.put("head.bias", WeightFixtures.random("head.bias", 4, 1000));
        Path path = WeightFixtures.torchSave(dir.resolve("mit_b0.pth"),
                WeightFixtures.stateDict(nv, new WeightFixtures.Keys()));
        ImportedWeights w = importAndCheck(path, Source.NVLABS_MIT, List.of("head.weight", "head.bias"));

        // The split itself: K is the first C rows of kv, V the next C, for weights and biases.
        float[] kv = nv.get("block3.1.attn.kv.bias").floats();
        float[] k = w.tensors().get("segformer.encoder.block.2.1.attention.self.key.bias").floats();
        float[] v = w.tensors().get("segformer.encoder.block.2.1.attention.self.value.bias").floats();
        assertEquals(160, k.length);
        assertArrayEquals(java.util.Arrays.copyOfRange(kv, 0, 160), k, 0f);
        assertArrayEquals(java.util.Arrays.copyOfRange(kv, 160, 320), v, 0f);
        assertEquals(Source.NVLABS_MIT, NvlabsMit.read(path).source());
    }

    @ParameterizedTest
    @EnumSource(MitVariant.class)
    void recognisesEveryVariantFromItsShapes(MitVariant variant) throws IOException {
        // Only the shapes that tell variants apart: stage widths and the number of blocks per stage.
        Map<String, LoadedTensor> t = new LinkedHashMap<>();
        int[] dims = variant.dims(), depths = variant.depths();
        for (int s = 0; s < 4; s++) {
            String proj = "segformer.encoder.patch_embeddings." + s + ".proj.weight";
            t.put(proj, LoadedTensor.ofFloats(proj, new int[] {dims[s], 1, 1, 1}, new float[dims[s]]));
            for (int j = 0; j < depths[s]; j++) {
                for (String p : List.of(".layer_norm_1.weight", ".mlp.dense1.bias")) {
                    String name = "segformer.encoder.block." + s + "." + j + p;
                    t.put(name, LoadedTensor.ofFloats(name, new int[] {1}, new float[1]));
                }
            }
        }
        assertEquals(variant, MitEncoders.variantOf(t, Path.of("x")));
        t.remove("segformer.encoder.block.2.0.layer_norm_1.weight");
        t.remove("segformer.encoder.block.2.0.mlp.dense1.bias");
        WeightFileException e = assertThrows(WeightFileException.class, () -> MitEncoders.variantOf(t,
                Path.of("x")));
        assertTrue(e.getMessage().contains("none of MiT-b0..b5"), e.getMessage());
    }

    @Test
    void refusesEncoderWeightsOfAnotherVariantThanTheConfig() throws IOException {
        Path path = dir.resolve("b0.safetensors");
        Safetensors.write(path, encoder.values());
        try (DiffIml m = model("b1")) {
            Map<String, float[]> before = WeightFixtures.values(m);
            WeightFileException e = assertThrows(WeightFileException.class, () -> WeightImport.load(path, m));
            assertEquals(path + ": holds MiT-b0 (widths 32,64,160,256, depths 2,2,2,2) encoder weights "
                    + "(HuggingFace MiT) but the model is configured for MiT-b1 (widths 64,128,320,512, depths "
                    + "2,2,2,2)", e.getMessage());
            WeightFixtures.values(m).forEach((k, v) -> assertArrayEquals(before.get(k), v, 0f, k));
        }
    }

    @Test
    void refusesMisshapenMissingOrUnknownEncoderTensorsNamingThem() throws IOException {
        Map<String, LoadedTensor> bad = new LinkedHashMap<>(encoder);
        String dense = "segformer.encoder.block.1.0.mlp.dense1.bias";
        bad.put(dense, WeightFixtures.random(dense, 1, 255));
        bad.remove("segformer.encoder.layer_norm.3.bias");
        Path path = dir.resolve("bad.safetensors");
        Safetensors.write(path, bad.values());
        try (DiffIml m = model("b0")) {
            WeightFileException e = assertThrows(WeightFileException.class, () -> WeightImport.load(path, m));
            String msg = e.getMessage();
            assertTrue(msg.startsWith(path + ": weights do not fit the MixTransformer at 'segformer.encoder.': "),
                    msg);
            assertTrue(msg.contains(dense + ": shape [255] in the file, [256] in the model"), msg);
            assertTrue(msg.contains("1 missing: segformer.encoder.layer_norm.3.bias"), msg);
        }

        Map<String, LoadedTensor> nv = WeightFixtures.toNvlabs(encoder);
        nv.put("block1.0.attn.qkv.weight", WeightFixtures.random("q", 1, 96, 32));
        Path nvPath = WeightFixtures.torchSave(dir.resolve("odd.pth"),
                WeightFixtures.stateDict(nv, new WeightFixtures.Keys()));
        WeightFileException u = assertThrows(WeightFileException.class, () -> WeightImport.read(nvPath));
        assertEquals(nvPath + ": 1 key(s) not recognised as NVlabs MiT weights: block1.0.attn.qkv.weight",
                u.getMessage());

        Map<String, LoadedTensor> oddKv = WeightFixtures.toNvlabs(encoder);
        oddKv.put("block1.0.attn.kv.bias", WeightFixtures.random("kv", 1, 63));
        Path oddPath = WeightFixtures.torchSave(dir.resolve("oddkv.pth"),
                WeightFixtures.stateDict(oddKv, new WeightFixtures.Keys()));
        WeightFileException s = assertThrows(WeightFileException.class, () -> WeightImport.read(oddPath));
        assertTrue(s.getMessage().startsWith(oddPath + ": 'block1.0.attn.kv.bias' (F32 [63]) cannot be split"),
                s.getMessage());
    }

    @Test
    void sniffsTheContainerAndRefusesWhatItCannotRead() throws IOException {
        Path legacy = dir.resolve("old.pth");
        // What torch.save wrote before PyTorch 1.6: a pickled magic number, not a zip.
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46,
            (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, '.'});
        WeightFileException e = assertThrows(WeightFileException.class, () -> WeightImport.read(legacy));
        assertTrue(e.getMessage().startsWith(legacy + ": a torch.save file in the legacy format"), e.getMessage());

        Path junk = dir.resolve("weights.safetensors");
        Files.writeString(junk, "this is not a weight file at all");
        WeightFileException j = assertThrows(WeightFileException.class, () -> WeightImport.read(junk));
        assertEquals(junk + ": neither a safetensors file nor a torch.save zip checkpoint", j.getMessage());

        // A safetensors file named .pth and a zip named .safetensors are read by their content.
        Path misnamed = dir.resolve("really-safetensors.pth");
        Safetensors.write(misnamed, encoder.values());
        assertEquals(Source.HUGGINGFACE_MIT, WeightImport.read(misnamed).source());

        Path unknown = dir.resolve("other.safetensors");
        Safetensors.write(unknown, List.of(WeightFixtures.random("fc.weight", 1, 2, 2)));
        WeightFileException k = assertThrows(WeightFileException.class, () -> WeightImport.read(unknown));
        assertTrue(k.getMessage().startsWith(unknown + ": key layout not recognised"), k.getMessage());
        assertTrue(k.getMessage().contains("first keys: fc.weight"), k.getMessage());

        Path sdVae = dir.resolve("diffusion_pytorch_model.safetensors");
        Safetensors.write(sdVae, List.of(WeightFixtures.random("encoder.conv_in.weight", 1, 4, 3, 3, 3),
                WeightFixtures.random("quant_conv.weight", 2, 8, 8, 1, 1)));
        WeightFileException v = assertThrows(WeightFileException.class, () -> WeightImport.read(sdVae));
        assertTrue(v.getMessage().startsWith(sdVae + ": holds a diffusers AutoencoderKL"), v.getMessage());
        assertTrue(v.getMessage().contains("SdVaeWeights.load"), v.getMessage());

        Path empty = dir.resolve("empty");
        Files.createDirectory(empty);
        WeightFileException f = assertThrows(WeightFileException.class, () -> WeightImport.read(empty));
        assertFalse(f.getMessage().contains("\n"));
        assertTrue(f.getMessage().contains("neither model.safetensors nor pytorch_model.bin"), f.getMessage());
    }
}
