package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.model.diffiml.AnchorForm;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.RectangleBatches;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auxiliary warm-up ({@link TrainSettings#auxWarmupEpochs}): its steps train the encoder and the auxiliary head
 * and leave the UNet exactly as initialised (it never runs, so AdamW skips it); the diffusion objective starts at the
 * first step after it, and a model without an auxiliary head refuses a warm-up.
 */
class AuxWarmupTest {
    static final ModelConfig AUX = TrainerTest.TINY.withTraining("srm", 1f, 2f, 0.5f, false)
            .withAnchor(true, AnchorForm.RESIDUAL, true);

    @TempDir
    Path dir;

    @Test
    void warmUpStepsTrainTheEncoderAloneThenTheDiffusionObjectiveStarts() throws IOException {
        // 2 epochs x 2 batches; the first epoch is the warm-up
        TrainSettings s = new TrainSettings(2, 1e-3, 0, 0.05, 1.0, 42, 0, 2, 1, 0, 0.0, null, 0, 1.0);
        assertEquals(2, s.auxWarmupSteps(2));
        List<Map<String, float[]>> snapshots = new ArrayList<>();
        RunFolder run = new RunFolder(dir.resolve("run"));
        try (DiffusionTask task = DiffusionTask.create(AUX, Device.CPU, s.seed(), null,
                TrainerTest.vaeFile(dir, AUX)); RectangleBatches train = TrainerTest.trainData();
                RectangleBatches val = TrainerTest.valData()) {
            DiffIml m = task.diffIml();
            snapshots.add(snapshot(m));
            new Trainer(task, train, val, s, run, Device.CPU).listener(r -> snapshots.add(snapshot(m)))
                    .run(Trainer.Start.fresh());
        }
        assertEquals(5, snapshots.size()); // before, and after each of the 4 steps
        Map<String, float[]> before = snapshots.get(0), warm = snapshots.get(2), after = snapshots.get(4);
        for (String name : before.keySet()) {
            if (name.startsWith("unet.")) {
                assertArrayEquals(before.get(name), warm.get(name), name + " moved during the warm-up");
            }
        }
        assertTrue(changed(before, warm, "segformer."), "the encoder did not train during the warm-up");
        assertTrue(changed(before, warm, "aux_head."), "the auxiliary head did not train during the warm-up");
        assertTrue(changed(warm, after, "unet."), "the UNet did not train after the warm-up");

        List<JsonNode> steps = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(run.metrics())) {
            JsonNode n = json.readTree(line);
            if (n.get("kind").asText().equals("train")) {
                steps.add(n);
            }
        }
        assertEquals(4, steps.size());
        for (int i = 0; i < 4; i++) {
            boolean warmUp = i < 2;
            assertTrue(steps.get(i).has("loss_aux"), steps.get(i)::toString);
            assertEquals(!warmUp, steps.get(i).has("loss_mask"), steps.get(i)::toString);
        }
    }

    @Test
    void aModelWithoutAnAuxiliaryHeadRefusesAWarmUp() throws IOException {
        try (DiffusionTask task = DiffusionTask.create(TrainerTest.TINY, Device.CPU, 1, null,
                TrainerTest.vaeFile(dir, TrainerTest.TINY))) {
            task.auxWarmupSteps(0); // none is fine
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> task.auxWarmupSteps(3));
            assertTrue(e.getMessage().contains("needs the auxiliary head"), e::getMessage);
        }
    }

    @Test
    void theWarmUpIsShorterThanTheRunAndOldSettingsHaveNone() {
        assertThrows(IllegalArgumentException.class,
                () -> new TrainSettings(2, 1e-3, 0, 0.05, 1.0, 1, 0, 2, 1, 0, 0.0, null, 0, 2.0));
        assertThrows(IllegalArgumentException.class,
                () -> new TrainSettings(2, 1e-3, 0, 0.05, 1.0, 1, 0, 2, 1, 0, 0.0, null, 0, -0.5));
        assertEquals(0.0, new TrainSettings(2, 1e-3, 0, 0.05, 1.0, 1, 0, 2, 1, 0).auxWarmupEpochs());
        assertEquals(0.0, new TrainSettings(2, 1e-3, 0, 0.05, 1.0, 1, 0, 2, 1, 0, 0.0, null, 0, null)
                .auxWarmupEpochs());
        assertEquals(3, new TrainSettings(4, 1e-3, 0, 0.05, 1.0, 1, 0, 2, 1, 0, 0.0, null, 0, 1.5)
                .auxWarmupSteps(2));
        assertFalse(new TrainSettings(4, 1e-3, 0, 0.05, 1.0, 1, 0, 2, 1, 0).auxWarmupSteps(10) > 0);
    }

    private static Map<String, float[]> snapshot(DiffIml m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().toArray());
        }
        return out;
    }

    private static boolean changed(Map<String, float[]> a, Map<String, float[]> b, String prefix) {
        for (String name : a.keySet()) {
            if (name.startsWith(prefix) && !java.util.Arrays.equals(a.get(name), b.get(name))) {
                return true;
            }
        }
        return false;
    }
}
