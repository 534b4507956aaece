package ai.diffiml.localize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.Preprocess;
import ai.diffiml.data.UnreadableImageException;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The localizer on tiny random-weight DiffIML and SegFormer checkpoints: maps at the original size, agreement with
 * the model's own prediction, determinism by seed, the uncertainty, tiling, run-folder resolution and inputs.
 */
class LocalizerTest {
    @TempDir
    static Path shared;

    static Path diffiml;
    static Path segformer;

    @BeforeAll
    static void checkpoints() throws Exception {
        diffiml = LocalizeFixtures.diffImlCheckpoint(shared.resolve("diffiml"), 1);
        segformer = LocalizeFixtures.segFormerCheckpoint(shared.resolve("segformer"), 2);
    }

    @TempDir
    Path dir;

    @Test
    void mapsHaveTheImagesOriginalSize() throws Exception {
        try (Localizer localizer = Localizer.load(diffiml, LocalizeFixtures.fast().build())) {
            assertEquals(64, localizer.resolution());
            assertEquals(Device.CPU, localizer.device());
            assertTrue(localizer.isDiffusionModel());
            for (int[] size : new int[][] {{50, 37}, {130, 71}, {64, 64}}) {
                Localization r = localizer.localize(LocalizeFixtures.image(size[0], size[1], 3));
                assertEquals(size[0], r.width());
                assertEquals(size[1], r.height());
                float[] p = r.probability();
                assertEquals(size[0] * size[1], p.length);
                assertEquals(p.length, r.uncertainty().length);
                double max = 0, sum = 0;
                byte[] mask = r.mask();
                for (int i = 0; i < p.length; i++) {
                    assertTrue(p[i] > 0 && p[i] < 1, "probabilities lie in (0, 1)");
                    assertEquals(p[i] > 0.5f ? 1 : 0, mask[i], "mask = probability > threshold");
                    max = Math.max(max, p[i]);
                    sum += p[i];
                }
                assertEquals(max, r.scoreMax(), 0);
                assertEquals(sum / p.length, r.scoreMean(), 1e-9);
                assertEquals(p[size[0] + 2], r.probability(2, 1));
                StageTimings t = r.timings();
                assertTrue(t.encoderMs() > 0 && t.samplingMs() > 0 && t.decodeMs() > 0 && t.preprocessMs() > 0
                        && t.postprocessMs() > 0, t::toString);
                assertEquals(1, t.batch());
                assertEquals(t.preprocessMs() + t.queueMs() + t.encoderMs() + t.samplingMs() + t.decodeMs()
                        + t.postprocessMs(), t.totalMs(), 1e-9);
            }
        }
    }

    @Test
    void theModelResolutionMapIsTheModelsOwnPrediction() throws Exception {
        BufferedImage photo = LocalizeFixtures.image(90, 70, 4);
        LocalizerOptions options = LocalizeFixtures.fast().seed(11).flipTta(true).build();
        float[] expected;
        try (DiffIml model = Checkpoint.load(diffiml, Device.CPU).model(); Scope s = Scope.open();
                Mat bgr = ImageFiles.fromBufferedImage(photo); Mat scaled = Preprocess.resizeImage(bgr, 64)) {
            model.train(false);
            float[] pixels = new float[3 * 64 * 64];
            Preprocess.normalize(scaled, pixels, 0);
            expected = model.predict(Tensor.of(Device.CPU, pixels, 1, 3, 64, 64),
                    new DiffIml.Sampling(3, 2, true, 11)).toArray();
        }
        try (Localizer localizer = Localizer.load(diffiml, options)) {
            Localization r = localizer.localize(photo);
            assertTrue(r.hasModelProbability());
            assertArrayEquals(expected, r.modelProbability(), "DiffIml.predict on the resized image, bit for bit");
            assertArrayEquals(Maps.resizeBilinear(expected, 64, 64, 90, 70), r.probability());
        }
    }

    @Test
    void theSameSeedGivesTheSameMapAndAnotherSeedAnother() throws Exception {
        BufferedImage photo = LocalizeFixtures.image(80, 60, 5);
        float[] a, b, c;
        try (Localizer localizer = Localizer.load(diffiml, LocalizeFixtures.fast().seed(3).build())) {
            a = localizer.localize(photo).probability();
            b = localizer.localize(photo).probability();
        }
        try (Localizer other = Localizer.load(diffiml, LocalizeFixtures.fast().seed(4).build())) {
            c = other.localize(photo).probability();
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "another seed starts the chains from other noise");
    }

