package ai.diffiml.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary printed before eval and train: counts, missing and unmatched masks, size mismatches. */
class DatasetSummaryTest {
    @TempDir
    Path dir;

    @Test
    void countsMissingAndUnmatchedMasksAndSizeMismatches() throws Exception {
        DataFixtures.writeImage(dir.resolve("a.jpg"), 10, 12, 1);
        try (Mat m = DataFixtures.rectMask(10, 12, 1, 1, 4, 4); Mat small = DataFixtures.rectMask(5, 6, 1, 1, 2, 2)) {
            DataFixtures.writeMask(dir.resolve("a_gt.png"), m);
            DataFixtures.writeImage(dir.resolve("b.png"), 10, 12, 2);
            DataFixtures.writeMask(dir.resolve("b_gt.png"), small); // half the size of its image
            DataFixtures.writeMask(dir.resolve("zz_mask.png"), m); // nobody's
        }
        DataFixtures.writeImage(dir.resolve("c.jpg"), 10, 12, 3);
        DatasetSummary s = DatasetSummary.open(dir);
        assertEquals(2, s.tampered());
        assertEquals(1, s.authentic());
        assertEquals(List.of(dir.resolve("zz_mask.png")), s.unmatchedMasks());
        assertEquals(1, s.sizeMismatches().size());
        DatasetSummary.SizeMismatch mm = s.sizeMismatches().get(0);
        assertEquals(List.of(12, 10, 6, 5), List.of(mm.imageWidth(), mm.imageHeight(), mm.maskWidth(),
                mm.maskHeight()));
        assertTrue(s.hasProblems());
        List<String> lines = s.lines();
        assertTrue(lines.get(0).contains("2 tampered, 1 authentic; masks missing 0, unmatched masks 1, image/mask"
                + " size mismatches 1"), lines::toString);
        assertTrue(lines.contains("  unmatched mask (not read as a photo): zz_mask.png"), lines::toString);
        assertTrue(lines.contains("  size mismatch: b.png 12x10, mask b_gt.png 6x5"), lines::toString);
    }

    @Test
    void aListedMaskThatIsNotThereIsMissingAndNoTamperedImageIsAWarning() throws Exception {
        DataFixtures.writeImage(dir.resolve("x.png"), 8, 8, 4);
        Path list = Files.writeString(dir.resolve("l.json"), "[[\"x.png\", \"gone.png\"]]");
        DatasetSummary s = DatasetSummary.open(list);
        assertEquals(List.of(dir.resolve("gone.png")), s.missingMasks());
        assertTrue(s.hasProblems());

        Path authentic = Files.createDirectories(dir.resolve("au"));
        DataFixtures.writeImage(authentic.resolve("p.png"), 8, 8, 5);
        DatasetSummary none = DatasetSummary.open(authentic);
        assertFalse(none.hasProblems());
        assertEquals(DatasetReaders.IMAGE_FOLDER, none.layout());
        assertTrue(none.lines().stream().anyMatch(l -> l.startsWith("  warning: no tampered images")),
                none.lines()::toString);
    }

    @Test
    void trainsSummaryPrintsTheDatasetsThatExistAndLeavesTheOthersToTheLoader() throws Exception {
        DataFixtures.writeImage(dir.resolve("d/p.png"), 8, 8, 6);
        StringWriter text = new StringWriter();
        DatasetSummary.printExisting(new PrintWriter(text), dir.resolve("d"), null, dir.resolve("not-there"));
        assertEquals(List.of("dataset d: image folder (all authentic); 0 tampered, 1 authentic; masks missing 0,"
                + " unmatched masks 0, image/mask size mismatches 0", "  warning: no tampered images (no masks"
                + " found): pixel-level scores are undefined for d"), text.toString().lines().toList());
    }
}
