package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.Safetensors;
import ai.diffiml.io.SegFormerCheckpoint;
import ai.diffiml.model.diffiml.LightVae;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.nn.Init;
import ai.diffiml.testing.RectangleBatches;
import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loop on tiny models (MiT-b0 at 32 px, batch 2) and deterministic synthetic batches: the run folder it
 * leaves, and resume: a run interrupted after step k (by a crash after the checkpoint, or by a stop request) and
 * resumed from {@code last/} ends with weights and optimizer state bit-identical to an uninterrupted run.
 */
class TrainerTest {
    /** DiffIML with real MiT-b0 widths and narrow head, UNet and LightVAE; drop-path on (its draws must resume). */
    static final ModelConfig TINY = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0.1, 1000, 2, 1, 0.1f,
            0.2f, true);
    static final SegFormer.Config TINY_SEG = new SegFormer.Config("b0", 32, 32, 1e-6f, 1e-5f, 0.1, 1f);
    /** Two epochs of two batches, last/ every 3 steps; lr high enough that every step changes the weights. */
    static final TrainSettings SETTINGS = new TrainSettings(2, 1e-3, 0.5, 0.05, 1.0, 42, 3, 2, 1, 0);

    @TempDir
    Path dir;

    /** The uninterrupted diffusion run, shared by the tests that inspect it and compare against it. */
    @TempDir
    static Path shared;

    static RunFolder whole;
    static Path sharedVae;
    static Trainer.Result wholeResult;
    static final List<Trainer.StepReport> WHOLE_STEPS = new ArrayList<>();

    @BeforeAll
    static void uninterruptedDiffusionRun() throws IOException {
        sharedVae = vaeFile(shared, TINY);
        whole = new RunFolder(shared.resolve("whole"));
        try (Task task = DiffusionTask.create(TINY, Device.CPU, SETTINGS.seed(), null, sharedVae)) {
            wholeResult = train(task, whole, WHOLE_STEPS::add, Trainer.Start.fresh());
        }
    }

    static RectangleBatches trainData() {
        return new RectangleBatches(4, 2, 32, 1, 0);
    }

    static RectangleBatches valData() {
        return new RectangleBatches(4, 2, 32, 2, 2); // samples 0 and 2 authentic
    }

    /** A LightVAE weights file (random initialisation) for the frozen VAE of stage 2. */
    static Path vaeFile(Path dir, ModelConfig c) throws IOException {
        Path file = dir.resolve("vae.safetensors");
        try (LightVae vae = new LightVae(Device.CPU, c.vaeBase(), c.latentChannels())) {
            vae.init(new Init(9));
            Safetensors.write(file, ModuleWeights.snapshot(vae).values());
        }
        return file;
    }

    private Task diffusion(Path vae) throws IOException {
        return DiffusionTask.create(TINY, Device.CPU, SETTINGS.seed(), null, vae);
    }

    private static Trainer.Result train(Task task, RunFolder run, Trainer.Listener listener, Trainer.Start start)
            throws IOException {
        try (RectangleBatches train = trainData(); RectangleBatches val = valData()) {
            return new Trainer(task, train, val, SETTINGS, run, Device.CPU).listener(listener).run(start);
        }
    }

    @Test
    void diffusionRunLeavesCheckpointsMetricsAndCurves() throws Exception {
        RunFolder run = whole;
        List<Trainer.StepReport> steps = WHOLE_STEPS;
        Trainer.Result r = wholeResult;
        assertEquals(4, r.steps());
        assertFalse(r.stopped());
        assertEquals(4, steps.size());
        assertEquals(0.0, steps.get(0).lr()); // warm-up starts at 0
        assertEquals(1e-3, steps.get(1).lr(), 1e-12); // the peak after one warm-up iteration
        assertTrue(steps.get(3).lr() < steps.get(2).lr() && steps.get(2).lr() < steps.get(1).lr(), steps::toString);
        assertNotNull(r.lastValidation());
        assertEquals(2, r.lastValidation().tamperedImages());
        assertEquals(2, r.lastValidation().authenticImages());
        assertTrue(r.bestValF1() >= 0 && r.bestValF1() <= 1, "best F1 " + r.bestValF1());
        assertTrue(r.bestStep() == 2 || r.bestStep() == 4, "best step " + r.bestStep());
        assertTrue(r.imagesPerSecond() > 0);

        Checkpoint.Meta last = Checkpoint.readMeta(run.last());
        assertEquals(4, last.step());
        assertEquals(2, last.epoch());
        assertTrue(last.hasOptimizer());
        assertEquals(4, last.encoderForwards()); // one training forward per step; validation adds none
        assertEquals(0.0, last.metrics().get("batch_index"));
        // The LightVAE stayed frozen: no updates, and its BatchNorm statistics did not move either.
        Map<String, LoadedTensor> vae = Safetensors.read(sharedVae).tensors();
        Map<String, LoadedTensor> trained = Safetensors.read(run.last().resolve(Checkpoint.MODEL_FILE)).tensors();
        vae.forEach((n, t) -> assertArrayEquals(t.floats(), trained.get("vae." + n).floats(), "vae." + n));
        Checkpoint.Meta best = Checkpoint.readMeta(run.best());
        assertFalse(best.hasOptimizer());
        assertEquals(r.bestStep(), best.step());

        List<JsonNode> log = MetricsLog.read(run.metrics());
        List<JsonNode> train = log.stream().filter(n -> n.get("kind").asText().equals("train")).toList();
        List<JsonNode> val = log.stream().filter(n -> n.get("kind").asText().equals("val")).toList();
        assertEquals(4, train.size());
        assertEquals(2, val.size());
        for (int i = 0; i < 4; i++) {
            JsonNode n = train.get(i);
            assertEquals(i + 1, n.get("step").asInt());
            assertEquals(i / 2, n.get("epoch").asInt());
            assertEquals(i % 2, n.get("batch").asInt());
            for (String key : List.of("loss", "loss_mask", "loss_edge", "lr", "grad_norm", "images_per_s")) {
                assertTrue(n.has(key), key + " missing in " + n);
            }
            assertEquals(steps.get(i).loss(), n.get("loss").asDouble());
        }
        assertEquals(2, val.get(0).get("step").asInt());
        assertEquals(r.lastValidation().f1(), val.get(1).get("val_f1").asDouble());

        BufferedImage png = ImageIO.read(run.curves().toFile());
        assertNotNull(png, "curves.png is not an image");
        assertEquals(4 * 320, png.getHeight()); // loss, validation F1 and AUC, loss by timestep, learning rate
        assertEquals(900, png.getWidth());
    }

    @Test
    void diffusionResumeAfterACrashIsBitIdentical() throws Exception {
        Path vae = sharedVae;
        RunFolder parts = new RunFolder(dir.resolve("parts"));
        // Crash after step 4: the last checkpoint (every 3 steps) is at step 3, mid-epoch (epoch 1, batch 1).
        try (Task task = diffusion(vae)) {
            IllegalStateException crash = assertThrows(IllegalStateException.class, () -> train(task, parts, r -> {
                if (r.step() == 4) {
                    throw new IllegalStateException("simulated crash");
                }
            }, Trainer.Start.fresh()));
            assertEquals("simulated crash", crash.getMessage());
        }
        Checkpoint.Meta at = Checkpoint.readMeta(parts.last());
        assertEquals(3, at.step());
        assertEquals(1, at.epoch());
        assertEquals(1.0, at.metrics().get("batch_index"));
        Map<String, LoadedTensor> mid = Safetensors.read(parts.last().resolve(Checkpoint.MODEL_FILE)).tensors();

        Trainer.Resumed resumed = DiffusionTask.resume(parts.last(), Device.CPU, SETTINGS.seed());
        List<Long> resumedSteps = new ArrayList<>();
        try (Task task = resumed.task()) {
            Trainer.Result r = train(task, parts, s -> resumedSteps.add(s.step()),
                    resumed.start().from(parts.last()));
            assertEquals(4, r.steps());
        }
        assertEquals(List.of(4L), resumedSteps);
        assertSameFiles(whole.last(), parts.last(), mid);
        assertSameLog(whole, parts);
    }

    @Test
    void discriminativeResumeAfterAStopIsBitIdentical() throws Exception {
        RunFolder whole = new RunFolder(dir.resolve("whole-seg")), parts = new RunFolder(dir.resolve("parts"));
        try (Task task = DiscriminativeTask.create(TINY_SEG, Device.CPU, SETTINGS.seed(), null)) {
            train(task, whole, r -> {}, Trainer.Start.fresh());
        }
        Trainer.Result stopped;
        try (Task task = DiscriminativeTask.create(TINY_SEG, Device.CPU, SETTINGS.seed(), null);
                RectangleBatches train = trainData(); RectangleBatches val = valData()) {
            Trainer trainer = new Trainer(task, train, val, SETTINGS, parts, Device.CPU);
            stopped = trainer.listener(r -> {
                if (r.step() == 1) {
                    trainer.requestStop();
                }
            }).run(Trainer.Start.fresh());
        }
        assertTrue(stopped.stopped());
        assertEquals(1, stopped.steps());
        SegFormerCheckpoint.Meta at = SegFormerCheckpoint.readMeta(parts.last());
        assertEquals(1, at.step());
        assertEquals(1.0, at.metrics().get("batch_index"));
        Map<String, LoadedTensor> mid = Safetensors.read(parts.last().resolve(Checkpoint.MODEL_FILE)).tensors();
        Trainer.Resumed resumed = DiscriminativeTask.resume(parts.last(), Device.CPU, SETTINGS.seed());
        try (Task task = resumed.task(); RectangleBatches train = trainData(); RectangleBatches val = valData()) {
            Trainer.Result r = new Trainer(task, train, val, SETTINGS, parts, Device.CPU)
                    .run(resumed.start().from(parts.last()));
            assertEquals(4, r.steps());
            assertEquals(3, train.batchesServed()); // only the batches after the stop
        }
        assertSameFiles(whole.last(), parts.last(), mid);
        assertSameLog(whole, parts);
    }

    /** Every tensor of the model and optimizer files bit-identical; and the run did move away from step k. */
    private static void assertSameFiles(Path a, Path b, Map<String, LoadedTensor> atInterruption) throws IOException {
        for (String file : List.of(Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE)) {
            Map<String, LoadedTensor> ta = Safetensors.read(a.resolve(file)).tensors();
            Map<String, LoadedTensor> tb = Safetensors.read(b.resolve(file)).tensors();
            assertEquals(ta.keySet(), tb.keySet(), file);
            ta.forEach((name, t) -> {
                if (t.isInteger()) {
                    assertArrayEquals(t.longs(), tb.get(name).longs(), file + " " + name);
                } else {
                    assertArrayEquals(t.floats(), tb.get(name).floats(), file + " " + name + " differs");
                }
            });
        }
        Map<String, LoadedTensor> end = Safetensors.read(a.resolve(Checkpoint.MODEL_FILE)).tensors();
        long changed = atInterruption.entrySet().stream()
                .filter(e -> !java.util.Arrays.equals(e.getValue().floats(), end.get(e.getKey()).floats())).count();
        assertTrue(changed > 100, "only " + changed + " tensors changed after the interruption");
    }

    /** The resumed run's log holds every step once, with the uninterrupted run's losses. */
    private static void assertSameLog(RunFolder whole, RunFolder parts) throws IOException {
        List<JsonNode> a = MetricsLog.read(whole.metrics()), b = MetricsLog.read(parts.metrics());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (String key : List.of("kind", "step", "loss", "lr", "grad_norm", "val_f1")) {
                assertEquals(a.get(i).get(key), b.get(i).get(key), "record " + i + " " + key);
            }
        }
    }

    @Test
    void randomEncoderIsWarnedAboutAndBadResumePositionsAreRefused() throws Exception {
        Path vae = sharedVae;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (Task task = diffusion(vae)) {
            assertEquals("diffusion", task.head());
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("WARN") && log.contains("the encoder starts from random initialisation")
                && log.contains("0.412"), log);

        try (Task task = diffusion(vae); RectangleBatches train = trainData()) {
            Trainer t = new Trainer(task, train, null, SETTINGS, new RunFolder(dir.resolve("r")), Device.CPU);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.run(new Trainer.Start(null, 3, 1, 1, 5, Double.NaN, -1, 0)));
            assertTrue(e.getMessage().contains("gives 2 batches per epoch but the checkpoint was saved with 5"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> t.run(new Trainer.Start(null, 3, 1, 0, 2, Double.NaN, -1, 0)));
            assertTrue(e.getMessage().contains("does not fit a run of 2 epochs x 2 batches"), e.getMessage());
        }
    }

    @Test
    void vaeWeightsMustHoldALightVae() throws Exception {
        Path notVae = dir.resolve("encoder.safetensors");
        try (SegFormer m = new SegFormer(TINY_SEG, Device.CPU).init(123)) {
            List<LoadedTensor> encoder = new ArrayList<>();
            ModuleWeights.snapshot(m.encoder()).forEach((n, t) -> encoder.add(t.withName("segformer.encoder." + n)));
            Safetensors.write(notVae, encoder);
        }
        Exception e = assertThrows(IOException.class,
                () -> DiffusionTask.create(TINY, Device.CPU, 1, null, notVae).close());
        assertTrue(e.getMessage().contains("without a LightVAE"), e.getMessage());
        assertTrue(e.getMessage().startsWith(notVae.toString()), e.getMessage());
        // The same file is fine as encoder weights: loaded into the model's encoder.
        try (DiscriminativeTask t = DiscriminativeTask.create(TINY_SEG, Device.CPU, 7, notVae);
                SegFormer ref = new SegFormer(TINY_SEG, Device.CPU).init(123)) {
            assertArrayEquals(ref.encoder().namedParameters().get("block.0.0.mlp.dense1.weight").toArray(),
                    t.segFormer().encoder().namedParameters().get("block.0.0.mlp.dense1.weight").toArray());
        }
        assertTrue(Files.exists(notVae));
    }
}