    @Test
    void uncertaintyIsZeroForOneMemberAndTheSpreadOfSeveral() throws Exception {
        BufferedImage photo = LocalizeFixtures.image(70, 50, 6);
        try (Localizer one = Localizer.load(diffiml, LocalizeFixtures.fast().ensemble(1).build())) {
            Localization r = one.localize(photo);
            assertFalse(r.uncertaintyMeasured());
            assertFalse(one.measuresUncertainty());
            for (float u : r.uncertainty()) {
                assertEquals(0f, u);
            }
        }
        float[] withSpread;
        try (Localizer three = Localizer.load(diffiml, LocalizeFixtures.fast().ensemble(3).build())) {
            Localization r = three.localize(photo);
            assertTrue(r.uncertaintyMeasured());
            withSpread = r.probability();
            float[] u = r.uncertainty();
            double max = 0;
            for (float v : u) {
                assertTrue(v >= 0 && v <= 0.5f, "a spread of values in [0, 1] lies in [0, 0.5]");
                max = Math.max(max, v);
            }
            assertTrue(max > 1e-4, "three chains from different noise disagree somewhere: max spread " + max);
        }
        try (Localizer off = Localizer.load(diffiml, LocalizeFixtures.fast().ensemble(3).uncertainty(false)
                .build())) {
            Localization r = off.localize(photo);
            assertFalse(r.uncertaintyMeasured());
            assertArrayEquals(new float[70 * 50], r.uncertainty());
            assertArrayEquals(withSpread, r.probability(), "the uncertainty does not change the probability");
        }
    }

    @Test
    void theSpreadIsTheStandardDeviationOfTheMembersDecodes() throws Exception {
        // Member maps straight from the model (sampleChains + decode of each chain), then the spread by hand.
        BufferedImage photo = LocalizeFixtures.image(64, 64, 7);
        float[] pixels = new float[3 * 64 * 64];
        float[][] member = new float[3][];
        try (DiffIml model = Checkpoint.load(diffiml, Device.CPU).model(); Scope s = Scope.open();
                Mat bgr = ImageFiles.fromBufferedImage(photo)) {
            model.train(false);
            Preprocess.normalize(bgr, pixels, 0);
            Tensor image = Tensor.of(Device.CPU, pixels, 1, 3, 64, 64);
            try (var g = ai.diffiml.autograd.GradMode.disabled()) {
                Tensor cond = model.condition(image);
                Tensor chains = model.sampleChains(cond, model.noisePerImage(1, 3, 8, 8, 9), 3, 3, null);
                for (int m = 0; m < 3; m++) {
                    member[m] = ai.diffiml.ops.Activations.sigmoid(model.decodeMaskLogits(
                            ai.diffiml.ops.Layout.slice(chains, 0, m, 1))).toArray();
                }
            }
        }
        try (Localizer localizer = Localizer.load(diffiml, LocalizeFixtures.fast().ensemble(3).seed(9).build())) {
            float[] u = localizer.localize(photo).uncertainty();
            for (int p = 0; p < u.length; p++) {
                double mean = (member[0][p] + member[1][p] + member[2][p]) / 3.0, var = 0;
                for (int m = 0; m < 3; m++) {
                    var += (member[m][p] - mean) * (member[m][p] - mean) / 3.0;
                }
                assertEquals(Math.sqrt(var), u[p], 1e-6, "pixel " + p);
            }
        }
    }

    @Test
    void segFormerCheckpointsLocalizeWithoutUncertainty() throws Exception {
        BufferedImage photo = LocalizeFixtures.image(100, 45, 8);
        try (Localizer localizer = Localizer.load(segformer, LocalizeFixtures.fast().flipTta(true).build())) {
            assertTrue(localizer.description().startsWith("SegFormer"), localizer::description);
            assertFalse(localizer.isDiffusionModel());
            Localization a = localizer.localize(photo), b = localizer.localize(photo);
            assertEquals(100, a.width());
            assertEquals(45, a.height());
            assertArrayEquals(a.probability(), b.probability());
            assertFalse(a.uncertaintyMeasured());
            assertArrayEquals(new float[100 * 45], a.uncertainty());
            assertEquals(0, a.timings().samplingMs());
            assertEquals(0, a.timings().decodeMs());
            assertTrue(a.timings().encoderMs() > 0);
            for (float p : a.probability()) {
                assertTrue(p > 0 && p < 1);
            }
        }
    }

