package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.importers.ImportedWeights;
import ai.diffiml.io.importers.WeightImport;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DiffForensics checkpoints (round trip, kind, refusal by the other loaders) and the import of HuggingFace ADE20K
 * SegFormer checkpoints ({@code nvidia/segformer-b*-finetuned-ade-512-512}: {@code segformer.encoder.*} plus a
 * {@code decode_head.*} that is ignored) into its encoder, from safetensors and pytorch_model.bin files written here.
 */
class DiffForensicsCheckpointTest {
    static final DiffForensics.Config CONFIG = DiffForensics.Config.paper("b0", 64).withDecoderWidth(16)
            .withNoiseStem("srm").withImageWeights(0.2f, 0.7f);

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsWeightsConfigStageAndPredictions() throws Exception {
        Path ck = dir.resolve("ck");
        try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU); Scope s = Scope.open()) {
            WeightFixtures.randomise(m, 3);
            m.encoder().forwardCount(9);
            DiffForensicsCheckpoint.save(ck, m, "finetune", null, Checkpoint.Progress.of(4, 1));
            assertEquals(CheckpointKind.DIFFFORENSICS, CheckpointKind.of(ck));
            DiffForensicsCheckpoint.Loaded back = DiffForensicsCheckpoint.load(ck, Device.CPU);
            try (DiffForensics m2 = back.model()) {
                assertEquals(CONFIG, back.meta().config());
                assertEquals("finetune", back.meta().stage());
                assertEquals(9, m2.encoder().forwardCount());
                Map<String, float[]> a = WeightFixtures.values(m), b = WeightFixtures.values(m2);
                a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k));
                m.train(false);
                m2.train(false);
                Tensor image = new Rand(5).tensorIn(-2, 2, 1, 3, 64, 64);
                assertArrayEquals(m.predict(image).detection().toArray(), m2.predict(image).detection().toArray());
            }
        }
    }

    @Test
    void otherLoadersRefuseItInOneLineNamingTheFile() throws Exception {
        Path ck = dir.resolve("df");
        try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU)) {
            DiffForensicsCheckpoint.save(ck, m, "pretrain", null, Checkpoint.Progress.of(0, 0));
        }
        for (org.junit.jupiter.api.function.Executable load : List.<org.junit.jupiter.api.function.Executable>of(
                () -> Checkpoint.load(ck, Device.CPU), () -> SegFormerCheckpoint.load(ck, Device.CPU))) {
            WeightFileException e = assertThrows(WeightFileException.class, load);
            assertTrue(e.getMessage().contains(DiffForensicsCheckpoint.FORMAT), e.getMessage());
            assertTrue(e.getMessage().startsWith(ck.toAbsolutePath().normalize().resolve(Checkpoint.META_FILE)
                    .toString()) && !e.getMessage().contains("\n"), e.getMessage());
        }
        Path seg = dir.resolve("seg");
        try (ai.diffiml.model.segformer.SegFormer m = new ai.diffiml.model.segformer.SegFormer(
                SegFormerCheckpointTest.CONFIG, Device.CPU)) {
            SegFormerCheckpoint.save(seg, m, null, Checkpoint.Progress.of(0, 0));
        }
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> DiffForensicsCheckpoint.load(seg, Device.CPU));
        assertTrue(e.getMessage().contains("not a DiffForensics checkpoint description"), e.getMessage());
    }

    /** An ADE20K SegFormer-b0 state dict: the encoder under {@code segformer.encoder.*} and the all-MLP decode head. */
    private static Map<String, LoadedTensor> ade20k(Map<String, LoadedTensor> encoder) {
        Map<String, LoadedTensor> out = new LinkedHashMap<>(encoder);
        int[] dims = MitVariant.B0.dims();
        for (int i = 0; i < 4; i++) {
            out.put("decode_head.linear_c." + i + ".proj.weight",
                    WeightFixtures.random("decode_head.linear_c." + i + ".proj.weight", 10 + i, 256, dims[i]));
            out.put("decode_head.linear_c." + i + ".proj.bias",
                    WeightFixtures.random("decode_head.linear_c." + i + ".proj.bias", 20 + i, 256));
        }
        out.put("decode_head.linear_fuse.weight", WeightFixtures.random("decode_head.linear_fuse.weight", 30, 256,
                1024, 1, 1));
        for (String p : new String[] {"weight", "bias", "running_mean", "running_var"}) {
            out.put("decode_head.batch_norm." + p, WeightFixtures.random("decode_head.batch_norm." + p, 31, 256));
        }
        out.put("decode_head.classifier.weight", WeightFixtures.random("decode_head.classifier.weight", 32, 150,
                256, 1, 1));
        out.put("decode_head.classifier.bias", WeightFixtures.random("decode_head.classifier.bias", 33, 150));
        return out;
    }

    @Test
    void importsAde20kSegFormerCheckpointsIntoTheEncoderIgnoringTheDecodeHead() throws Exception {
        Map<String, LoadedTensor> encoder = WeightFixtures.randomEncoder(MitVariant.B0, 42);
        Map<String, LoadedTensor> state = ade20k(encoder);
        Path safetensors = dir.resolve("model.safetensors");
        Safetensors.write(safetensors, new ArrayList<>(state.values()), Map.of("format", "pt"));
        Path bin = WeightFixtures.torchSave(dir.resolve("pytorch_model.bin"),
                WeightFixtures.stateDict(state, new WeightFixtures.Keys()));
        for (Path file : List.of(safetensors, bin)) {
            try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU)) {
                WeightFixtures.randomise(m, 7);
                Map<String, float[]> before = WeightFixtures.values(m);
                ImportedWeights w = WeightImport.loadEncoder(file, m.encoder());
                assertEquals(ImportedWeights.Part.ENCODER, w.part());
                assertEquals(MitVariant.B0, w.encoderVariant());
                assertEquals(state.size() - encoder.size(), w.ignored().size(), file + ": the decode head is ignored");
                assertTrue(w.ignored().stream().allMatch(k -> k.startsWith("decode_head.")), w.ignored().toString());
                Map<String, float[]> after = WeightFixtures.values(m);
                after.forEach((k, v) -> {
                    if (k.startsWith("segformer.encoder.")) {
                        assertArrayEquals(encoder.get(k).floats(), v, 0f, file + " " + k);
                    } else {
                        assertArrayEquals(before.get(k), v, 0f, k + " must be left as it was");
                    }
                });
            }
        }
    }

    @Test
    void refusesAnAde20kCheckpointOfAnotherVariantNamingTheFile() throws Exception {
        Path file = dir.resolve("b1.safetensors");
        Safetensors.write(file, new ArrayList<>(ade20k(WeightFixtures.randomEncoder(MitVariant.B1, 1)).values()));
        try (DiffForensics m = new DiffForensics(CONFIG, Device.CPU)) {
            WeightFileException e = assertThrows(WeightFileException.class,
                    () -> WeightImport.loadEncoder(file, m.encoder()));
            assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("b1"),
                    e.getMessage());
        }
    }
}
