package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.PickleWriter.Global;
import ai.diffiml.io.PickleWriter.PyObject;
import ai.diffiml.io.PickleWriter.Tuple;
import ai.diffiml.io.importers.BencoDiffIml;
import ai.diffiml.io.importers.BencoLightVae;
import ai.diffiml.io.importers.ImportedWeights;
import ai.diffiml.io.importers.ImportedWeights.Part;
import ai.diffiml.io.importers.ImportedWeights.Source;
import ai.diffiml.io.importers.WeightImport;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Official DiffIML checkpoints: the parity weights renamed to the release's module tree (IMDL-BenCo
 * {@code checkpoint-N.pth} with optimizer, epoch, scaler and an argparse Namespace beside the model) import to
 * exactly the parity tensors and give the reference condition feature; the release's LightVAE file fills the
 * LightVAE only; what our model cannot reproduce (GroupNorm or SiLU LightVAE) and unknown keys are refused.
 */
class BencoImportTest {
    /** The parity reference's configuration (MiT-b0 at 128 px, real UNet and LightVAE widths). */
    static final ModelConfig PARITY = new ModelConfig("b0", 128, 128, 128, 4, 32, 1e-6f, 1e-5f, 0.0, 1000, 8, 2,
            0.1f, 0.2f, true);

    @TempDir
    Path dir;

    static Path parity;
    static Map<String, LoadedTensor> weights;

    @BeforeAll
    static void readParityWeights() throws IOException {
        Path folder = ai.diffiml.testing.SharedData.parityDir();
        Path file = folder == null ? null : folder.resolve("diffiml_b0_128_weights.safetensors");
        Assumptions.assumeTrue(file != null && Files.isRegularFile(file), "no parity weights");
        parity = folder;
        weights = Safetensors.read(file).tensors();
    }

