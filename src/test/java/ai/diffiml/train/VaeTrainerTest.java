package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.eval.PixelF1;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.LightVae;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.SdVaeEncoder;
import ai.diffiml.nn.Init;
import ai.diffiml.ops.Activations;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.RectangleBatches;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 1 on a narrow LightVAE at 32 px: the loss terms, the output folder, and the reconstruction F1. */
class VaeTrainerTest {
    static final ModelConfig CONFIG = TrainerTest.TINY;
    /** A small randomly initialised stand-in for the SD-VAE teacher: same structure, narrow, 3 downsamplings. */
    static final SdVaeEncoder.Config TEACHER = new SdVaeEncoder.Config(3, new int[] {32, 32, 32, 32}, 1, 32, 4);

    @TempDir
    Path dir;

    @Test
    void distillationRunLowersTheLossAndWritesLoadableWeights() throws Exception {
        Path out = dir.resolve("vae");
        VaeTrainer.Result r;
        try (RectangleBatches data = new RectangleBatches(8, 4, 32, 3, 4);
                LightVae vae = new LightVae(Device.CPU, CONFIG.vaeBase(), CONFIG.latentChannels());
                SdVaeEncoder teacher = new SdVaeEncoder(Device.CPU, TEACHER).init(new Init(2))) {
            vae.init(new Init(1));
            r = new VaeTrainer(data, null, new VaeTrainer.Settings(4, 1e-2, 0.01), out, Device.CPU).teacher(teacher)
                    .run(vae);
            // The reported reconstruction F1 is the pixel F1 of sigmoid(decode(encode(2m - 1))) over tampered images.
            PixelF1.Accumulator acc = new PixelF1.Accumulator();
            vae.train(false);
            for (int i = 0; i < data.batchesPerEpoch(); i++) {
                try (Scope s = Scope.open(); Batch b = data.batch(0, i, Device.CPU);
                        GradMode.Guard g = GradMode.disabled()) {
                    Tensor logits = vae.decode(vae.encode(DiffIml.toSigned(b.masks())));
                    acc.add(Activations.sigmoid(logits), b.masks(), b.tampered());
                }
            }
            assertEquals(acc.summary(), r.mask());
            assertEquals(6, r.mask().tamperedImages()); // samples 0 and 4 are authentic
            assertTrue(r.teacher());
            assertEquals(8, r.steps());

            // The weights file is read back as LightVAE weights into a whole model's VAE.
            try (DiffIml model = new DiffIml(CONFIG, Device.CPU)) {
                DiffusionTask.loadVae(out, model);
                vae.namedParameters().forEach((n, p) -> assertArrayEquals(p.toArray(),
                        model.vae().namedParameters().get(n).toArray(), n));
                vae.namedBuffers().forEach((n, p) -> assertArrayEquals(p.toArray(),
                        model.vae().namedBuffers().get(n).toArray(), n));
            }
        }
        List<JsonNode> log = MetricsLog.read(out.resolve(RunFolder.METRICS));
        assertEquals(8, log.size());
        JsonNode first = log.get(0), last = log.get(7);
        assertEquals(first.get("loss_l1").asDouble() + 0.01 * first.get("loss_distill").asDouble(),
                first.get("loss").asDouble(), 1e-6);
        assertTrue(last.get("loss").asDouble() < 0.7 * first.get("loss").asDouble(), log::toString);
        assertEquals(r.finalLoss(), last.get("loss").asDouble());
        JsonNode summary = new ObjectMapper().readTree(out.resolve(VaeTrainer.SUMMARY_FILE).toFile());
        assertEquals(VaeTrainer.WEIGHTS_FILE, summary.get("weights").asText());
        assertEquals(r.mask().f1(), summary.get("mask_reconstruction_f1").asDouble());
        assertTrue(summary.get("teacher").asBoolean());
        assertTrue(Files.size(out.resolve(RunFolder.CURVES)) > 1000);
    }

    @Test
    void withoutTeacherTheLossIsL1Only() throws Exception {
        Path out = dir.resolve("plain");
        try (RectangleBatches data = new RectangleBatches(4, 2, 32, 3, 0);
                RectangleBatches eval = new RectangleBatches(2, 2, 32, 9, 0);
                LightVae vae = new LightVae(Device.CPU, CONFIG.vaeBase(), CONFIG.latentChannels())) {
            vae.init(new Init(1));
            VaeTrainer.Result r = new VaeTrainer(data, eval, VaeTrainer.Settings.of(1), out, Device.CPU).run(vae);
            assertFalse(r.teacher());
            assertEquals(2, r.mask().tamperedImages()); // measured on the evaluation data
            assertNotNull(r.edge());
        }
        for (JsonNode n : MetricsLog.read(out.resolve(RunFolder.METRICS))) {
            assertFalse(n.has("loss_distill"));
            assertEquals(n.get("loss_l1").asDouble(), n.get("loss").asDouble());
        }
    }
}
