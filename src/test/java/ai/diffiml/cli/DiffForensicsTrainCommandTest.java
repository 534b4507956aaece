package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.io.DiffForensicsCheckpoint;
import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerOptions;
import ai.diffiml.train.DiffForensicsRun;
import ai.diffiml.train.RunConfig;
import ai.diffiml.train.RunFolder;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code train --model diffforensics} in-process on the synthetic batches of {@link TrainCommandTest}: both stages
 * into one run folder (stage 1 in pretrain/), the validation lines with the image AUC, a fine-tuning-only run
 * from that pretraining, resume of a finished run, the Localizer reading the run with the detection score as the
 * image score, and the one-line usage errors.
 */
class DiffForensicsTrainCommandTest {
    @TempDir
    Path dir;

    private final TrainCommandTest.Synthetic data = new TrainCommandTest.Synthetic();

    private Run run(String... args) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == TrainCommand.class ? cls.cast(new TrainCommand(data))
                        : CommandLine.defaultFactory().create(cls);
            }
        };
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(factory).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private List<String> tiny(String name, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--model", "diffforensics", "--data",
                dir.resolve("train").toString(), "--val-data", dir.resolve("val").toString(), "--out",
                dir.resolve("runs").toString(), "--name", name, "--variant", "b0", "--resolution", "32", "--batch",
                "2", "--epochs", "1", "--decoder-width", "8", "--seed", "3", "--device", "cpu"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void trainsBothStagesIntoOneRunFolderThatTheLocalizerReads() throws Exception {
        Run r = run(tiny("df", "--pretrain-epochs", "1").toArray(String[]::new));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("stage 1    pretraining (denoising, encoder frozen): 3 steps"), r::toString);
        assertTrue(r.out().matches("(?s).*simplex-noise MSE on a validation batch \\d+\\.\\d{4} -> \\d+\\.\\d{4}.*"),
                r::toString);
        RunFolder run = new RunFolder(dir.resolve("runs/df"));
        Path stage1 = run.dir().resolve(DiffForensicsRun.PRETRAIN_FOLDER).resolve(RunFolder.LAST);
        assertTrue(r.out().contains("stage 2    fine-tuning at t_f = 5 from " + stage1), r::toString);
        assertTrue(r.out().contains("steps      3 of 3 (1 epochs x 3 batches)"), r::toString);
        assertTrue(r.out().matches("(?s).*val AUC    \\d\\.\\d{4} \\(pixel AUC.*"), r::toString);
        assertTrue(r.out().matches("(?s).*val image  AUC \\d\\.\\d{4} \\(the detection head's score\\).*"),
                r::toString);
        assertTrue(r.out().contains("forged images 100.0%"), r::toString);
        RunConfig c = RunConfig.read(run.config());
        assertEquals("diffforensics", c.head());
        assertEquals("both", c.diffforensics().stages());
        assertEquals("pretrain", DiffForensicsCheckpoint.readMeta(stage1).stage());
        assertEquals(3, DiffForensicsCheckpoint.readMeta(stage1).step());
        assertEquals("finetune", DiffForensicsCheckpoint.readMeta(run.last()).stage());
        assertTrue(Files.isRegularFile(run.metrics()) && Files.isRegularFile(run.best().resolve("checkpoint.json")));
        assertTrue(Files.readString(run.metrics()).contains("\"val_image_auc\""));

        try (Localizer localizer = Localizer.load(run.dir(), LocalizerOptions.builder().device("cpu").build())) {
            assertTrue(localizer.description().startsWith("DiffForensics MiT-b0, 32 px"), localizer.description());
            BufferedImage photo = new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR);
            Localization l = localizer.localize(photo);
            assertTrue(l.hasDetectionScore());
            assertEquals(l.detectionScore(), l.imageScore());
            assertTrue(l.detectionScore() > 0 && l.detectionScore() < 1);
        }

        Run again = run("train", "--resume", run.dir().toString(), "--device", "cpu");
        assertEquals(0, again.exit(), again::toString);
        assertEquals(3, DiffForensicsCheckpoint.readMeta(run.last()).step(), "a finished run stays finished");

        Run fineTune = run(tiny("ft", "--stage", "finetune", "--pretrained", run.dir().toString())
                .toArray(String[]::new));
        assertEquals(0, fineTune.exit(), fineTune::toString);
        assertTrue(fineTune.out().contains("from " + stage1), fineTune::toString);
        assertFalse(fineTune.out().contains("stage 1"), fineTune::toString);
        assertFalse(Files.exists(dir.resolve("runs/ft").resolve(DiffForensicsRun.PRETRAIN_FOLDER)));
    }

    @Test
    void usageErrorsAreOneLine() throws Exception {
        CliExpectations.assertOneLineError(run(tiny("a", "--vae", "x").toArray(String[]::new)),
                "--vae belong to DiffIML, not to --model diffforensics");
        CliExpectations.assertOneLineError(run(tiny("t", "--train-crop", "32").toArray(String[]::new)),
                "--train-crop belong to DiffIML, not to --model diffforensics");
        CliExpectations.assertOneLineError(run(tiny("b", "--stage", "half").toArray(String[]::new)),
                "--stage must be pretrain, finetune or both, got 'half'");
        CliExpectations.assertOneLineError(run(tiny("c", "--pretrained", dir.toString()).toArray(String[]::new)),
                "--pretrained is the start of --stage finetune");
        CliExpectations.assertOneLineError(run(tiny("d", "--stage", "finetune", "--pretrained",
                dir.resolve("nothing").toString()).toArray(String[]::new)), "neither a DiffForensics run folder");
        CliExpectations.assertOneLineError(run("train", "--stage", "pretrain", "--device", "cpu", "--data", "x"),
                "--stage belong to --model diffforensics");
        List<String> wide = tiny("e");
        wide.set(wide.indexOf("--decoder-width") + 1, "12");
        CliExpectations.assertOneLineError(run(wide.toArray(String[]::new)),
                "decoderWidth must be a positive multiple of 8, got 12");
        assertFalse(Files.exists(dir.resolve("runs/a")), "a refused run leaves no folder");
    }
}
