package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.data.benchmark.Benchmark;
import ai.diffiml.localize.LocalizeFixtures;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code datasets check} and {@code datasets convert} on the command line: output, files, exit codes. */
class DatasetsCommandTest {
    @TempDir
    Path dir;

    private static Run run(String... args) {
        return PredictCommandTest.run(args);
    }

    /** A 40 x 30 mask with {@code value} in its left half. */
    static Path mask(Path file, int value) throws Exception {
        Files.createDirectories(file.getParent());
        BufferedImage m = new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 20; x++) {
                m.getRaster().setSample(x, y, 0, value);
            }
        }
        ImageIO.write(m, "png", file.toFile());
        return file;
    }

    @Test
    void checkSummarisesAPairedFolderAndExitsZeroWhenNothingIsWrong() throws Exception {
        Path folder = dir.resolve("pairs");
        LocalizeFixtures.png(folder.resolve("a.png"), 40, 30, 1);
        mask(folder.resolve("a_gt.png"), 255);
        LocalizeFixtures.png(folder.resolve("b.png"), 40, 30, 2);
        Run r = run("datasets", "check", folder.toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith("dataset pairs: paired-suffix folder"), r::toString);
        assertTrue(r.out().contains("1 tampered, 1 authentic; masks missing 0, unmatched masks 0"), r::toString);
        assertTrue(r.out().contains("  example: " + folder.resolve("a.png") + " <- " + folder.resolve("a_gt.png")),
                r::toString);
        assertTrue(r.out().contains("masks 1: binary 0/255 1, binary 0/1 0"), r::toString);
        assertTrue(r.out().contains("0-31 50.00%") && r.out().contains("224-255 50.00%"), r::toString);
    }

    @Test
    void checkExitsTwoOnZeroOneMasksUnmatchedMasksAndUnopenablePaths() throws Exception {
        Path folder = dir.resolve("bad");
        LocalizeFixtures.png(folder.resolve("a.png"), 40, 30, 1);
        mask(folder.resolve("a_mask.png"), 1); // 0/1: all authentic to the protocol
        mask(folder.resolve("orphan_gt.png"), 255);
        Run r = run("datasets", "check", folder.toString(), dir.resolve("nowhere").toString());
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.out().contains("unmatched masks 1"), r::toString);
        assertTrue(r.out().contains("binary 0/1 1 (read as all authentic by the protocol's rule)"), r::toString);
        assertTrue(r.out().contains("empty after binarising (> 127.5) 1"), r::toString);
        assertEquals("error: " + dir.resolve("nowhere") + ": no such file or folder", r.err().strip());
    }

    @Test
    void convertWritesTheListAndTheReportAndSummarisesTheList() throws Exception {
        Path src = dir.resolve("COVERAGE");
        LocalizeFixtures.png(src.resolve("image/1.png"), 40, 30, 1); // PNGs stand in for the TIFFs
        Files.move(src.resolve("image/1.png"), src.resolve("image/1.tif"));
        LocalizeFixtures.png(src.resolve("image/1t.png"), 40, 30, 2);
        Files.move(src.resolve("image/1t.png"), src.resolve("image/1t.tif"));
        Files.move(mask(src.resolve("mask/1forged.png"), 255), src.resolve("mask/1forged.tif"));
        Path list = dir.resolve("out/coverage.json");
        Run r = run("datasets", "convert", "--layout", "coverage", src.toString(), "--out", list.toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().startsWith(list + ": 1 tampered, 1 authentic, 0 masks rewritten; 0 could not be"
                + " matched (see " + dir.resolve("out/coverage-report.txt") + ")"), r::toString);
        assertTrue(r.out().contains("dataset out/coverage.json: BenCo JSON list; 1 tampered, 1 authentic"),
                r::toString);
        assertTrue(Files.readString(dir.resolve("out/coverage-report.txt")).contains("layout checked against: "));
        CliExpectations.assertOneLineError(run("datasets", "convert", "--layout", "cocoglide", src.toString(),
                "--out", list.toString()), "CocoGlide is not supported");
        CliExpectations.assertOneLineError(run("datasets", "convert", "--layout", "casia2", src.toString(),
                "--out", list.toString()), "Tp: no such folder");
    }

    @Test
    void convertHelpNamesEveryLayout() {
        Run r = run("datasets", "convert", "--help");
        assertEquals(0, r.exit(), r::toString);
        String flat = r.out().replaceAll("\\s+", " ");
        for (Benchmark b : Benchmark.values()) {
            assertTrue(flat.contains(b.id), b.id + " missing from: " + r.out());
        }
    }
}
