package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.ModelConfigs;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checkpoint folder: a bit-exact round trip of weights, config, progress and AdamW state; atomic replacement
 * (a failure at any stage of a save leaves the previous checkpoint as it was and no temporary files); one-line
 * errors naming the file for bad JSON, unknown versions, config/weights disagreements, missing or misshapen
 * tensors.
 */
class CheckpointTest {
    /** A small DiffIml: MiT-b0 (real widths), narrow condition head, UNet and LightVAE. */
    static final ModelConfig CONFIG = new ModelConfig("b0", 64, 16, 32, 4, 8, 1e-6f, 1e-5f, 0.1, 1000, 4, 2, 0.1f,
            0.2f, true);

    @TempDir
    Path dir;

    @AfterEach
    void noFaults() {
        Checkpoint.faults = stage -> {};
    }

    /** A model with every parameter and buffer random (BatchNorm running statistics included). */
    private static DiffIml model(long seed) {
        DiffIml m = new DiffIml(CONFIG, Device.CPU);
        WeightFixtures.randomise(m, seed);
        return m;
    }

    /** AdamW over all but the LightVAE (frozen), after two steps in which one parameter had no gradient. */
    private static AdamW trainedOptimizer(DiffIml m, long seed) {
        m.vae().namedParameters().values().forEach(p -> p.requiresGrad(false));
        AdamW opt = new AdamW(AdamW.decayGroups(m.namedParameters(), 0.05f), 1e-3f);
        Rand r = new Rand(seed);
        for (int step = 0; step < 2; step++) {
            List<Tensor> params = opt.parameters();
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (step == 1 && i == 3) {
                    continue; // this one is updated once only: its step count differs from the others
                }
                p.setGrad(Tensor.of(Device.CPU, r.uniform(p.numel(), -1, 1), p.shape()));
            }
            opt.step();
            opt.zeroGrad();
        }
        opt.setLr(7.5e-4f);
        return opt;
    }

    private static void assertBitIdentical(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + "[" + i + "]: " + expected[i] + " saved, " + actual[i] + " loaded");
            }
        }
    }

    private static Map<String, String> folderBytes(Path folder) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), java.util.Base64.getEncoder().encodeToString(
                        Files.readAllBytes(p)));
            }
        }
        return out;
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertOneLine(Exception e, Path file, String... parts) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toAbsolutePath().normalize() + ": ") || m.startsWith(file + ": "),
                "'" + m + "' should start with " + file);
        assertFalse(m.contains("\n"), "one line: " + m);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + m + "' should mention '" + p + "'");
        }
    }

    // ---- round trip ----

    @Test
    void roundTripRestoresWeightsBitForBitConfigProgressAndOptimizerState() throws IOException {
        Path ckpt = dir.resolve("run/epoch-3");
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", 0.0123456789);
        metrics.put("f1", Double.NaN);
        try (DiffIml m = model(1); AdamW opt = trainedOptimizer(m, 2)) {
            m.encoder().forwardCount(4242);
            Map<String, float[]> saved = WeightFixtures.values(m);
            Checkpoint.save(ckpt, m, opt, new Checkpoint.Progress(1234, 3, metrics));
            assertEquals(List.of("checkpoint.json", "model.safetensors", "optimizer.safetensors"),
                    folderBytes(ckpt).keySet().stream().toList());

            Checkpoint.Loaded back = Checkpoint.load(ckpt, Device.CPU);
            try (DiffIml m2 = back.model()) {
                assertEquals(CONFIG, m2.config());
                Map<String, float[]> loaded = WeightFixtures.values(m2);
                assertEquals(List.copyOf(saved.keySet()), List.copyOf(loaded.keySet()));
                saved.forEach((k, v) -> assertBitIdentical(k, v, loaded.get(k)));
                assertEquals(4242, m2.encoder().forwardCount());

                Checkpoint.Meta meta = back.meta();
                assertEquals(Checkpoint.FORMAT, meta.format());
                assertEquals(Checkpoint.FORMAT_VERSION, meta.formatVersion());
                assertEquals(1234, meta.step());
                assertEquals(3, meta.epoch());
                assertEquals(metrics, meta.metrics()); // Double.equals: NaN equals NaN
                assertTrue(meta.hasOptimizer());
                assertTrue(Instant.parse(meta.created()).isAfter(Instant.now().minusSeconds(600)));
                assertEquals(saved.size(), meta.tensors().size());
                assertEquals(List.of(32, 3, 7, 7), meta.tensors().stream()
                        .filter(t -> t.name().equals("segformer.encoder.patch_embeddings.0.proj.weight"))
                        .findFirst().orElseThrow().shape());

                m2.vae().namedParameters().values().forEach(p -> p.requiresGrad(false));
                try (AdamW opt2 = new AdamW(AdamW.decayGroups(m2.namedParameters(), 0.05f), 1e-3f)) {
                    Checkpoint.loadOptimizer(ckpt, m2, opt2);
                    assertEquals(opt.stepCount(), opt2.stepCount());
                    assertEquals(2, opt2.stepCount());
                    assertEquals(7.5e-4f, opt2.lr());
                    List<Tensor> p1 = opt.parameters(), p2 = opt2.parameters();
                    assertEquals(p1.size(), p2.size());
                    int onceOnly = 0;
                    for (int i = 0; i < p1.size(); i++) {
                        AdamW.State a = opt.state(p1.get(i)), b = opt2.state(p2.get(i));
                        assertEquals(a.step(), b.step(), "step of parameter " + i);
                        onceOnly += b.step() == 1 ? 1 : 0;
                        assertBitIdentical("exp_avg " + i, a.expAvg().toArray(), b.expAvg().toArray());
                        assertBitIdentical("exp_avg_sq " + i, a.expAvgSq().toArray(), b.expAvgSq().toArray());
                    }
                    assertEquals(1, onceOnly, "the parameter skipped in the second step");
                }
            }
        }
    }

    @Test
    void savingWithoutAnOptimizerWritesNoOptimizerFile() throws IOException {
        Path ckpt = dir.resolve("weights-only");
        try (DiffIml m = model(3)) {
            Checkpoint.save(ckpt, m, null, Checkpoint.Progress.of(0, 0));
            assertFalse(Files.exists(ckpt.resolve(Checkpoint.OPTIMIZER_FILE)));
            assertFalse(Checkpoint.readMeta(ckpt).hasOptimizer());
            try (AdamW opt = new AdamW(AdamW.decayGroups(m.namedParameters(), 0f), 1e-3f)) {
                WeightFileException e = assertThrows(WeightFileException.class,
                        () -> Checkpoint.loadOptimizer(ckpt, m, opt));
                assertOneLine(e, ckpt.resolve(Checkpoint.OPTIMIZER_FILE), "no optimizer state");
            }
        }
    }

    @Test
    void modelConfigRoundTripsThroughJsonAndModelConfigsReadsTheCheckpoint() throws IOException {
        for (ModelConfig c : List.of(ModelConfig.paper(), CONFIG, ModelConfig.paper().withVariant("b5")
                .withResolution(1024).withSampling(10, 7))) {
            String json = Json.MAPPER.writeValueAsString(c);
            assertEquals(c, Json.parse(Path.of("inline.json"), json.getBytes(StandardCharsets.UTF_8),
                    ModelConfig.class), json);
            Path file = dir.resolve("config-" + c.variant() + ".json");
            Files.writeString(file, json);
            assertEquals(c, ModelConfigs.read(file), "the config reader of the CLI reads the same form");
        }
        // info --model accepts a checkpoint folder: it reads the config this format embeds.
        Path ckpt = dir.resolve("ckpt");
        try (DiffIml m = model(12)) {
            Checkpoint.save(ckpt, m, null, Checkpoint.Progress.of(0, 0));
        }
        assertEquals(CONFIG, ModelConfigs.read(ckpt));

        String good = Json.MAPPER.writeValueAsString(CONFIG);
        Path src = Path.of("cfg.json");
        String[][] bad = {
            {good.replace("\"resolution\" : 64", "\"resolution\" : \"64\""), "resolution"},
            {good.replace("\"resolution\" : 64", "\"resolution\" : 64.5"), "resolution"},
            {good.replace("\"resolution\" : 64,", ""), "resolution"},
            {good.replace("\"variant\" : \"b0\"", "\"variant\" : \"b9\""), "unknown Mix Transformer variant 'b9'"},
            {good.replace("\"resolution\" : 64", "\"resolution\" : 100"), "multiple of 32"},
            {good.replace("{", "{ \"colour\" : 1,"), "colour"},
            {good.replace("{", "{ \"variant\" : \"b1\","), "Duplicate field 'variant'"},
            {good.substring(0, good.length() / 2), "invalid JSON"},
        };
        for (String[] b : bad) {
            WeightFileException e = assertThrows(WeightFileException.class,
                    () -> Json.parse(src, b[0].getBytes(StandardCharsets.UTF_8), ModelConfig.class), b[0]);
            assertOneLine(e, src, b[1]);
        }
    }

    // ---- atomic replacement ----

    @ParameterizedTest
    @ValueSource(strings = {"model", "optimizer", "meta", "swap", "model-unchecked"})
    void aFailedSaveLeavesThePreviousCheckpointIntactAndNoTemporaryFiles(String stage) throws IOException {
        Path ckpt = dir.resolve("ckpt");
        try (DiffIml m = model(4); AdamW opt = trainedOptimizer(m, 5)) {
            Checkpoint.save(ckpt, m, opt, Checkpoint.Progress.of(10, 1));
            Map<String, String> before = folderBytes(ckpt);

            WeightFixtures.randomise(m, 6); // different weights: a half-written replacement would show
            String at = stage.replace("-unchecked", "");
            Checkpoint.faults = s -> {
                if (s.equals(at)) {
                    if (stage.endsWith("-unchecked")) {
                        throw new UncheckedIOException(new IOException("disk vanished at " + s));
                    }
                    throw new IOException("disk full at " + s);
                }
            };
            Exception e = assertThrows(Exception.class,
                    () -> Checkpoint.save(ckpt, m, opt, Checkpoint.Progress.of(20, 2)));
            if (e instanceof WeightFileException w) {
                assertOneLine(w, ckpt, "checkpoint not saved", "disk full at " + at);
            } else {
                assertTrue(e instanceof UncheckedIOException, e.toString());
            }
            Checkpoint.faults = s -> {};

            assertEquals(List.of("ckpt"), listing(), "no temporary folder or file is left");
            assertEquals(before, folderBytes(ckpt), "the previous checkpoint is byte for byte as it was");
            Checkpoint.Loaded back = Checkpoint.load(ckpt, Device.CPU);
            try (DiffIml m2 = back.model()) {
                assertEquals(10, back.meta().step());
            }
        }
    }

    @Test
    void aCrashBetweenTheTwoRenamesIsReadFromTheDisplacedCheckpointAndRepairedByTheNextSave()
            throws IOException {
        Path ckpt = dir.resolve("ckpt");
        try (DiffIml m = model(7)) {
            Checkpoint.save(ckpt, m, null, Checkpoint.Progress.of(1, 0));
            // The state a power cut leaves between "rename the old checkpoint aside" and "rename the new one in":
            // no ckpt, the old one under its temporary name, and a written (here: half-written) new folder.
            Files.move(ckpt, Checkpoint.previousOf(ckpt));
            Files.createDirectory(Checkpoint.partialOf(ckpt));
            Files.write(Checkpoint.partialOf(ckpt).resolve(Checkpoint.MODEL_FILE), new byte[] {1, 2, 3});

            Checkpoint.Loaded old = Checkpoint.load(ckpt, Device.CPU);
            old.model().close();
            assertEquals(1, old.meta().step());

            Checkpoint.save(ckpt, m, null, Checkpoint.Progress.of(2, 0));
            assertEquals(List.of("ckpt"), listing());
            Checkpoint.Loaded now = Checkpoint.load(ckpt, Device.CPU);
            now.model().close();
            assertEquals(2, now.meta().step());
        }
    }

    @Test
    void refusesToReplaceOrDeleteAFolderThatIsNotACheckpoint() throws IOException {
        Path notes = dir.resolve("results");
        Files.createDirectories(notes);
        Files.writeString(notes.resolve("notes.txt"), "mine");
        Path file = dir.resolve("plain-file");
        Files.writeString(file, "mine too");
        try (DiffIml m = model(8)) {
            WeightFileException e = assertThrows(WeightFileException.class,
                    () -> Checkpoint.save(notes, m, null, Checkpoint.Progress.of(0, 0)));
            assertOneLine(e, notes, "notes.txt", "refusing to replace it");
            assertEquals("mine", Files.readString(notes.resolve("notes.txt")));
            WeightFileException f = assertThrows(WeightFileException.class,
                    () -> Checkpoint.save(file, m, null, Checkpoint.Progress.of(0, 0)));
            assertOneLine(f, file, "not a checkpoint folder");
            assertEquals("mine too", Files.readString(file));
        }
        assertEquals(List.of("plain-file", "results"), listing());
    }

    // ---- refusing bad checkpoints ----

    /** A saved checkpoint whose JSON has been edited by {@code edit}. */
    private Path withEditedJson(java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path ckpt = dir.resolve("edited");
        try (DiffIml m = model(9)) {
            Checkpoint.save(ckpt, m, null, Checkpoint.Progress.of(5, 1));
        }
        Path json = ckpt.resolve(Checkpoint.META_FILE);
        ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(json.toFile());
        edit.accept(tree);
        Files.writeString(json, Json.MAPPER.writeValueAsString(tree));
        return ckpt;
    }

    private static WeightFileException loadFails(Path ckpt) {
        return assertThrows(WeightFileException.class, () -> Checkpoint.load(ckpt, Device.CPU).model().close());
    }

    @Test
    void refusesATruncatedOrNonJsonDescription() throws IOException {
        Path ckpt = withEditedJson(t -> {});
        Path json = ckpt.resolve(Checkpoint.META_FILE);
        byte[] all = Files.readAllBytes(json);
        Files.write(json, java.util.Arrays.copyOf(all, all.length / 3));
        assertOneLine(loadFails(ckpt), json, "invalid JSON");
        Files.writeString(json, "[1, 2]");
        assertOneLine(loadFails(ckpt), json, "not a JSON object");
        Files.delete(json);
        assertOneLine(loadFails(ckpt), json, "no such file");
    }

    @Test
    void refusesAnUnknownFormatOrVersion() throws IOException {
        Path ckpt = withEditedJson(t -> t.put("formatVersion", 2).put("fieldOfVersion2", true));
        assertOneLine(loadFails(ckpt), ckpt.resolve(Checkpoint.META_FILE),
                "unknown checkpoint format version 2 (this build reads version 1)");
        Path other = withEditedJson(t -> t.put("format", "something-else"));
        assertOneLine(loadFails(other), other.resolve(Checkpoint.META_FILE), "not a DiffIML checkpoint");
    }

    @Test
    void refusesMissingUnknownOrInvalidFields() throws IOException {
        Path json = dir.resolve("edited").resolve(Checkpoint.META_FILE);
        assertOneLine(loadFails(withEditedJson(t -> t.remove("epoch"))), json, "epoch");
        assertOneLine(loadFails(withEditedJson(t -> t.put("learningRate", 1))), json, "learningRate");
        assertOneLine(loadFails(withEditedJson(t -> ((ObjectNode) t.get("config")).put("resolution", 100))), json,
                "resolution must be a positive multiple of 32");
        assertOneLine(loadFails(withEditedJson(t -> t.put("created", "yesterday"))), json, "created", "yesterday");
    }

    @Test
    void refusesAConfigThatDisagreesWithTheWeights() throws IOException {
        Path ckpt = withEditedJson(t -> ((ObjectNode) t.get("config")).put("variant", "b1"));
        assertOneLine(loadFails(ckpt), ckpt.resolve(Checkpoint.MODEL_FILE),
                "does not fit the model config in checkpoint.json (MiT-b1",
                "segformer.encoder.patch_embeddings.0.proj.weight: shape [32, 3, 7, 7] in the file, [64, 3, 7, 7] in"
                        + " the model");
        Path wider = withEditedJson(t -> ((ObjectNode) t.get("config")).put("condChannels", 32));
        assertOneLine(loadFails(wider), wider.resolve(Checkpoint.MODEL_FILE), "cond.linear_c1.weight: shape");
    }

    /** Rewrites model.safetensors through {@code edit} of its tensors (the JSON is left as it was). */
    private Path withEditedWeights(java.util.function.Consumer<Map<String, LoadedTensor>> edit) throws IOException {
        Path ckpt = withEditedJson(t -> {});
        Path model = ckpt.resolve(Checkpoint.MODEL_FILE);
        Map<String, LoadedTensor> tensors = new LinkedHashMap<>(Safetensors.read(model).tensors());
        edit.accept(tensors);
        Safetensors.write(model, new ArrayList<>(tensors.values()));
        return ckpt;
    }

    @Test
    void refusesMissingExtraOrMisshapenTensorsNamingThem() throws IOException {
        Path missing = withEditedWeights(t -> t.remove("unet.concat.weight"));
        assertOneLine(loadFails(missing), missing.resolve(Checkpoint.MODEL_FILE), "disagrees with checkpoint.json",
                "unet.concat.weight: listed in checkpoint.json but missing");

        Path extra = withEditedWeights(t -> t.put("unet.extra", WeightFixtures.random("unet.extra", 1, 3)));
        assertOneLine(loadFails(extra), extra.resolve(Checkpoint.MODEL_FILE), "unet.extra: not listed");

        Path reshaped = withEditedWeights(t -> t.put("vae.decoder.12.bias",
                WeightFixtures.random("vae.decoder.12.bias", 2, 2)));
        assertOneLine(loadFails(reshaped), reshaped.resolve(Checkpoint.MODEL_FILE),
                "vae.decoder.12.bias: shape [2] here, [1] in checkpoint.json");

        // Listed consistently in both files, but not what the config builds.
        Path both = withEditedWeights(t -> t.put("vae.decoder.12.bias",
                WeightFixtures.random("vae.decoder.12.bias", 2, 2)));
        Path json = both.resolve(Checkpoint.META_FILE);
        Files.writeString(json, Files.readString(json, StandardCharsets.UTF_8).replaceFirst(
                "(\"name\" : \"vae.decoder.12.bias\",\\s*\"shape\" : \\[ )1( \\])", "$12$2"));
        assertOneLine(loadFails(both), both.resolve(Checkpoint.MODEL_FILE), "does not fit the model config",
                "vae.decoder.12.bias: shape [2] in the file, [1] in the model");

        Path integer = withEditedWeights(t -> t.put("cond.linear_fuse.1.running_mean", LoadedTensor.ofLongs(
                "cond.linear_fuse.1.running_mean", new int[] {16}, new long[16])));
        assertOneLine(loadFails(integer), integer.resolve(Checkpoint.MODEL_FILE),
                "cond.linear_fuse.1.running_mean: integer data");

        Path gone = dir.resolve("nothing-here");
        assertOneLine(loadFails(gone), gone, "no such checkpoint folder");
    }

    @Test
    void refusesWeightsAndOptimizerStateHoldingNaNOrInfinityNamingTheTensor() throws IOException {
        Path nan = withEditedWeights(t -> {
            LoadedTensor w = t.get("unet.concat.weight");
            float[] v = w.floats().clone();
            v[5] = Float.NaN;
            v[9] = Float.POSITIVE_INFINITY;
            t.put(w.name(), LoadedTensor.ofFloats(w.name(), w.shape(), v));
        });
        assertOneLine(loadFails(nan), nan.resolve(Checkpoint.MODEL_FILE), "does not fit the model config",
                "unet.concat.weight: 2 non-finite values (the first, NaN, at index 5)");

        Path ckpt = dir.resolve("opt-nan");
        try (DiffIml m = model(10); AdamW opt = trainedOptimizer(m, 11)) {
            Checkpoint.save(ckpt, m, opt, Checkpoint.Progress.of(2, 0));
            Path file = ckpt.resolve(Checkpoint.OPTIMIZER_FILE);
            Safetensors.Contents c = Safetensors.read(file);
            Map<String, LoadedTensor> tensors = new LinkedHashMap<>(c.tensors());
            LoadedTensor sq = tensors.get("exp_avg_sq/unet.conv_out.weight");
            float[] v = sq.floats().clone();
            v[0] = Float.NEGATIVE_INFINITY;
            tensors.put(sq.name(), LoadedTensor.ofFloats(sq.name(), sq.shape(), v));
            Safetensors.write(file, new ArrayList<>(tensors.values()), c.metadata());
            WeightFileException e = assertThrows(WeightFileException.class, () -> Checkpoint.loadOptimizer(ckpt, m,
                    opt));
            assertOneLine(e, file, "exp_avg_sq/unet.conv_out.weight: 1 non-finite value (the first, -Infinity, at"
                    + " index 0)");
        }
    }

    @Test
    void refusesOptimizerStateThatDoesNotFit() throws IOException {
        Path ckpt = dir.resolve("opt");
        try (DiffIml m = model(10); AdamW opt = trainedOptimizer(m, 11)) {
            Checkpoint.save(ckpt, m, opt, Checkpoint.Progress.of(2, 0));
            Path file = ckpt.resolve(Checkpoint.OPTIMIZER_FILE);
            Safetensors.Contents c = Safetensors.read(file);
            Map<String, LoadedTensor> tensors = new LinkedHashMap<>(c.tensors());
            tensors.remove("exp_avg_sq/unet.conv_out.weight");
            Safetensors.write(file, new ArrayList<>(tensors.values()), c.metadata());
            float[] before = opt.state(opt.parameters().get(0)).expAvg().toArray();
            WeightFileException e = assertThrows(WeightFileException.class, () -> Checkpoint.loadOptimizer(ckpt, m,
                    opt));
            assertOneLine(e, file, "does not fit the optimizer", "exp_avg_sq/unet.conv_out.weight: missing");
            assertArrayEquals(before, opt.state(opt.parameters().get(0)).expAvg().toArray(), 0f,
                    "nothing copied before the check failed");

            // An optimizer over more parameters (the LightVAE too) than the checkpoint holds state for.
            m.vae().namedParameters().values().forEach(p -> p.requiresGrad(true));
            try (AdamW all = new AdamW(AdamW.decayGroups(m.namedParameters(), 0.05f), 1e-3f)) {
                WeightFileException f = assertThrows(WeightFileException.class,
                        () -> Checkpoint.loadOptimizer(ckpt, m, all));
                assertOneLine(f, file, "exp_avg/vae.encoder.0.weight: missing");
            }
            try (AdamW otherBetas = new AdamW(AdamW.decayGroups(m.namedParameters(), 0.05f), 1e-3f, 0.8f, 0.999f,
                    1e-8f)) {
                WeightFileException g = assertThrows(WeightFileException.class,
                        () -> Checkpoint.loadOptimizer(ckpt, m, otherBetas));
                assertOneLine(g, file, "beta1 = 0.9", "0.8");
            }
        }
    }
}
