package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.model.diffiml.LightVae;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.nn.Init;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.NoiseLevelBatches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both heads learn an honest task within a fixed number of steps: the region differs from its surroundings only by
 * its noise level ({@link NoiseLevelBatches}: same texture, mean and colour). Training and held-out data come from
 * different seeds. Each claim is checked against the same model before training, so a test that an untrained model
 * would pass cannot pass here: held-out pixel AUC starts near chance and must end above 0.9, and for DiffIML the
 * objective at high t must depend on the image (shuffling the conditions across the batch raises it).
 */
class LearnabilityTest {
    private static final int RES = 64, BATCH = 8;

    @TempDir
    Path dir;

    private static NoiseLevelBatches train() {
        return new NoiseLevelBatches(96, BATCH, RES, 11, 4, 2, 9);
    }

    private static NoiseLevelBatches heldOut() {
        return new NoiseLevelBatches(32, BATCH, RES, 12345, 4, 2, 9);
    }

    private static TrainSettings settings(int epochs) {
        return new TrainSettings(epochs, 1e-3, 0.2, 0.05, 1.0, 3, 0, 4, 1, 0, 0.1, null, 0);
    }

    private static double heldOutAuc(Task task, TrainSettings s) {
        task.evalMode();
        ValidationScores scores = new ValidationScores();
        try (NoiseLevelBatches val = heldOut()) {
            for (int i = 0; i < val.batchesPerEpoch(); i++) {
                try (Scope scope = Scope.open(); Batch b = val.batch(0, i, Device.CPU)) {
                    scores.add(task.probability(b.images(), s, i), b.masks(), b.tampered());
                }
            }
        }
        return scores.summary().auc();
    }

    @Test
    void diffusionHeadLearnsANoiseLevelRegionAndUsesTheImage() throws IOException {
        diffusionHeadLearns("diffusion head", plainDiffusion());
    }

    /**
     * The default preset's mechanisms: the anchored residual prediction, the stem and 1/4 read-outs, the UNet
     * trained on its own guesses, the encoder through the auxiliary head alone.
     */
    @Test
    void diffusionHeadWithTheDefaultPresetsMechanismsLearnsANoiseLevelRegionAndUsesTheImage() throws IOException {
        diffusionHeadLearns("diffusion head, default mechanisms", plainDiffusion()
                .withAnchor(true, ai.diffiml.model.diffiml.AnchorForm.RESIDUAL, true).withWeightedLatents(true)
                .withPixelWeight(1f).withAuxFine(true).withGuessShare(1f).withDetachedCondition(true));
    }

    private static ModelConfig plainDiffusion() {
        return new ModelConfig("b0", RES, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 4, 1, 0.1f, 0.5f,
                false).withTraining("srm", 1f, 2f, 0.5f, false);
    }

    private void diffusionHeadLearns(String label, ModelConfig model) throws IOException {
        ModelConfig config = model;
        Path vaeDir = dir.resolve("vae");
        VaeTrainer.Result vae;
        try (NoiseLevelBatches data = train(); LightVae light = new LightVae(Device.CPU, 8, 4)) {
            light.init(new Init(1));
            vae = new VaeTrainer(data, null, new VaeTrainer.Settings(3, 3e-3, 0), vaeDir, Device.CPU).run(light);
        }
        config = config.withLatentScale(vae.latentScale());
        TrainSettings s = settings(6);
        try (Task task = DiffusionTask.create(config, Device.CPU, 3, null, vaeDir)) {
            double before = heldOutAuc(task, s);
            Map<String, Double> diagBefore = diagnostics(task);
            Trainer.Result r;
            try (NoiseLevelBatches data = train()) {
                r = new Trainer(task, data, null, s, new RunFolder(dir.resolve("run")), Device.CPU)
                        .run(Trainer.Start.fresh());
            }
            double after = heldOutAuc(task, s);
            Map<String, Double> diag = diagnostics(task);
            String what = "held-out pixel AUC " + before + " -> " + after + " in " + r.steps() + " steps;"
                    + " diagnostics before " + diagBefore + ", after " + diag;
            System.out.println("learnability, " + label + ": " + what);
            assertTrue(before < 0.75, "untrained already separates the region: " + what);
            assertTrue(after > 0.9, what);
            double high = diag.get("loss_t875"), shuffled = diag.get("loss_t875_shuffled");
            assertTrue(shuffled > 1.2 * high, "shuffling the condition does not raise the high-t loss: " + what);
        }
    }

    private static Map<String, Double> diagnostics(Task task) {
        task.evalMode();
        try (NoiseLevelBatches val = heldOut(); Scope scope = Scope.open(); Batch b = val.batch(0, 0, Device.CPU)) {
            return task.diagnostics(b, 5);
        }
    }

    @Test
    void discriminativeHeadLearnsANoiseLevelRegion() throws IOException {
        SegFormer.Config config = new SegFormer.Config("b0", RES, 32, 1e-6f, 1e-5f, 0, 1f).withNoiseStem("srm")
                .withPosWeight(2f);
        TrainSettings s = settings(4);
        try (Task task = DiscriminativeTask.create(config, Device.CPU, 3, null)) {
            double before = heldOutAuc(task, s);
            Trainer.Result r;
            try (NoiseLevelBatches data = train()) {
                r = new Trainer(task, data, null, s, new RunFolder(dir.resolve("seg")), Device.CPU)
                        .run(Trainer.Start.fresh());
            }
            double after = heldOutAuc(task, s);
            String what = "held-out pixel AUC " + before + " -> " + after + " in " + r.steps() + " steps";
            System.out.println("learnability, discriminative head: " + what);
            assertTrue(before < 0.75, "untrained already separates the region: " + what);
            assertTrue(after > 0.9, what);
        }
    }
}
