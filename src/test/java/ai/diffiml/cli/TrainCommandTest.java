package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.data.AugmentationPreset;
import ai.diffiml.data.AugmentationSettings;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.Safetensors;
import ai.diffiml.io.SegFormerCheckpoint;
import ai.diffiml.train.DataSources;
import ai.diffiml.train.RunConfig;
import ai.diffiml.train.RunFolder;
import ai.diffiml.train.VaeTrainer;
import ai.diffiml.testing.RectangleBatches;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code train} and {@code train-vae} run in-process on deterministic synthetic batches (the dataset readers are
 * replaced through the commands' {@link DataSources}): the run folder they leave, resume through the command line
 * (bit-identical to an uninterrupted run), and the one-line usage errors.
 */
class TrainCommandTest {
    @TempDir
    Path dir;

    private static String augmentationLabel(AugmentationSettings a) {
        for (AugmentationPreset p : AugmentationPreset.values()) {
            if (p.settings().equals(a)) {
                return p.label();
            }
        }
        return "custom";
    }

    /** Synthetic data: the training path gives 6 tampered samples, the validation path 4 (2 authentic). */
    static final class Synthetic implements DataSources {
        final List<String> opened = new ArrayList<>();
        /** Milliseconds the first training batch takes (to push a run past a --time-limit). */
        long firstBatchDelay;

        @Override
        public BatchSource training(Path data, int resolution, int batchSize, long seed,
                AugmentationSettings augmentation, int crop) {
            opened.add("train " + data.getFileName() + " " + resolution + " " + batchSize + " " + seed + " "
                    + augmentationLabel(augmentation) + (crop > 0 ? " crop " + crop : ""));
            long delay = firstBatchDelay;
            firstBatchDelay = 0;
            RectangleBatches b = new RectangleBatches(6, batchSize, crop > 0 ? crop : resolution, seed, 0);
            return new BatchSource() {
                boolean first = true;

                @Override
                public int batchesPerEpoch() {
                    return b.batchesPerEpoch();
                }

                @Override
                public int samplesPerEpoch() {
                    return b.samplesPerEpoch();
                }

                @Override
                public Batch batch(int epoch, int index, Device device) {
                    if (first && delay > 0) {
                        try {
                            Thread.sleep(delay);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    first = false;
                    return b.batch(epoch, index, device);
                }
            };
        }

        @Override
        public BatchSource validation(Path data, int resolution, int batchSize) {
            opened.add("val " + data.getFileName() + " " + resolution + " " + batchSize);
            return new RectangleBatches(4, batchSize, resolution, 99, 2);
        }
    }

    private final Synthetic data = new Synthetic();

    private Run run(String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == TrainCommand.class) {
                    return cls.cast(new TrainCommand(data));
                }
                if (cls == TrainVaeCommand.class) {
                    return cls.cast(new TrainVaeCommand(data));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        };
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(factory).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private List<String> tiny(String name, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", dir.resolve("train").toString(), "--val-data",
                dir.resolve("val").toString(), "--out", dir.resolve("runs").toString(), "--name", name,
                "--variant", "b0", "--resolution", "32", "--batch", "2", "--epochs", "1", "--val-steps", "2",
                "--checkpoint-every", "2", "--seed", "3", "--device", "cpu", "--pos-weight", "2"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void trainWritesTheRunFolderAndResumeIsBitIdentical() throws Exception {
        Run whole = run(tiny("whole", "--vae-epochs", "1").toArray(String[]::new));
        assertEquals(0, whole.exit(), whole::toString);
        RunFolder a = new RunFolder(dir.resolve("runs/whole"));
        // the default preset trains with the geometric set (the traces survive); resume keeps the run's choice
        assertEquals(List.of("train train 32 2 3 geometric", "val val 32 2"), data.opened);
        assertTrue(whole.out().contains("stage 1    LightVAE 3 steps"), whole::toString);
        assertTrue(whole.out().contains("steps      3 of 3 (1 epochs x 3 batches)"), whole::toString);
        assertTrue(whole.out().matches("(?s).*val F1     \\d\\.\\d{4} \\(best \\d\\.\\d{4} at step 3\\).*"),
                whole::toString);
        RunConfig c = RunConfig.read(a.config());
        assertEquals("diffusion", c.head());
        assertEquals("b0", c.model().variant());
        assertEquals(32, c.model().resolution());
        assertNull(c.segformer());
        assertEquals(2, c.batch());
        assertEquals(1, c.vaeEpochs());
        assertEquals(1, c.train().epochs());
        assertEquals(3, c.train().seed());
        // without --lr / --warmup-epochs the preset's values (default: a rate for a randomly initialised encoder)
        assertEquals(ai.diffiml.train.TrainPreset.DEFAULT.lr, c.train().lr());
        assertEquals(3e-4, c.train().lr());
        assertEquals(0.3, c.train().warmupEpochs());
        assertEquals(AugmentationPreset.GEOMETRIC, c.augmentationPreset());
        // the default preset's learnability settings, and the LightVAE's calibrated latent scale
        assertEquals("srm", c.model().noiseStem());
        assertEquals(5f, c.model().auxWeight());
        assertEquals(2f, c.model().auxPosWeight());
        assertTrue(c.model().auxAnchor());
        assertEquals(ai.diffiml.model.diffiml.AnchorForm.RESIDUAL, c.model().anchorFormKind());
        assertTrue(c.model().auxDetail());
        assertTrue(c.model().weightedLatents());
        assertEquals(1f, c.model().pixelWeight());
        assertEquals(1f, c.model().guessShare());
        assertTrue(c.model().detachCondition());
        assertTrue(c.model().auxFine());
        assertEquals(1, c.model().auxFineConvs());
        assertEquals(ai.diffiml.train.TrainPreset.DEFAULT.unetWidth, c.model().unetChannels());
        assertEquals(64, c.model().unetChannels());
        assertEquals(32, c.model().stemWidth());
        assertEquals(0.5f, c.model().segWeight());
        assertFalse(c.model().clipSample());
        assertEquals(0.1, c.train().lrFloor());
        assertEquals(64, c.train().valSubset());
        assertEquals(0, c.train().trainCrop(), "whole images unless --train-crop says otherwise");
        // the preset's share of the run trains the encoder and its auxiliary head alone (here of --epochs 1)
        assertEquals(ai.diffiml.train.TrainPreset.DEFAULT.learnability.auxWarmupShare(), c.train().auxWarmupEpochs());
        float scale = (float) new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(a.dir().resolve("vae").resolve(VaeTrainer.SUMMARY_FILE).toFile()).get("latent_scale")
                .asDouble();
        assertEquals(scale, c.model().latentScale());
        assertNotEquals(ai.diffiml.model.diffiml.LightVae.LATENT_SCALE, scale);
        assertEquals(scale, Checkpoint.readMeta(a.last()).config().latentScale());
        assertTrue(whole.out().matches("(?s).*baselines  every pixel tampered F1 0\\.\\d{4}; centred prior F1"
                + " 0\\.\\d{4}, AUC 0\\.\\d{4}.*"), whole::toString);
        assertTrue(whole.out().matches("(?s).*val AUC    \\d\\.\\d{4} \\(pixel AUC.*"), whole::toString);
        // a config from before the choice existed trained with the paper's set; an unknown name is refused
        String json = Files.readString(a.config());
        Path old = dir.resolve("old-config.json"), odd = dir.resolve("odd-config.json");
        Files.writeString(old, json.replaceAll(",\\s*\"augmentation\"\\s*:\\s*\"geometric\"", ""));
        assertFalse(Files.readString(old).contains("augmentation"));
        assertEquals(AugmentationPreset.PAPER, RunConfig.read(old).augmentationPreset());
        Files.writeString(odd, json.replace("\"geometric\"", "\"blur\""));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RunConfig.read(odd));
        assertTrue(e.getMessage().startsWith(odd + ": augmentation 'blur' is not"), e.getMessage());
        assertTrue(Files.isRegularFile(a.dir().resolve("vae").resolve(VaeTrainer.WEIGHTS_FILE)));
        assertTrue(Files.isRegularFile(a.dir().resolve("vae").resolve(VaeTrainer.SUMMARY_FILE)));
        assertEquals(3, Checkpoint.readMeta(a.last()).step());
        assertTrue(Files.isDirectory(a.best()));
        assertTrue(Files.size(a.metrics()) > 0);
        assertTrue(Files.size(a.curves()) > 1000);

        // The same run, with the first run's LightVAE, stopped by --time-limit after its first step, then resumed.
        data.firstBatchDelay = 1100;
        // (--augment paper: the test's batches ignore it, so the weights still match; the choice must survive resume)
        Run stopped = run(tiny("parts", "--vae", a.dir().resolve("vae").toString(), "--time-limit", "0.01",
                "--augment", "paper").toArray(String[]::new));
        assertEquals(0, stopped.exit(), stopped::toString);
        assertTrue(stopped.out().contains("steps      1 of 3"), stopped::toString);
        assertTrue(stopped.out().contains("continue with: train --resume"), stopped::toString);
        RunFolder b = new RunFolder(dir.resolve("runs/parts"));
        assertEquals(1, Checkpoint.readMeta(b.last()).step());

        Run refused = run("train", "--resume", b.dir().toString(), "--epochs", "3");
        assertEquals(2, refused.exit(), refused::toString);
        assertTrue(refused.err().contains("these cannot change: --epochs"), refused::toString);
        CliExpectations.assertOneLineError(run("train", "--resume", b.dir().toString(), "--unet-width", "128"),
                "these cannot change: --unet-width");
        CliExpectations.assertOneLineError(run("train", "--resume", b.dir().toString(), "--train-crop", "32"),
                "these cannot change: --train-crop");

        Run resumed = run("train", "--resume", b.dir().toString(), "--device", "cpu");
        assertEquals(0, resumed.exit(), resumed::toString);
        assertEquals(c.model(), RunConfig.read(b.config()).model()); // same preset, same calibrated LightVAE
        assertEquals(c.train().withTimeLimit(0), RunConfig.read(b.config()).train().withTimeLimit(0));
        assertEquals("paper", RunConfig.read(b.config()).augmentation());
        assertEquals("train train 32 2 3 paper", data.opened.get(data.opened.size() - 2));
        assertTrue(resumed.out().contains("steps      3 of 3"), resumed::toString);
        for (String file : List.of(Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE)) {
            Map<String, LoadedTensor> ta = Safetensors.read(a.last().resolve(file)).tensors();
            Map<String, LoadedTensor> tb = Safetensors.read(b.last().resolve(file)).tensors();
            assertEquals(ta.keySet(), tb.keySet());
            ta.forEach((n, t) -> {
                if (!t.isInteger()) {
                    assertArrayEquals(t.floats(), tb.get(n).floats(), file + " " + n);
                }
            });
        }
    }

    @Test
    void discriminativeHeadTrainsTheSegFormer() throws Exception {
        Run r = run("train", "--data", dir.resolve("train").toString(), "--val-data", dir.resolve("val").toString(),
                "--out", dir.resolve("runs").toString(), "--name", "seg", "--head", "discriminative", "--variant",
                "b0", "--resolution", "64", "--train-crop", "32", "--batch", "2", "--epochs", "1", "--device", "cpu");
        assertEquals(0, r.exit(), r::toString);
        RunFolder f = new RunFolder(dir.resolve("runs/seg"));
        assertEquals(32, RunConfig.read(f.config()).train().trainCrop());
        assertTrue(data.opened.stream().anyMatch(o -> o.startsWith("train train 64 2 ") && o.endsWith(" crop 32")),
                data.opened::toString);
        assertTrue(data.opened.contains("val val 64 2"), data.opened::toString);
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--train-crop", "48", "--device", "cpu"),
                "--train-crop must be 0 or a multiple of 32 from 32 to the resolution (128), got 48");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--train-crop", "160", "--device", "cpu"),
                "--train-crop must be 0 or a multiple of 32 from 32 to the resolution (128), got 160");
        assertEquals(3, SegFormerCheckpoint.readMeta(f.last()).step());
        assertEquals("discriminative", RunConfig.read(f.config()).head());
        assertFalse(Files.exists(f.dir().resolve("vae")));
        Run bad = run("train", "--data", "x", "--head", "discriminative", "--vae", "y", "--device", "cpu");
        assertEquals(2, bad.exit(), bad::toString);
        assertTrue(bad.err().contains("belong to the diffusion head"), bad::toString);
        Run warm = run("train", "--data", "x", "--head", "discriminative", "--aux-warmup-epochs", "1", "--device",
                "cpu");
        assertEquals(2, warm.exit(), warm::toString);
        assertTrue(warm.err().contains("belong to the diffusion head"), warm::toString);
        Run noAux = run("train", "--data", "x", "--aux-weight", "0", "--aux-warmup-epochs", "1", "--device", "cpu");
        assertEquals(2, noAux.exit(), noAux::toString);
        assertTrue(noAux.err().contains("--aux-warmup-epochs needs the auxiliary head"), noAux::toString);
        Run share = run("train", "--data", "x", "--guess-share", "1.5", "--device", "cpu");
        assertEquals(2, share.exit(), share::toString);
        assertTrue(share.err().contains("--guess-share must be in [0, 1], got 1.5"), share::toString);
        Run unanchored = run("train", "--data", "x", "--guess-share", "0.5", "--no-aux-anchor", "--device", "cpu");
        assertEquals(2, unanchored.exit(), unanchored::toString);
        assertTrue(unanchored.err().contains("--guess-share needs --aux-anchor"), unanchored::toString);
        // Without an anchor the preset's guesses are dropped, not refused: the run goes on to read its data.
        Run noAnchor = run("train", "--data", "x", "--no-aux-anchor", "--device", "cpu");
        assertFalse(noAnchor.err().contains("--guess-share"), noAnchor::toString);
        Run segGuess = run("train", "--data", "x", "--head", "discriminative", "--guess-share", "0.5", "--device",
                "cpu");
        assertEquals(2, segGuess.exit(), segGuess::toString);
        assertTrue(segGuess.err().contains("belong to the diffusion head"), segGuess::toString);
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--unet-width", "48", "--device", "cpu"),
                "--unet-width must be a multiple of 32 from 32 to 512, got 48");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--aux-fine-convs", "7", "--device", "cpu"),
                "--aux-fine-convs must be in [0, 4], got 7");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--no-aux-fine", "--aux-fine-convs", "1",
                "--device", "cpu"), "--aux-fine-convs needs the read-out at 1/4 (--aux-fine)");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--head", "discriminative", "--unet-width",
                "64", "--device", "cpu"), "belong to the diffusion head");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--stem-width", "0", "--device", "cpu"),
                "--stem-width must be in [1, 128], got 0");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--stem-width", "129", "--device", "cpu"),
                "--stem-width must be in [1, 128], got 129");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--noise-stem", "none", "--stem-width", "16",
                "--device", "cpu"), "--stem-width needs a noise stem (--noise-stem srm or srm+bayar)");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--head", "discriminative", "--stem-width",
                "16", "--device", "cpu"), "belong to the diffusion head");
        assertTrue(r.out().contains("positive weight"), r::toString); // --pos-weight auto, the default
        assertEquals("srm", RunConfig.read(f.config()).segformer().noiseStem());
        assertTrue(RunConfig.read(f.config()).segformer().posWeight() >= 1f);
        Run stem = run("train", "--data", "x", "--noise-stem", "sobel", "--device", "cpu");
        assertEquals(2, stem.exit(), stem::toString);
        assertTrue(stem.err().contains("unknown noise stem 'sobel' (expected none, srm or srm+bayar)"),
                stem::toString);
        Run pos = run("train", "--data", "x", "--pos-weight", "-1", "--device", "cpu");
        assertEquals(2, pos.exit(), pos::toString);
        assertTrue(pos.err().contains("--pos-weight must be > 0, got -1"), pos::toString);
        Run augment = run("train", "--data", "x", "--augment", "blur", "--device", "cpu");
        assertEquals(2, augment.exit(), augment::toString);
        assertTrue(augment.err().contains("'blur' is not an augmentation set: expected paper, geometric or none"),
                augment::toString);
    }

    @Test
    void trainVaeWritesLightVaeWeights() throws Exception {
        Run r = run("train-vae", "--data", dir.resolve("train").toString(), "--out", dir.toString(), "--name", "v",
                "--resolution", "32", "--batch", "2", "--epochs", "1", "--device", "cpu",
                "--threads", Integer.toString(Native.cpuThreads())); // exercised without changing the count
        assertEquals(0, r.exit(), r::toString);
        assertTrue(Files.isRegularFile(dir.resolve("v").resolve(VaeTrainer.WEIGHTS_FILE)));
        assertTrue(r.out().contains("reconstruction pixel F1 "), r::toString);
        assertTrue(r.out().contains("steps          3 in "), r::toString);
    }

    @Test
    void usageErrorsAreOneLine() throws Exception {
        String data = dir.resolve("train").toString();
        CliExpectations.assertOneLineError(run("train", "--device", "cpu", "--data", data, "--batch", "0",
                "--out", dir.resolve("runs").toString()), "--batch must be >= 1, got 0");
        CliExpectations.assertOneLineError(run("train-vae", "--device", "cpu", "--data", data, "--resolution", "33",
                "--out", dir.resolve("runs").toString()), "resolution must be a positive multiple of 32");
        // no --data: the size is refused before any synthetic data would be made at it
        CliExpectations.assertOneLineError(run("train", "--device", "cpu", "--resolution", "100", "--out",
                dir.resolve("runs").toString()), "resolution must be a positive multiple of 32, got 100");
        assertFalse(Files.exists(Path.of("data", "synth-100")), "synthetic data was made for a refused size");
        Files.createDirectories(dir.resolve("runs/taken"));
        Files.writeString(dir.resolve("runs/taken/file"), "x");
        CliExpectations.assertOneLineError(run(tiny("taken").toArray(String[]::new)), "already exists: continue that"
                + " run with --resume");
        CliExpectations.assertOneLineError(run(tiny("novae", "--vae", dir.resolve("missing").toString())
                .toArray(String[]::new)), "missing: no such file");
        assertFalse(Files.exists(dir.resolve("runs/novae")), "a run folder was made for a run that cannot start");
        CliExpectations.assertOneLineError(run("train", "--resume", dir.resolve("nothing").toString()),
                "config.json: no such file (not the folder of a training run)");
        CliExpectations.assertOneLineError(run("train", "--data", "x", "--threads", "0", "--device", "cpu"),
                "--threads must be >= 1, got 0");
        Run badHead = run("train", "--head", "gan");
        assertEquals(2, badHead.exit());
        assertTrue(badHead.err().contains("'gan' is not a head"), badHead::toString);
        // Without injected readers, --data reaches the build's dataset readers.
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("train", "--data", dir.resolve("d").toString(), "--device", "cpu");
        CliExpectations.assertOneLineError(new Run(exit, out.toString(), err.toString()), "d: ");
    }
}
