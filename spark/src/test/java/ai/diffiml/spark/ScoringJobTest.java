package ai.diffiml.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The job in Spark's {@code local[2]} mode on a folder of generated images, some unreadable, with a tiny randomly
 * initialised DiffIML checkpoint: one row per file, the {@link Localizer}'s own scores for the good images, an
 * error row for each bad one, one localizer for the executor.
 */
class ScoringJobTest {
    /** DiffIML at 64 px with narrow widths (each model call takes milliseconds). */
    private static final ModelConfig TINY = new ModelConfig("b0", 64, 32, 32, 4, 8, 1e-6f, 1e-5f, 0.0, 1000, 3, 2,
            0.1f, 0.2f, true);
    private static final int[][] SIZES = {{64, 64}, {48, 40}, {80, 50}, {33, 71}, {64, 96}, {100, 30}};
    private static final List<String> BAD = List.of("broken.png", "truncated.png");

    @TempDir
    static Path dir;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("ScoringJobTest").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static BufferedImage noise(int w, int h, long seed) {
        Random r = new Random(seed);
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int cx = r.nextInt(w), cy = r.nextInt(h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int base = Math.abs(x - cx) + Math.abs(y - cy) < Math.min(w, h) / 3 ? 200 : 40;
                image.setRGB(x, y, ((base + r.nextInt(50)) << 16) | (r.nextInt(256) << 8) | (255 - base));
            }
        }
        return image;
    }

    private static Path checkpoint(Path at) throws Exception {
        try (DiffIml model = new DiffIml(TINY, Device.CPU).init(11)) {
            Checkpoint.save(at, model, null, Checkpoint.Progress.of(0, 0));
        }
        return at;
    }

    @Test
    void everyFileGetsARowWithTheLocalizersScoresOrItsError() throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < SIZES.length; i++) {
            String format = i == 2 ? "jpg" : "png";
            assertTrue(ImageIO.write(noise(SIZES[i][0], SIZES[i][1], i), format,
                    images.resolve("img" + i + "." + format).toFile()));
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(noise(40, 40, 99), "png", png);
        Files.write(images.resolve("truncated.png"), Arrays.copyOf(png.toByteArray(), 120));
        byte[] garbage = new byte[2000];
        new Random(5).nextBytes(garbage);
        Files.write(images.resolve("broken.png"), garbage);
        Files.write(images.resolve("empty.jpg"), new byte[0]);
        Path model = checkpoint(dir.resolve("model"));

        // the Localizer's own results, image by image, in this JVM
        ScoringSettings base = new ScoringSettings(model.toString(), "cpu", 3, 2, false, 0, 0.5f, false, 0.25, null);
        Map<String, Localization> expected = new LinkedHashMap<>();
        try (Localizer l = Localizer.load(model, base.options())) {
            for (int i = 0; i < SIZES.length; i++) {
                String name = "img" + i + "." + (i == 2 ? "jpg" : "png");
                expected.put(name, l.localize(images.resolve(name)));
            }
        }
        // a threshold inside the first image's range, so that its mask and bounding box are not trivial
        float[] p0 = expected.get("img0.png").probability();
        float[] sorted = p0.clone();
        Arrays.sort(sorted);
        float threshold = sorted[sorted.length * 3 / 4];
        Path probs = dir.resolve("probs");
        ScoringSettings settings = new ScoringSettings(model.toString(), "cpu", 3, 2, false, 0, threshold, false,
                0.25, probs.toUri().toString());
        String table = dir.resolve("table.parquet").toString();

        ScoringJob.write(spark, new ScoringJob.Input(List.of(images.toString()), null, false, 0), settings, table,
                false);

        List<Row> rows = spark.read().parquet(table).orderBy("path").collectAsList();
        assertEquals(SIZES.length + BAD.size(), rows.size(), "one row per file: " + rows);
        assertTrue(rows.stream().noneMatch(r -> r.<String>getAs("path").endsWith("/empty.jpg")),
                "Spark's file sources skip zero-byte files: no row for them");
        assertEquals(1, ExecutorLocalizers.loads(), "one localizer for the executor, shared by its tasks");
        int checked = 0;
        for (Row r : rows) {
            String path = r.getAs("path");
            String name = path.substring(path.lastIndexOf('/') + 1);
            assertEquals(ScorePartition.settingsJson(settings), r.getAs("settings"));
            if (BAD.contains(name)) {
                assertNotNull(r.getAs("error"), name);
                assertNull(r.getAs("width"), name);
                assertNull(r.getAs("score_max"), name);
                continue;
            }
            Localization e = expected.get(name);
            assertNull(r.getAs("error"), () -> name + ": " + r.getAs("error"));
            assertEquals(e.width(), (int) r.<Integer>getAs("width"), name);
            assertEquals(e.height(), (int) r.<Integer>getAs("height"), name);
            assertEquals(e.scoreMax(), r.<Double>getAs("score_max"), 0.0, name);
            assertEquals(e.scoreMean(), r.<Double>getAs("score_mean"), 0.0, name);
            float[] p = e.probability();
            long over = 0;
            int x0 = Integer.MAX_VALUE, x1 = -1, y0 = Integer.MAX_VALUE, y1 = -1;
            for (int i = 0; i < p.length; i++) {
                if (p[i] > threshold) {
                    over++;
                    x0 = Math.min(x0, i % e.width());
                    x1 = Math.max(x1, i % e.width());
                    y0 = Math.min(y0, i / e.width());
                    y1 = Math.max(y1, i / e.width());
                }
            }
            assertEquals(over / (double) p.length, r.<Double>getAs("tampered_fraction"), 1e-12, name);
            if (over == 0) {
                assertNull(r.getAs("bbox_x_min"), name);
            } else {
                assertEquals(List.of(x0, y0, x1, y1), List.of(r.<Integer>getAs("bbox_x_min"),
                        r.<Integer>getAs("bbox_y_min"), r.<Integer>getAs("bbox_x_max"), r.<Integer>getAs("bbox_y_max")),
                        name);
            }
            if (name.equals("img0.png")) {
                assertTrue(over > 0 && over < p.length, "a threshold inside the map's range: " + over);
            }
            assertTrue(r.<Double>getAs("sampling_ms") > 0 && r.<Double>getAs("wall_ms") > 0, name);
            assertTrue(r.<String>getAs("model").contains(model.toString()), r.<String>getAs("model"));
            BufferedImage map = ImageIO.read(Path.of(URI.create(r.<String>getAs("probability_png"))).toFile());
            assertEquals(e.width(), map.getWidth(), name);
            assertEquals(e.height(), map.getHeight(), name);
            assertEquals(Math.round(255 * p[0]), map.getRaster().getSample(0, 0, 0), name);
            checked++;
        }
        assertEquals(SIZES.length, checked);
        assertFalse(rows.stream().anyMatch(r -> r.<String>getAs("path").contains("img") && r.getAs("error") != null));
    }

    @Test
    void theCommandRefusesAMissingModelBeforeStartingSpark() {
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new ScoreImages()).setErr(new PrintWriter(err)).execute("images/", "--out", "t");
        assertEquals(2, exit);
        assertTrue(err.toString().contains("Missing required argument"), err::toString);
    }
}
