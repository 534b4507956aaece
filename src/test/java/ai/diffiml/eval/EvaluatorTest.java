package ai.diffiml.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.Sample;
import ai.diffiml.eval.robustness.Attack;
import ai.diffiml.eval.robustness.AttackKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation engine on the fixture dataset with a predictor whose answers are known exactly. */
class EvaluatorTest {
    private static final double TOL = 1e-9;

    @TempDir
    Path dir;

    private List<Sample> samples;

    @BeforeEach
    void dataset() throws Exception {
        samples = EvalFixtures.samples(EvalFixtures.writeDataset(dir.resolve("tiny")));
    }

    @Test
    void scoresEveryImageInBothModesAndSkipsTheBadOne() {
        for (int run = 0; run < 4; run++) {
            ScoringMode mode = ScoringMode.values()[run % 2];
            EvalFixtures.BrightnessPredictor p = new EvalFixtures.BrightnessPredictor(32, true);
            p.modelMap = run >= 2; // with and without the model-resolution map: the same scores here
            List<Integer> progress = new ArrayList<>();
            DatasetResult r = new Evaluator(p, mode, 0).evaluate("tiny", samples, null, null,
                    (done, total, image) -> progress.add(done * 100 + total));
            assertEquals(8, r.images().size());
            assertEquals(List.of(108, 208, 308, 408, 508, 608, 708, 808), progress);
            assertEquals(7, p.calls, "the corrupt image never reaches the predictor");
            double f1Sum = 0;
            for (int i = 0; i < 5; i++) {
                ImageResult t = r.images().get(i);
                assertEquals("Tp/t" + i + ".png", t.id());
                assertEquals(EvalFixtures.expectedF1(i), t.f1(), TOL, mode + " t" + i);
                assertEquals(170 / 255.0, t.score(), 1e-6);
                assertEquals(64, t.width());
                assertEquals(i == 3, t.maskSizeMismatch(), "t" + i);
                f1Sum += EvalFixtures.expectedF1(i);
            }
            // t1: the mask's 2 extra columns are grey like the background: positives 256 bright + 32 tied grey
            assertEquals((256 + 0.5 * 32) / 288, r.images().get(1).pixelAuc(), TOL);
            assertEquals(1.0, r.images().get(0).pixelAuc(), TOL);
            ImageResult bad = r.images().get(5);
            assertFalse(bad.ok());
            assertTrue(bad.error().contains("t5.png") && bad.error().contains("PNG"), bad.error());
            assertTrue(Double.isNaN(bad.f1()));
            assertNull(r.images().get(6).counts(), "authentic images have no pixel scores");
            assertEquals(1, r.failures().size());
            assertEquals(1, r.maskSizeMismatches());

            PixelF1.Summary pixel = r.pixel();
            assertEquals(5, pixel.tamperedImages());
            assertEquals(2, pixel.authenticImages());
            assertEquals(f1Sum / 5, pixel.f1(), TOL, "mean over tampered images; a1's false alarm counts nowhere");
            assertEquals(1.0, pixel.precision(), TOL);

            ImageDetection.Summary d = r.detection();
            assertEquals(7, d.images());
            assertEquals(1, d.fp());
            assertEquals(5, d.tp());
            assertEquals(1, d.tn());
            assertEquals(6.0 / 7, d.accuracy(), TOL);
            assertEquals(10.0 / 11, d.f1(), TOL);
            assertEquals(2.0 / 3, d.mvssImageF1(), TOL);
            assertEquals(0.75, d.auc(), TOL, "tampered 0.667 beat a0 and tie with a1");
        }
    }

    @Test
    void predictionFailuresAndInvalidMapsAreReportedAndSkipped() {
        EvalFixtures.BrightnessPredictor p = new EvalFixtures.BrightnessPredictor(32, false);
        p.failWidth = 48; // Au/a0 is 48 wide
        DatasetResult r = new Evaluator(p, ScoringMode.RESIZE, 0).evaluate("tiny", samples, null, null, null);
        assertEquals(2, r.failures().size());
        assertTrue(r.images().get(6).error().endsWith("a0.png: prediction failed: simulated failure"),
                r.images().get(6).error());
        MapPredictor outOfRange = new MapPredictor() {
            @Override
            public int resolution() {
                return 32;
            }

            @Override
            public Prediction predict(org.bytedeco.opencv.opencv_core.Mat bgr) {
                return new Prediction(new FloatMap(1, 1, new float[] {1.5f}), null, null, 1);
            }
        };
        DatasetResult bad = new Evaluator(outOfRange, ScoringMode.RESIZE, 0).evaluate("tiny", samples.subList(0, 1),
                null, null, null);
        assertTrue(bad.images().get(0).error().contains("outside [0, 1]"), bad.images().get(0).error());
        assertTrue(Double.isNaN(bad.pixel().f1()), "no tampered image scored");
    }