    private static Map<String, Object> args(String activation, String norm) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("model", "DiffIML");
        a.put("backbone", "segformer_b0");
        a.put("batch_size", 16);
        a.put("lr", 1e-4);
        a.put("if_resizing", true);
        a.put("output_dir", "./output_dir");
        a.put("activation_fn_name", activation);
        a.put("norm_layer_type", norm);
        return a;
    }

    /** What IMDL-BenCo's save_model writes: model, optimizer (AdamW state dict), epoch, scaler, args. */
    private Path saveBenco(String name, Map<String, LoadedTensor> release, Map<String, Object> args)
            throws IOException {
        WeightFixtures.Keys keys = new WeightFixtures.Keys();
        Map<Object, Object> state = new LinkedHashMap<>();
        for (int i = 0; i < 2; i++) {
            Map<Object, Object> s = new LinkedHashMap<>();
            s.put("step", WeightFixtures.tensorRef(LoadedTensor.ofFloats("", new int[0], new float[] {120}), keys));
            s.put("exp_avg", WeightFixtures.tensorRef(WeightFixtures.random("", 10 + i, 3, 2), keys));
            s.put("exp_avg_sq", WeightFixtures.tensorRef(WeightFixtures.random("", 20 + i, 3, 2), keys));
            state.put(i, s);
        }
        Map<Object, Object> group = new LinkedHashMap<>();
        group.put("lr", 1e-4);
        group.put("betas", new Tuple(0.9, 0.999));
        group.put("eps", 1e-8);
        group.put("weight_decay", 0.05);
        group.put("amsgrad", false);
        group.put("foreach", null);
        group.put("params", new ArrayList<>(List.of(0, 1)));
        Map<Object, Object> optimizer = new LinkedHashMap<>();
        optimizer.put("state", state);
        optimizer.put("param_groups", new ArrayList<>(List.of(group)));
        Map<Object, Object> scaler = new LinkedHashMap<>();
        scaler.put("scale", 65536.0);
        scaler.put("growth_factor", 2.0);
        scaler.put("backoff_factor", 0.5);
        scaler.put("growth_interval", 2000);
        scaler.put("_growth_tracker", 13);

        Map<Object, Object> top = new LinkedHashMap<>();
        top.put("model", WeightFixtures.stateDict(release, keys));
        top.put("optimizer", optimizer);
        top.put("epoch", 199);
        top.put("scaler", scaler);
        top.put("args", new PyObject(new Global("argparse", "Namespace"), args));
        return WeightFixtures.torchSave(dir.resolve(name), top);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void importsTheReleaseCheckpointToExactlyTheParityWeights(boolean legacyAttention) throws IOException {
        Map<String, LoadedTensor> release = WeightFixtures.toBenco(weights, legacyAttention);
        assertTrue(release.containsKey("extractor.backbone.block1.0.attn.kv.weight"));
        assertTrue(release.containsKey("unet.unet.mid_block.attentions.0."
                + (legacyAttention ? "proj_attn.weight" : "to_out.0.weight")));
        Path file = saveBenco("checkpoint-199.pth", release, args("relu", "BatchNorm"));

        try (DiffIml m = new DiffIml(PARITY, Device.CPU)) {
            ImportedWeights w = WeightImport.load(file, m);
            assertEquals(Source.BENCO_DIFFIML, w.source());
            assertEquals(Part.WHOLE, w.part());
            assertEquals(MitVariant.B0, w.encoderVariant());
            List<String> counters = new ArrayList<>();
            for (String bn : WeightFixtures.BATCH_NORMS) {
                counters.add((bn.startsWith("cond.") ? "extractor." + bn.substring(5) : bn) + ".num_batches_tracked");
            }
            assertEquals(counters.stream().sorted().toList(), w.ignored().stream().sorted().toList());

            Map<String, float[]> got = WeightFixtures.values(m);
            assertEquals(weights.keySet(), got.keySet());
            weights.forEach((k, t) -> assertArrayEquals(t.floats(), got.get(k), 0f, k));

            // And so the model computes what the reference computed: the condition feature of the parity input.
            Map<String, LoadedTensor> io = Safetensors.read(parity.resolve("diffiml_b0_128_io.safetensors"))
                    .tensors();
            m.train(false);
            try (Scope s = Scope.open()) {
                LoadedTensor image = io.get("input.image");
                Tensor cond = m.condition(Tensor.of(Device.CPU, image.floats(), image.shape()));
                double err = Close.relError(cond.toArray(), io.get("cond").floats());
                assertTrue(err <= 1e-4, "condition feature relative error " + err);
            }
        }
        assertEquals(Source.BENCO_DIFFIML, BencoDiffIml.read(file).source());
    }

    @Test
    void importsTheReleaseLightVaeIntoTheLightVaeOnly() throws IOException {
        Map<String, LoadedTensor> vae = new LinkedHashMap<>();
        WeightFixtures.toBenco(weights, false).forEach((k, v) -> {
            if (k.startsWith("vae.")) {
                vae.put(k.substring(4), v);
            }
        });
        Map<Object, Object> top = new LinkedHashMap<>();
        WeightFixtures.Keys keys = new WeightFixtures.Keys();
        top.put("model", WeightFixtures.stateDict(vae, keys));
        top.put("optimizer", Map.of("state", Map.of(), "param_groups", new ArrayList<>()));
        top.put("epoch", 49);
        Path file = WeightFixtures.torchSave(dir.resolve("light_vae_weights.pth"), top);

        try (DiffIml m = new DiffIml(PARITY, Device.CPU)) {
            WeightFixtures.randomise(m, 3);
            Map<String, float[]> before = WeightFixtures.values(m);
            ImportedWeights w = WeightImport.load(file, m);
            assertEquals(Source.BENCO_LIGHT_VAE, w.source());
            assertEquals(Part.VAE, w.part());
            assertEquals(null, w.encoderVariant());
            assertEquals(7, w.ignored().size());
            WeightFixtures.values(m).forEach((k, v) -> assertArrayEquals(
                    k.startsWith("vae.") ? weights.get(k).floats() : before.get(k), v, 0f, k));
        }
        assertEquals(Part.VAE, BencoLightVae.read(file).part());
    }

    @Test
    void refusesALightVaeOurModelCannotReproduce() throws IOException {
        Map<String, LoadedTensor> groupNorm = new LinkedHashMap<>(WeightFixtures.toBenco(weights, false));
        groupNorm.keySet().removeIf(k -> k.startsWith("vae.") && (k.contains("running_") || k.contains("num_batches")));
        Path gn = saveBenco("gn.pth", groupNorm, args("relu", "BatchNorm"));
        WeightFileException e = assertThrows(WeightFileException.class, () -> WeightImport.read(gn));
        assertTrue(e.getMessage().startsWith(gn + ": the LightVAE uses GroupNorm (vae.encoder.1.weight has no "
                + "running statistics)"), e.getMessage());

        Path silu = saveBenco("silu.pth", WeightFixtures.toBenco(weights, false), args("silu", "BatchNorm"));
        WeightFileException f = assertThrows(WeightFileException.class, () -> WeightImport.read(silu));
        assertEquals(silu + ": trained with LightVAE activation 'silu' (args.activation_fn_name); this model's "
                + "LightVAE uses ReLU", f.getMessage());

        Path gnArgs = saveBenco("gnargs.pth", WeightFixtures.toBenco(weights, false), args("relu", "GroupNorm"));
        WeightFileException g = assertThrows(WeightFileException.class, () -> BencoDiffIml.read(gnArgs));
        assertTrue(g.getMessage().contains("LightVAE norm 'GroupNorm'"), g.getMessage());
    }

    @Test
    void refusesUnknownKeysAndMisshapenTensorsNamingThem() throws IOException {
        Map<String, LoadedTensor> extra = new LinkedHashMap<>(WeightFixtures.toBenco(weights, false));
        extra.put("extractor.linear_c5.weight", WeightFixtures.random("x", 1, 2, 2));
        extra.put("unet.time_proj.freqs", WeightFixtures.random("y", 1, 4));
        Path file = saveBenco("extra.pth", extra, args("relu", "BatchNorm"));
        WeightFileException e = assertThrows(WeightFileException.class, () -> WeightImport.read(file));
        assertEquals(file + ": 2 key(s) not recognised as IMDL-BenCo DiffIML weights: "
                + "extractor.linear_c5.weight, unet.time_proj.freqs", e.getMessage());

        Map<String, LoadedTensor> wide = new LinkedHashMap<>(WeightFixtures.toBenco(weights, false));
        wide.put("unet.concat.weight", WeightFixtures.random("c", 1, 128, 320, 3, 3));
        Path widePath = saveBenco("wide.pth", wide, args("relu", "BatchNorm"));
        try (DiffIml m = new DiffIml(PARITY, Device.CPU)) {
            WeightFileException f = assertThrows(WeightFileException.class, () -> WeightImport.load(widePath, m));
            assertTrue(f.getMessage().startsWith(widePath + ": weights do not fit the DiffIml model: "
                    + "unet.concat.weight: shape [128, 320, 3, 3] in the file, [128, 256, 3, 3] in the model"),
                    f.getMessage());
        }
    }

    @Test
    void importsOurOwnNamesAsTheWholeModel() throws IOException {
        // The parity file itself is in our names: the whole model, nothing ignored.
        Path file = parity.resolve("diffiml_b0_128_weights.safetensors");
        try (DiffIml m = new DiffIml(PARITY, Device.CPU)) {
            ImportedWeights w = WeightImport.load(file, m);
            assertEquals(Source.DIFFIML, w.source());
            assertEquals(Part.WHOLE, w.part());
            assertEquals(List.of(), w.ignored());
            WeightFixtures.values(m).forEach((k, v) -> assertArrayEquals(weights.get(k).floats(), v, 0f, k));
        }
        try (DiffIml b1 = new DiffIml(PARITY.withVariant("b1"), Device.CPU)) {
            WeightFileException e = assertThrows(WeightFileException.class, () -> WeightImport.load(file, b1));
            assertTrue(e.getMessage().contains("holds MiT-b0"), e.getMessage());
        }
    }
}
