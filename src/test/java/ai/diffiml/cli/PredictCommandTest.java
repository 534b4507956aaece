package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.cli.CliExpectations.Run;
import ai.diffiml.localize.LocalizeFixtures;
import ai.diffiml.localize.MapMemory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code predict} in-process on a tiny checkpoint: a folder with a corrupt file (skipped, reported, exit 3), the
 * files and JSON lines it writes, refusing to clobber outputs, --skip-existing and --overwrite, tiles, and the
 * one-line usage errors.
 */
class PredictCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;

    static Path checkpoint;

    @BeforeAll
    static void model() throws Exception {
        checkpoint = LocalizeFixtures.diffImlCheckpoint(shared.resolve("ck"), 41);
    }

    @TempDir
    Path dir;

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** predict on the tiny checkpoint; --steps 2, --ensemble 2 and --device cpu unless {@code more} sets them. */
    private Run predict(Path input, Path outDir, String... more) {
        List<String> args = new ArrayList<>(List.of("predict", input.toString(), "--out", outDir.toString(),
                "--checkpoint", checkpoint.toString()));
        List<String> given = Arrays.asList(more);
        for (String[] option : new String[][] {{"--steps", "2"}, {"--ensemble", "2"}, {"--device", "cpu"}}) {
            if (!given.contains(option[0])) {
                args.addAll(List.of(option));
            }
        }
        args.addAll(given);
        return run(args.toArray(String[]::new));
    }

    @Test
    void aFolderGivesFourPicturesAndAJsonLinePerImageAndSkipsTheCorruptOne() throws Exception {
        Path images = dir.resolve("images");
        LocalizeFixtures.png(images.resolve("a.png"), 70, 50, 1);
        LocalizeFixtures.png(images.resolve("b.png"), 64, 64, 2);
        LocalizeFixtures.png(images.resolve("c.png"), 33, 90, 3);
        byte[] good = Files.readAllBytes(images.resolve("a.png"));
        Files.write(images.resolve("broken.png"), Arrays.copyOf(good, good.length / 3)); // truncated
        Path out = dir.resolve("out");
        Run r = predict(images, out);
        assertEquals(PredictCommand.EXIT_SOME_FAILED, r.exit(), r::toString);
        assertTrue(r.err().contains("skipped " + images.resolve("broken.png") + ": "), r::toString);
        assertTrue(r.out().startsWith("predicted 3 of 4 images"), r::toString);
        assertTrue(r.out().contains("1 failed"), r::toString);

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve(PredictCommand.PREDICTIONS))) {
            lines.add(JSON.readTree(line));
        }
        assertEquals(List.of("a", "b", "c"), lines.stream().map(l -> l.get("name").asText()).toList());
        int[][] sizes = {{70, 50}, {64, 64}, {33, 90}};
        for (int i = 0; i < 3; i++) {
            JsonNode line = lines.get(i);
            String name = line.get("name").asText();
            assertEquals(images.resolve(name + ".png").toString(), line.get("image").asText());
            for (String suffix : List.of("_prob", "_mask", "_uncertainty", "_overlay")) {
                BufferedImage picture = ImageIO.read(out.resolve(name + suffix + ".png").toFile());
                assertEquals(sizes[i][0], picture.getWidth(), name + suffix);
                assertEquals(sizes[i][1], picture.getHeight(), name + suffix);
                assertEquals(suffix.equals("_overlay") ? 3 : 1, picture.getRaster().getNumBands(), name + suffix);
            }
            BufferedImage prob = ImageIO.read(out.resolve(name + "_prob.png").toFile());
            int max = 0;
            for (int y = 0; y < prob.getHeight(); y++) {
                for (int x = 0; x < prob.getWidth(); x++) {
                    max = Math.max(max, prob.getRaster().getSample(x, y, 0));
                }
            }
            assertEquals(max / 255.0, line.get("score_max").asDouble(), 0.5 / 255 + 1e-6, "score = max of the map");
            assertTrue(line.get("score_mean").asDouble() <= line.get("score_max").asDouble());
            JsonNode t = line.get("timings_ms");
            for (String stage : List.of("read", "preprocess", "encoder", "sampling", "decode", "postprocess",
                    "write", "total")) {
                assertTrue(t.get(stage).asDouble() >= 0, stage);
            }
            JsonNode s = line.get("settings");
            assertEquals(2, s.get("steps").asInt());
            assertEquals(2, s.get("ensemble").asInt());
            assertEquals("resize", s.get("mode").asText());
            assertEquals(0.5, s.get("threshold").asDouble(), 1e-9);
            assertTrue(s.get("uncertainty").asBoolean());
        }
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(3 * 4 + 1, files.count(), "no temporary files, nothing for the broken image");
        }
    }

    @Test
    void existingOutputsAreRefusedThenKeptOrReplaced() throws Exception {
        Path image = LocalizeFixtures.png(dir.resolve("x.png"), 40, 30, 4);
        Path out = dir.resolve("out");
        Run first = predict(image, out);
        assertEquals(0, first.exit(), first::toString);
        Path prob = out.resolve("x_prob.png"), jsonl = out.resolve(PredictCommand.PREDICTIONS);
        byte[] probBefore = Files.readAllBytes(prob);
        String linesBefore = Files.readString(jsonl);

        Run again = predict(image, out);
        CliExpectations.assertOneLineError(again, "x_prob.png already exists (and 3 more outputs): pass"
                + " --skip-existing");
        assertArrayEquals(probBefore, Files.readAllBytes(prob));

        Run skip = predict(image, out, "--skip-existing");
        assertEquals(0, skip.exit(), skip::toString);
        assertTrue(skip.out().contains("predicted 0 of 1 images") && skip.out().contains("1 skipped"),
                skip::toString);
        assertEquals(linesBefore, Files.readString(jsonl));

        Files.delete(out.resolve("x_overlay.png")); // an incomplete image is done again
        Run redo = predict(image, out, "--skip-existing");
        assertTrue(redo.out().contains("predicted 1 of 1 images"), redo::toString);
        assertTrue(Files.exists(out.resolve("x_overlay.png")));
        assertArrayEquals(probBefore, Files.readAllBytes(prob), "same seed, same map");

        Run replaced = predict(image, out, "--overwrite", "--seed", "9");
        assertEquals(0, replaced.exit(), replaced::toString);
        assertFalse(Arrays.equals(probBefore, Files.readAllBytes(prob)), "another seed, another map");
        List<String> lines = Files.readAllLines(jsonl);
        assertEquals(1, lines.size());
        assertEquals(9, JSON.readTree(lines.get(0)).get("settings").get("seed").asInt());

        CliExpectations.assertOneLineError(predict(image, out, "--overwrite", "--skip-existing"),
                "--skip-existing and --overwrite exclude each other");
    }

    @Test
    void tilesAndTtaWithoutUncertainty() throws Exception {
        Path image = LocalizeFixtures.png(dir.resolve("wide.png"), 150, 40, 5);
        Path out = dir.resolve("out");
        Run r = predict(image, out, "--tile", "--batch", "2", "--tta", "--no-uncertainty", "--threshold", "0.3");
        assertEquals(0, r.exit(), r::toString);
        assertFalse(Files.exists(out.resolve("wide_uncertainty.png")));
        BufferedImage mask = ImageIO.read(out.resolve("wide_mask.png").toFile());
        assertEquals(150, mask.getWidth());
        JsonNode line = JSON.readTree(Files.readAllLines(out.resolve(PredictCommand.PREDICTIONS)).get(0));
        assertEquals("tiled", line.get("settings").get("mode").asText());
        assertTrue(line.get("settings").get("tta").asBoolean());
        assertFalse(line.get("settings").get("uncertainty").asBoolean());
        assertEquals(0.3, line.get("settings").get("threshold").asDouble(), 1e-6);
    }

    /**
     * An image whose maps the heap cannot hold is skipped with one line naming it and the bound, before its maps are
     * allocated; the others are predicted (here with the limit lowered to 400 KB by {@link MapMemory}'s property:
     * a 100 x 80 image needs 96 000 bytes with the uncertainty map, a 300 x 200 one 720 000; with --tile too).
     */
    @Test
    void anImageTooLargeForTheHeapIsSkippedWithTheBoundNamed() throws Exception {
        Path images = dir.resolve("images");
        LocalizeFixtures.png(images.resolve("small.png"), 100, 80, 7);
        Path large = LocalizeFixtures.png(images.resolve("large.png"), 300, 200, 8);
        String before = System.getProperty(MapMemory.LIMIT_PROPERTY);
        System.setProperty(MapMemory.LIMIT_PROPERTY, "400000");
        try {
            for (String mode : List.of("--resize", "--tile")) {
                Path out = dir.resolve("out" + mode);
                Run r = mode.equals("--tile") ? predict(images, out, "--tile") : predict(images, out);
                assertEquals(PredictCommand.EXIT_SOME_FAILED, r.exit(), r::toString);
                String expected = "skipped " + large + ": 300 x 200 pixels: its maps need 703 KiB of Java heap (12"
                        + " bytes a pixel, with the uncertainty map), more than the 390 KiB this JVM allows; run java"
                        + " with -Xmx2g or more, or leave the uncertainty map out (predict --no-uncertainty)";
                assertTrue(r.err().lines().anyMatch(expected::equals), r::toString);
                assertTrue(r.out().startsWith("predicted 1 of 2 images"), r::toString);
                assertTrue(Files.isRegularFile(out.resolve("small_prob.png")), mode);
                assertFalse(Files.exists(out.resolve("large_prob.png")), mode);
            }
        } finally {
            if (before == null) {
                System.clearProperty(MapMemory.LIMIT_PROPERTY);
            } else {
                System.setProperty(MapMemory.LIMIT_PROPERTY, before);
            }
        }
    }

    @Test
    void badFlagsAndMissingModelsAreOneLineErrors() throws Exception {
        Path image = LocalizeFixtures.png(dir.resolve("y.png"), 20, 20, 6);
        Path out = dir.resolve("out");
        CliExpectations.assertOneLineError(predict(image, out, "--steps", "0"), "steps must be >= 1, got 0");
        CliExpectations.assertOneLineError(predict(image, out, "--ensemble", "0"), "ensemble must be >= 1");
        CliExpectations.assertOneLineError(predict(image, out, "--threshold", "1.5"), "threshold must be in [0, 1]");
        CliExpectations.assertOneLineError(predict(image, out, "--steps", "1001"), "exceeds the model's 1000");
        CliExpectations.assertOneLineError(predict(image, out, "--tile-overlap", "0.1"), "applies to --tile only");
        CliExpectations.assertOneLineError(run("predict", image.toString(), "--out", out.toString(), "--run",
                dir.resolve("no-run").toString()), "no-run: no such run folder or checkpoint folder");
        CliExpectations.assertOneLineError(run("predict", image.toString(), "--out", out.toString()),
                "give the model: --run");
        CliExpectations.assertOneLineError(run("predict", image.toString(), "--checkpoint", checkpoint.toString()),
                "--out is required");
        CliExpectations.assertOneLineError(run("predict", "--out", out.toString(), "--checkpoint",
                checkpoint.toString()), "no input");
        CliExpectations.assertOneLineError(predict(dir.resolve("missing.png"), out), "missing.png: no such file");
        assertFalse(Files.exists(out.resolve(PredictCommand.PREDICTIONS)), "nothing written by failed runs");
    }
}
