package ai.diffiml.data.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.Dataset;
import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.Sample;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code datasets convert} on small copies of each benchmark's release layout, built here: what is paired, what is
 * reported as unmatched, and the masks rewritten into the protocol's 0/255 encoding.
 */
class BenchmarkConverterTest {
    @TempDir
    Path dir;

    /** A w x h image file of {@code format} with each pixel {@code rgb(x, y)}. */
    interface Pixels {
        int rgb(int x, int y);
    }

    static Path write(Path file, int w, int h, String format, Pixels p) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                b.setRGB(x, y, p.rgb(x, y));
            }
        }
        BufferedImage out = b;
        if (format.equals("png-grey")) {
            out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            out.getGraphics().drawImage(b, 0, 0, null);
            format = "png";
        }
        assertTrue(ImageIO.write(out, format, file.toFile()), "ImageIO wrote no " + format);
        return file;
    }

    static Path photo(Path file) throws IOException {
        String name = file.getFileName().toString();
        String format = name.endsWith(".jpg") ? "jpg" : name.endsWith(".tif") ? "tiff" : "png";
        return write(file, 16, 8, format, (x, y) -> ((x * 13 + y * 7) % 256) * 0x010101);
    }

    /** White (tampered) in the left half, black elsewhere. */
    static Path whiteLeftMask(Path file) throws IOException {
        return write(file, 16, 8, "png-grey", (x, y) -> x < 8 ? 0xFFFFFF : 0);
    }

    private BenchmarkConverter.Result convert(Benchmark b, Path src, BenchmarkConverter.Options o) throws IOException {
        return BenchmarkConverter.convert(b, src, dir.resolve("lists/" + b.id + ".json"), o);
    }

    private static BenchmarkConverter.Options defaults() {
        return BenchmarkConverter.Options.defaults();
    }

    private static List<String> pairs(Path list) throws IOException {
        Dataset d = DatasetReaders.open(list);
        assertEquals(DatasetReaders.BENCO_JSON, d.layout());
        Path base = list.toAbsolutePath().getParent();
        return d.samples().stream().map(s -> name(base, s.image()) + (s.tampered() ? " <- " + name(base, s.mask())
                : "")).toList();
    }

    private static String name(Path base, Path p) {
        return base.relativize(p).toString().replace('\\', '/');
    }

    /** The binarised mask of the list's only tampered sample: 1s in the left half and 0s in the right. */
    private static void assertLeftHalfTampered(Path list) throws Exception {
        Sample s = DatasetReaders.open(list).samples().stream().filter(Sample::tampered).findFirst().orElseThrow();
        try (Mat m = ImageFiles.readMask(s.mask())) {
            byte[] v = new byte[m.rows() * m.cols()];
            m.data().get(v);
            for (int y = 0; y < m.rows(); y++) {
                assertEquals(1, v[y * m.cols() + 2], "left half at row " + y);
                assertEquals(0, v[y * m.cols() + 13], "right half at row " + y);
            }
        }
    }

    private static String report(BenchmarkConverter.Result r) throws IOException {
        return Files.readString(r.report());
    }

    @Test
    void casia2PairsTpWithTheGroundTruthReleaseAndReportsWhatIsUnmatched() throws Exception {
        Path src = dir.resolve("CASIA2");
        photo(src.resolve("Tp/Tp_D_a.tif"));
        photo(src.resolve("Tp/Tp_S_b.jpg")); // no mask in the ground-truth release
        photo(src.resolve("Au/Au_ani_1.jpg"));
        whiteLeftMask(src.resolve("CASIA 2 Groundtruth/Tp_D_a_gt.png"));
        whiteLeftMask(src.resolve("CASIA 2 Groundtruth/Tp_D_z_gt.png")); // no image
        BenchmarkConverter.Result r = convert(Benchmark.CASIA2, src, defaults());
        assertEquals(1, r.tampered());
        assertEquals(1, r.authentic());
        assertEquals(0, r.masksWritten());
        assertEquals(List.of("../CASIA2/Tp/Tp_D_a.tif <- ../CASIA2/CASIA 2 Groundtruth/Tp_D_a_gt.png",
                "../CASIA2/Au/Au_ani_1.jpg"), pairs(r.list()));
        assertEquals(2, r.unmatched().size(), r.unmatched()::toString);
        String report = report(r);
        assertTrue(report.contains("tampered image without its _gt mask (left out): " + src.resolve("Tp/Tp_S_b.jpg")
                .toAbsolutePath()), report);
        assertTrue(report.contains("mask without its image: " + src.resolve("CASIA 2 Groundtruth/Tp_D_z_gt.png")
                .toAbsolutePath()), report);
        JsonNode json = new ObjectMapper().readTree(r.list().toFile());
        assertEquals("Negative", json.get(1).get(1).asText());
    }

    @Test
    void casiaGroundTruthElsewhereIsGivenWithGtAndAbsolutePathsOnRequest() throws Exception {
        Path src = dir.resolve("CASIA2");
        photo(src.resolve("Tp/x.tif"));
        Path gt = whiteLeftMask(dir.resolve("gt-release/x_gt.png")).getParent();
        IOException missing = assertThrows(IOException.class, () -> convert(Benchmark.CASIA2, src, defaults()));
        assertTrue(missing.getMessage().contains("CASIA 2 Groundtruth: no such folder (the ground-truth folder (give"
                + " it with --gt DIR"), missing.getMessage());
        BenchmarkConverter.Result r = convert(Benchmark.CASIA2, src,
                new BenchmarkConverter.Options(true, null, gt, null, 100));
        JsonNode json = new ObjectMapper().readTree(r.list().toFile());
        assertEquals(src.resolve("Tp/x.tif").toAbsolutePath().toString(), json.get(0).get(0).asText());
        assertEquals(gt.resolve("x_gt.png").toAbsolutePath().toString(), json.get(0).get(1).asText());
    }

    @Test
    void casia1PairsCopyMoveAndSplicingWithTheirGroundTruthSubfolders() throws Exception {
        Path src = dir.resolve("CASIA1");
        photo(src.resolve("Tp/CM/Sp_S_x.jpg"));
        photo(src.resolve("Tp/Sp/Sp_D_y.jpg"));
        photo(src.resolve("Au/Au_z.jpg"));
        whiteLeftMask(src.resolve("CASIA 1.0 groundtruth/CM/Sp_S_x_gt.png"));
        whiteLeftMask(src.resolve("CASIA 1.0 groundtruth/Sp/Sp_D_y_gt.png"));
        BenchmarkConverter.Result r = convert(Benchmark.CASIA1, src, defaults());
        assertEquals(List.of("../CASIA1/Tp/CM/Sp_S_x.jpg <- ../CASIA1/CASIA 1.0 groundtruth/CM/Sp_S_x_gt.png",
                "../CASIA1/Tp/Sp/Sp_D_y.jpg <- ../CASIA1/CASIA 1.0 groundtruth/Sp/Sp_D_y_gt.png",
                "../CASIA1/Au/Au_z.jpg"), pairs(r.list()));
        assertTrue(r.unmatched().isEmpty(), r.unmatched()::toString);
    }

    @Test
    void columbiaColourMasksAreRewrittenWithTheGreenChannel() throws Exception {
        Path src = dir.resolve("Columbia");
        photo(src.resolve("4cam_splc/canong3_canonxt_sub_01.tif"));
        photo(src.resolve("4cam_auth/canong3_02_sub_01.tif"));
        // green (the spliced region) on the left, red on the right: neither is white, BenCo's rule reads both as 0
        write(src.resolve("4cam_splc/edgemask/canong3_canonxt_sub_01_edgemask.jpg"), 16, 8, "jpg",
                (x, y) -> x < 8 ? 0x00FF00 : 0xFF0000);
        BenchmarkConverter.Result r = convert(Benchmark.COLUMBIA, src, defaults());
        assertEquals(1, r.masksWritten());
        assertEquals(List.of("../Columbia/4cam_splc/canong3_canonxt_sub_01.tif"
                + " <- columbia-masks/4cam_splc/canong3_canonxt_sub_01.png",
                "../Columbia/4cam_auth/canong3_02_sub_01.tif"), pairs(r.list()));
        assertLeftHalfTampered(r.list());
    }

    @Test
    void coveragePairsNtWithNforgedAndReadsNAsAuthentic() throws Exception {
        Path src = dir.resolve("COVERAGE");
        photo(src.resolve("image/1.tif"));
        photo(src.resolve("image/1t.tif"));
        photo(src.resolve("image/2t.tif")); // no mask
        whiteLeftMask(src.resolve("mask/1forged.tif"));
        whiteLeftMask(src.resolve("mask/1copy.tif"));
        BenchmarkConverter.Result r = convert(Benchmark.COVERAGE, src, defaults());
        assertEquals(List.of("../COVERAGE/image/1.tif", "../COVERAGE/image/1t.tif <- ../COVERAGE/mask/1forged.tif"),
                pairs(r.list()));
        assertEquals(1, r.unmatched().size());
        assertTrue(r.unmatched().get(0).startsWith("no mask mask/2forged.tif for: "), r.unmatched()::toString);
    }

    @Test
    void nist16ReadsTheReferenceCsvAndInvertsItsBlackOnWhiteMasks() throws Exception {
        Path src = dir.resolve("NC2016_Test");
        photo(src.resolve("probe/NC2016_0001.jpg"));
        photo(src.resolve("probe/NC2016_0002.jpg"));
        photo(src.resolve("probe/NC2016_0003.jpg"));
        // NIST: black = manipulated; here the left half
        write(src.resolve("reference/manipulation/mask/NC2016_9001.png"), 16, 8, "png-grey",
                (x, y) -> x < 8 ? 0 : 0xFFFFFF);
        Files.writeString(src.resolve("reference/manipulation/NC2016-manipulation-ref.csv"), String.join("\n",
                "TaskID|ProbeFileID|ProbeFileName|ProbeMaskFileName|IsTarget|ProbePostProcessed",
                "manipulation|NC2016_0001|probe/NC2016_0001.jpg|reference/manipulation/mask/NC2016_9001.png|Y|",
                "manipulation|NC2016_0002|probe/NC2016_0002.jpg||N|",
                "manipulation|NC2016_0003|probe/NC2016_0003.jpg|reference/manipulation/mask/gone.png|Y|",
                "manipulation|NC2016_0001|probe/NC2016_0001.jpg|reference/manipulation/mask/NC2016_9001.png|Y|")
                + "\n");
        BenchmarkConverter.Result r = convert(Benchmark.NIST16, src, defaults());
        assertEquals(List.of("../NC2016_Test/probe/NC2016_0001.jpg <- nist16-masks/probe/NC2016_0001.png",
                "../NC2016_Test/probe/NC2016_0002.jpg"), pairs(r.list()));
        assertEquals(1, r.unmatched().size());
        assertTrue(r.unmatched().get(0).startsWith("manipulated probe without its mask file"
                + " (reference/manipulation/mask/gone.png)"), r.unmatched()::toString);
        assertLeftHalfTampered(r.list());
        Files.writeString(src.resolve("bad.csv"), "a,b\n1,2\n");
        IOException bad = assertThrows(IOException.class, () -> convert(Benchmark.NIST16, src,
                new BenchmarkConverter.Options(false, null, null, src.resolve("bad.csv"), 100)));
        assertTrue(bad.getMessage().contains("bad.csv: line 2: no ProbeFileName or IsTarget column"),
                bad.getMessage());
    }

    @Test
    void imd2020PairsEachFolderSMaskAndReadsOrigAsAuthentic() throws Exception {
        Path src = dir.resolve("IMD2020");
        photo(src.resolve("1a1ogs/1a1ogs_orig.jpg"));
        photo(src.resolve("1a1ogs/c8tf5mq_0.png"));
        whiteLeftMask(src.resolve("1a1ogs/c8tf5mq_0_mask.png"));
        photo(src.resolve("z41/00109_fake.jpg")); // its mask is missing
        BenchmarkConverter.Result r = convert(Benchmark.IMD2020, src, defaults());
        assertEquals(List.of("../IMD2020/1a1ogs/1a1ogs_orig.jpg",
                "../IMD2020/1a1ogs/c8tf5mq_0.png <- ../IMD2020/1a1ogs/c8tf5mq_0_mask.png"), pairs(r.list()));
        assertEquals(List.of("no X_mask file beside: " + src.resolve("z41/00109_fake.jpg").toAbsolutePath()),
                r.unmatched());
    }

    @Test
    void autoSpliceTakesOneQualitySetAndRewritesItsMasks() throws Exception {
        Path src = dir.resolve("AutoSplice");
        photo(src.resolve("Forged_JPEG90/123_2.jpg"));
        photo(src.resolve("Authentic/123.jpg"));
        write(src.resolve("Mask/123_mask.png"), 16, 8, "png-grey", (x, y) -> x < 8 ? 0x010101 : 0); // 0/1 values
        BenchmarkConverter.Result r = convert(Benchmark.AUTOSPLICE, src,
                new BenchmarkConverter.Options(false, dir.resolve("m"), null, null, 90));
        assertEquals(List.of("../AutoSplice/Forged_JPEG90/123_2.jpg <- ../m/Forged_JPEG90/123_2.png",
                "../AutoSplice/Authentic/123.jpg"), pairs(r.list()));
        assertLeftHalfTampered(r.list());
        IOException noSet = assertThrows(IOException.class, () -> convert(Benchmark.AUTOSPLICE, src, defaults()));
        assertTrue(noSet.getMessage().contains("Forged_JPEG100: no such folder"), noSet.getMessage());
        assertThrows(IllegalArgumentException.class, () -> convert(Benchmark.AUTOSPLICE, src,
                new BenchmarkConverter.Options(false, null, null, null, 80)));
    }

    @Test
    void fantasticRealityNpzMasksAreWrittenAsPngs() throws Exception {
        Path src = dir.resolve("FantasticReality_v1");
        photo(src.resolve("dataset/ColorFakeImages/fake_1.jpg"));
        photo(src.resolve("dataset/ColorFakeImages/fake_2.jpg")); // no .npz
        photo(src.resolve("dataset/ColorRealImages/real_1.jpg"));
        byte[] labels = new byte[8 * 16];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                labels[y * 16 + x] = 3; // an object label, not 255
            }
        }
        NpzArraysTest.npz(src.resolve("dataset/SegmentationFake/fake_1.npz"), "arr_0", "|u1", "(1, 8, 16)", false,
                labels);
        BenchmarkConverter.Result r = convert(Benchmark.FANTASTIC_REALITY, src, defaults());
        assertEquals(List.of("../FantasticReality_v1/dataset/ColorFakeImages/fake_1.jpg"
                + " <- fantasticreality-masks/dataset/ColorFakeImages/fake_1.png",
                "../FantasticReality_v1/dataset/ColorRealImages/real_1.jpg"), pairs(r.list()));
        assertEquals(1, r.unmatched().size());
        assertLeftHalfTampered(r.list());
    }

    @Test
    void unknownLayoutsAndEmptySourcesAreOneLineErrors() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Benchmark.parse("cocoglide"));
        assertTrue(e.getMessage().contains("CocoGlide is not supported"), e.getMessage());
        Files.createDirectories(dir.resolve("empty/image"));
        Files.createDirectories(dir.resolve("empty/mask"));
        IOException none = assertThrows(IOException.class, () -> convert(Benchmark.COVERAGE, dir.resolve("empty"),
                defaults()));
        assertTrue(none.getMessage().contains("no images found in the coverage layout"), none.getMessage());
        assertThrows(IOException.class, () -> BenchmarkConverter.convert(Benchmark.COVERAGE, dir.resolve("empty"),
                dir.resolve("list.txt"), defaults()));
    }
}