    @Test
    void tilesCoverTheImageAndMatchTheResizeModeWhereTheyAgree() throws Exception {
        LocalizerOptions resize = LocalizeFixtures.fast().seed(2).build();
        LocalizerOptions tiled = resize.toBuilder().mode(InferenceMode.TILED).tileOverlap(0).batch(2).build();
        BufferedImage photo = LocalizeFixtures.image(128, 64, 10);
        try (Localizer byResize = Localizer.load(diffiml, resize); Localizer byTiles = Localizer.load(diffiml, tiled)) {
            // Without overlap a 128 x 64 image is exactly two 64 x 64 tiles: each half is localized on its own.
            Localization whole = byTiles.localize(photo);
            assertFalse(whole.hasModelProbability());
            assertThrows(IllegalStateException.class, whole::modelProbability);
            float[] left = byResize.localize(photo.getSubimage(0, 0, 64, 64)).probability();
            float[] right = byResize.localize(photo.getSubimage(64, 0, 64, 64)).probability();
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    assertEquals(left[y * 64 + x], whole.probability(x, y), 1e-5, "left tile");
                    assertEquals(right[y * 64 + x], whole.probability(64 + x, y), 1e-5, "right tile");
                }
            }
        }
        // Odd sizes, overlapping tiles and tiles past a short side: every pixel gets a probability.
        try (Localizer overlapping = Localizer.load(diffiml, tiled.toBuilder().tileOverlap(0.25).build())) {
            Localization odd = overlapping.localize(LocalizeFixtures.image(150, 40, 11));
            assertEquals(150, odd.width());
            assertEquals(40, odd.height());
            for (float p : odd.probability()) {
                assertTrue(p > 0 && p < 1);
            }
            assertTrue(odd.uncertaintyMeasured());
        }
    }

    @Test
    void aRunFolderUsesBestElseLast() throws Exception {
        Path run = dir.resolve("run");
        LocalizeFixtures.diffImlCheckpoint(run.resolve("last"), 21);
        assertEquals(run.resolve("last"), Localizer.checkpointFolder(run));
        BufferedImage photo = LocalizeFixtures.image(64, 64, 12);
        float[] fromLast;
        try (Localizer l = Localizer.load(run, LocalizeFixtures.fast().build())) {
            fromLast = l.localize(photo).probability();
            assertEquals(run.resolve("last"), l.source());
        }
        LocalizeFixtures.diffImlCheckpoint(run.resolve("best"), 22);
        assertEquals(run.resolve("best"), Localizer.checkpointFolder(run));
        try (Localizer fromBest = Localizer.load(run, LocalizeFixtures.fast().build());
                Localizer direct = Localizer.load(run.resolve("best"), LocalizeFixtures.fast().build())) {
            float[] best = fromBest.localize(photo).probability();
            assertFalse(Arrays.equals(fromLast, best), "other weights");
            assertArrayEquals(direct.localize(photo).probability(), best);
        }
    }

    @Test
    void missingOrEmptyFoldersAreOneLineErrors() throws Exception {
        WeightFileException missing = assertThrows(WeightFileException.class,
                () -> Localizer.load(dir.resolve("nope"), LocalizerOptions.defaults()));
        assertTrue(missing.getMessage().endsWith("nope: no such run folder or checkpoint folder"),
                missing::getMessage);
        Files.createDirectories(dir.resolve("empty"));
        WeightFileException empty = assertThrows(WeightFileException.class,
                () -> Localizer.load(dir.resolve("empty"), LocalizerOptions.defaults()));
        assertTrue(empty.getMessage().contains("neither a checkpoint folder"), empty::getMessage);
        assertThrows(IllegalArgumentException.class,
                () -> Localizer.load(diffiml, LocalizeFixtures.fast().steps(1001).build()));
        assertThrows(IllegalArgumentException.class, () -> LocalizerOptions.builder().steps(0).build());
        assertThrows(IllegalArgumentException.class, () -> LocalizerOptions.builder().device("tpu").build());
    }

    @Test
    void filesBytesAndDecodedImagesGiveTheSameMap() throws Exception {
        Path file = LocalizeFixtures.png(dir.resolve("a.png"), 77, 55, 13);
        try (Localizer localizer = Localizer.load(diffiml, LocalizeFixtures.fast().build())) {
            float[] fromFile = localizer.localize(file).probability();
            assertArrayEquals(fromFile, localizer.localize(Files.readAllBytes(file)).probability());
            assertArrayEquals(fromFile, localizer.localize(ImageIO.read(file.toFile())).probability());
            try (Mat bgr = ImageFiles.readImage(file)) {
                assertArrayEquals(fromFile, localizer.localize(LocalizerInput.ofBgr(bgr)).probability());
                assertEquals(77, bgr.cols(), "the caller's Mat is left intact");
            }
            Files.write(dir.resolve("bad.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
            UnreadableImageException bad = assertThrows(UnreadableImageException.class,
                    () -> localizer.localize(dir.resolve("bad.png")));
            assertTrue(bad.getMessage().contains("bad.png"), bad::getMessage);
        }
    }

    @Test
    void aBatchGivesNearlyTheSameMapsAsSingleCalls() throws Exception {
        List<LocalizerInput> inputs = List.of(LocalizerInput.of(LocalizeFixtures.image(64, 64, 14)),
                LocalizerInput.of(LocalizeFixtures.image(90, 40, 15)), LocalizerInput.of(LocalizeFixtures.image(
                        30, 70, 16)));
        try (Localizer single = Localizer.load(diffiml, LocalizeFixtures.fast().build());
                Localizer batched = Localizer.load(diffiml, LocalizeFixtures.fast().batch(2).build())) {
            List<Localization> one = single.localizeAll(inputs), two = batched.localizeAll(inputs);
            assertEquals(3, two.size());
            assertEquals(2, two.get(0).timings().batch());
            assertEquals(1, two.get(2).timings().batch());
            for (int i = 0; i < 3; i++) {
                float[] a = one.get(i).probability(), b = two.get(i).probability();
                assertEquals(a.length, b.length);
                for (int p = 0; p < a.length; p++) {
                    assertEquals(a[p], b[p], 1e-5, "image " + i + " pixel " + p);
                }
            }
        }
    }

    @Test
    void aClosedLocalizerRefusesWork() throws Exception {
        Localizer localizer = Localizer.load(diffiml, LocalizeFixtures.fast().build());
        localizer.close();
        localizer.close(); // twice is fine
        assertThrows(IllegalStateException.class, () -> localizer.localize(LocalizeFixtures.image(8, 8, 1)));
    }

    @Test
    void pngWritersWriteGreyImagesOfTheOriginalSize() throws Exception {
        try (Localizer localizer = Localizer.load(diffiml, LocalizeFixtures.fast().ensemble(3).build())) {
            BufferedImage photo = LocalizeFixtures.image(41, 29, 17);
            Localization r = localizer.localize(photo);
            r.writeProbabilityPng(dir.resolve("p.png"));
            r.writeMaskPng(dir.resolve("m.png"));
            r.writeUncertaintyPng(dir.resolve("u.png"));
            r.writeOverlayPng(dir.resolve("o.png"), photo);
            BufferedImage p = ImageIO.read(dir.resolve("p.png").toFile());
            assertEquals(41, p.getWidth());
            assertEquals(29, p.getHeight());
            assertEquals(BufferedImage.TYPE_BYTE_GRAY, p.getType());
            assertEquals(Math.round(255 * r.probability(5, 7)), p.getRaster().getSample(5, 7, 0));
            BufferedImage m = ImageIO.read(dir.resolve("m.png").toFile());
            assertEquals(r.tampered(3, 4) ? 255 : 0, m.getRaster().getSample(3, 4, 0));
            BufferedImage u = ImageIO.read(dir.resolve("u.png").toFile());
            assertEquals(Math.round(255 * Math.min(1, 2 * r.uncertainty(9, 9))), u.getRaster().getSample(9, 9, 0));
            BufferedImage o = ImageIO.read(dir.resolve("o.png").toFile());
            assertEquals(41, o.getWidth());
            assertEquals(3, o.getRaster().getNumBands());
            try (var files = Files.list(dir)) {
                assertEquals(4, files.count(), "no temporary files left");
            }
        }
    }
}