    @Test
    void batchesGiveTheSameResultsAndOneBadImageFailsAlone() {
        EvalFixtures.BrightnessPredictor single = new EvalFixtures.BrightnessPredictor(32, false);
        single.failWidth = 48;
        DatasetResult one = new Evaluator(single, ScoringMode.RESIZE, 0).evaluate("tiny", samples, null, null, null);
        EvalFixtures.BrightnessPredictor batched = new EvalFixtures.BrightnessPredictor(32, false);
        batched.failWidth = 48; // Au/a0, in the last batch of three with Au/a1: that batch is retried one by one
        List<Integer> progress = new ArrayList<>();
        DatasetResult three = new Evaluator(batched, ScoringMode.RESIZE, 0, 3).evaluate("tiny", samples, null, null,
                (done, total, r) -> progress.add(done));
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), progress);
        assertEquals(2, three.failures().size(), "the corrupt file and the image that cannot be predicted");
        assertTrue(three.images().get(6).error().contains("simulated failure"));
        assertTrue(three.images().get(7).ok(), "its batch mate is predicted alone");
        for (int i = 0; i < 8; i++) {
            assertEquals(one.images().get(i).f1(), three.images().get(i).f1(), 0.0, "image " + i);
            assertEquals(one.images().get(i).score(), three.images().get(i).score(), 0.0, "image " + i);
        }
        // Tp/t0-t2 (a batch of 3), Tp/t3-t4 (t5 unreadable: a batch of 2), Au/a0-a1 (the batch stops at a0; then
        // a0 and a1 alone)
        assertEquals(3 + 2 + 1 + 2, batched.calls);
    }

    @Test
    void attacksChangeTheInputButNotTheTruth() {
        EvalFixtures.BrightnessPredictor p = new EvalFixtures.BrightnessPredictor(32, false);
        Evaluator e = new Evaluator(p, ScoringMode.ORIGINAL, 4);
        DatasetResult clean = e.evaluate("tiny", samples.subList(0, 1), null, null, null);
        // sigma 40 noise (23 on the channel mean) lifts about 5% of the grey (0.35) pixels above 0.5
        Attack noise = new Attack(AttackKind.NOISE, 1600);
        DatasetResult noisy = e.evaluate("tiny", samples.subList(0, 1), noise, null, null);
        DatasetResult again = e.evaluate("tiny", samples.subList(0, 1), noise, null, null);
        assertEquals(1.0, clean.pixel().f1(), TOL);
        assertTrue(noisy.pixel().f1() < 0.8, "noise lowers F1: " + noisy.pixel().f1());
        assertEquals(noisy.pixel().f1(), again.pixel().f1(), 0.0, "the same seed distorts the same way");
        assertEquals("noise:1600", noisy.condition());
        assertEquals("clean", clean.condition());
        DatasetResult blurred = e.evaluate("tiny", samples.subList(0, 1), new Attack(AttackKind.BLUR, 23), null,
                null);
        assertTrue(blurred.pixel().f1() < 1.0 && blurred.pixel().f1() > 0.5, "blur rounds the corners: "
                + blurred.pixel().f1());
    }

    @Test
    void galleryKeepsTheBestAndWorstTamperedImages() {
        Gallery g = new Gallery(2, 24);
        new Evaluator(new EvalFixtures.BrightnessPredictor(32, true), ScoringMode.RESIZE, 0).evaluate("tiny",
                samples, null, g, null);
        // F1s: t0 1, t1 32/34, t2 32/40, t3 32/36, t4 32/48
        assertEquals(List.of("Tp/t0.png", "Tp/t1.png"), g.best().stream().map(Gallery.Entry::id).toList());
        assertEquals(List.of("Tp/t4.png", "Tp/t2.png"), g.worst().stream().map(Gallery.Entry::id).toList());
        Gallery.Entry e = g.best().get(0);
        assertTrue(e.photoJpeg().length > 100 && e.truthPng().length > 50 && e.predictionJpeg().length > 50);
        assertEquals(0.1f, e.uncertaintyMax(), 1e-6f);
        Gallery small = new Gallery(4, 24); // 5 tampered images: the worst end shows only the one not among the best
        new Evaluator(new EvalFixtures.BrightnessPredictor(32, false), ScoringMode.RESIZE, 0).evaluate("tiny",
                samples, null, small, null);
        assertEquals(4, small.best().size());
        assertEquals(List.of("Tp/t4.png"), small.worst().stream().map(Gallery.Entry::id).toList());
        assertNull(small.best().get(0).uncertaintyJpeg());
    }
}
