package ai.diffiml.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Order, determinism under any request order and thread count, the scan's skipping and reporting, and closing. */
class DataLoaderTest {
    private static final int R = 32;

    @TempDir
    Path dir;
    private Dataset dataset;

    @BeforeEach
    void write() throws Exception {
        dataset = DatasetReaders.open(DataFixtures.bencoFolder(dir.resolve("set"), 10, 4, 36, 44));
    }

    /** Host copies of a batch's contents. */
    private record Host(float[] images, float[] masks, float[] edges, List<String> ids, boolean[] tampered) {
        static Host of(Batch b) {
            try (b) {
                return new Host(b.images().toArray(), b.masks().toArray(), b.edges().toArray(), b.ids(),
                        b.tampered());
            }
        }

        void assertSame(Host o, String what) {
            assertArrayEquals(images, o.images, what + ": images");
            assertArrayEquals(masks, o.masks, what + ": masks");
            assertArrayEquals(edges, o.edges, what + ": edges");
            assertEquals(ids, o.ids, what + ": ids");
            assertArrayEquals(tampered, o.tampered, what + ": tampered");
        }
    }

    /** Training options with the release's augmentation. */
    private static LoaderOptions paperTraining(int batch, long seed) {
        return LoaderOptions.training(R, batch, seed, AugmentationSettings.paper());
    }

    private static LoaderOptions training(int threads) {
        // every manipulation likely, so the test exercises all of them
        AugmentationSettings heavy = new AugmentationSettings(0.2, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.5, 70, 100, 0.5,
                0.5, 3, 7);
        return paperTraining(4, 42).withThreads(threads).withAugmentation(true, heavy);
    }

    @Test
    void batchesDependOnSeedEpochAndIndexAlone() throws Exception {
        List<Host> forward = new ArrayList<>();
        try (DataLoader one = DataLoader.open(dataset, training(1))) {
            for (int i = 0; i < one.batchesPerEpoch(); i++) {
                forward.add(Host.of(one.batch(0, i, Device.CPU)));
            }
            forward.add(Host.of(one.batch(1, 1, Device.CPU)));
        }
        try (DataLoader four = DataLoader.open(dataset, training(4))) {
            Host e1 = Host.of(four.batch(1, 1, Device.CPU));
            e1.assertSame(forward.get(3), "epoch 1 batch 1 first, 4 threads");
            for (int i = four.batchesPerEpoch() - 1; i >= 0; i--) {
                Host h = Host.of(four.batch(0, i, Device.CPU));
                h.assertSame(forward.get(i), "epoch 0 batch " + i + " backwards, 4 threads");
            }
            Host again = Host.of(four.batch(0, 1, Device.CPU));
            again.assertSame(forward.get(1), "asked twice");
        }
        try (DataLoader other = DataLoader.open(dataset, training(2).withSeed(43))) {
            Host h = Host.of(other.batch(0, 0, Device.CPU));
            assertFalse(Arrays.equals(h.images(), forward.get(0).images()), "another seed, other batches");
        }
        assertNotEquals(forward.get(0).ids(), forward.get(3).ids(), "epochs are shuffled differently");
        boolean anyManipulated = false;
        for (Host h : forward) {
            for (int s = 0; s < h.ids().size(); s++) {
                anyManipulated |= h.ids().get(s).startsWith("Au/") && h.tampered()[s];
            }
        }
        assertTrue(anyManipulated, "with p 0.5 some authentic sample was copy-moved or inpainted");
    }

    @Test
    void geometricAugmentationOnlyFlipsAndRotates() throws Exception {
        LoaderOptions geometric = LoaderOptions.training(R, 4, 5, AugmentationSettings.geometric()).withThreads(1)
                .withShuffle(false);
        int moved = 0;
        try (DataLoader aug = DataLoader.open(dataset, geometric);
                DataLoader plain = DataLoader.open(dataset, geometric.withAugmentation(false,
                        AugmentationSettings.none()))) {
            for (int b = 0; b < aug.batchesPerEpoch(); b++) {
                Host a = Host.of(aug.batch(0, b, Device.CPU)), p = Host.of(plain.batch(0, b, Device.CPU));
                for (int s = 0; s < a.ids().size(); s++) {
                    // the one of the 8 flips/rotations that maps the plain sample onto the augmented one
                    int best = -1;
                    double bestDiff = Double.MAX_VALUE;
                    for (int t = 0; t < 8; t++) {
                        double d = meanAbsDiff(a.images(), p.images(), s, 3, t);
                        if (d < bestDiff) {
                            bestDiff = d;
                            best = t;
                        }
                    }
                    // pixel values are moved, not changed (bar the resize's rounding)
                    assertTrue(bestDiff < 0.01, a.ids().get(s) + ": mean difference " + bestDiff);
                    // the mask moves with it; the flip comes before the (nearest) resize, so an edge of the region
                    // may land one row or column away (a mask left unmoved would differ by far more)
                    double maskDiff = meanAbsDiff(a.masks(), p.masks(), s, 1, best);
                    assertTrue(maskDiff < 0.1, a.ids().get(s) + ": mask differs by " + maskDiff);
                    moved += best == 0 ? 0 : 1;
                }
            }
        }
        assertTrue(moved > 0, "some sample was flipped or rotated");
    }

    /** Mean |aug - T_t(plain)| over sample s, where T_t is one of the 8 symmetries of the square. */
    private static double meanAbsDiff(float[] aug, float[] plain, int s, int channels, int t) {
        double sum = 0;
        for (int c = 0; c < channels; c++) {
            int base = (s * channels + c) * R * R;
            for (int y = 0; y < R; y++) {
                for (int x = 0; x < R; x++) {
                    int u = (t & 1) != 0 ? R - 1 - x : x, v = (t & 2) != 0 ? R - 1 - y : y;
                    int sx = (t & 4) != 0 ? v : u, sy = (t & 4) != 0 ? u : v;
                    sum += Math.abs(aug[base + y * R + x] - plain[base + sy * R + sx]);
                }
            }
        }
        return sum / (channels * R * R);
    }

    @Test
    void epochOrderIsASeededPermutation() throws Exception {
        LoaderOptions opts = paperTraining(4, 7).withThreads(1).withPrefetch(0);
        try (DataLoader a = DataLoader.open(dataset, opts); DataLoader b = DataLoader.open(dataset, opts)) {
            int[] e0 = a.order(0), e1 = a.order(1);
            assertArrayEquals(e0, b.order(0));
            assertFalse(Arrays.equals(e0, e1));
            int[] sorted = e0.clone();
            Arrays.sort(sorted);
            assertArrayEquals(java.util.stream.IntStream.range(0, 14).toArray(), sorted);
            try (Batch batch = a.batch(1, 2, Device.CPU)) {
                for (int s = 0; s < 4; s++) {
                    assertEquals(dataset.samples().get(e1[8 + s]).id(), batch.ids().get(s));
                }
            }
        }
        try (DataLoader plain = DataLoader.open(dataset, opts.withShuffle(false))) {
            assertArrayEquals(java.util.stream.IntStream.range(0, 14).toArray(), plain.order(3));
        }
    }

    @Test
    void dropLastDecidesTheLastBatch() throws Exception {
        try (DataLoader drop = DataLoader.open(dataset, paperTraining(4, 1).withThreads(1));
             DataLoader keep = DataLoader.open(dataset, LoaderOptions.validation(R, 4).withThreads(2))) {
            assertEquals(3, drop.batchesPerEpoch());
            assertEquals(12, drop.samplesPerEpoch());
            assertEquals(4, keep.batchesPerEpoch());
            assertEquals(14, keep.samplesPerEpoch());
            try (Batch last = keep.batch(0, 3, Device.CPU)) {
                assertEquals(2, last.size());
                assertArrayEquals(new int[] {2, 3, R, R}, last.images().shape());
                assertEquals(List.of("Au/a2.png", "Au/a3.png"), last.ids());
            }
            assertThrows(IndexOutOfBoundsException.class, () -> drop.batch(0, 3, Device.CPU));
        }
    }

    @Test
    void validationIsResizeAndNormaliseOnly() throws Exception {
        try (DataLoader val = DataLoader.open(dataset, LoaderOptions.validation(R, 14).withThreads(2));
             Batch batch = val.batch(0, 0, Device.CPU)) {
            float[] images = batch.images().toArray(), masks = batch.masks().toArray(),
                    edges = batch.edges().toArray();
            for (int s : new int[] {0, 9, 10, 13}) {
                Sample sample = dataset.samples().get(s);
                assertEquals(sample.id(), batch.ids().get(s));
                assertEquals(sample.tampered(), batch.tampered()[s]);
                float[] img = new float[3 * R * R], mask = new float[R * R], edge = new float[R * R];
                try (LoadedSample loaded = LoadedSample.read(sample);
                     Mat sized = Preprocess.resizeImage(loaded.image(), R);
                     Mat sizedMask = Preprocess.resizeMask(loaded.mask(), R);
                     Mat band = EdgeMaps.band(sizedMask, 7)) {
                    Preprocess.normalize(sized, img, 0);
                    Preprocess.maskToFloats(sizedMask, mask, 0);
                    Preprocess.maskToFloats(band, edge, 0);
                }
                assertArrayEquals(img, Arrays.copyOfRange(images, s * 3 * R * R, (s + 1) * 3 * R * R), sample.id());
                assertArrayEquals(mask, Arrays.copyOfRange(masks, s * R * R, (s + 1) * R * R), sample.id());
                assertArrayEquals(edge, Arrays.copyOfRange(edges, s * R * R, (s + 1) * R * R), sample.id());
                float maskSum = 0, edgeSum = 0;
                for (int i = 0; i < R * R; i++) {
                    maskSum += mask[i];
                    edgeSum += edge[i];
                }
                assertEquals(sample.tampered(), maskSum > 0, "authentic samples have all-zero masks");
                assertEquals(sample.tampered(), edgeSum > 0, "and all-zero edges");
            }
        }
    }

    @Test
    void cannyEdgesOnRequest() throws Exception {
        LoaderOptions opts = LoaderOptions.validation(R, 2).withThreads(1);
        try (DataLoader band = DataLoader.open(dataset, opts);
             DataLoader canny = DataLoader.open(dataset, opts.withEdges(EdgeMode.CANNY, 7));
             Batch a = band.batch(0, 0, Device.CPU); Batch b = canny.batch(0, 0, Device.CPU)) {
            assertArrayEquals(a.masks().toArray(), b.masks().toArray());
            assertFalse(Arrays.equals(a.edges().toArray(), b.edges().toArray()));
        }
    }

    /** A copy of the fixture where {@code bad} Tp images are truncated. */
    private Dataset withTruncated(int bad) throws Exception {
        for (int i = 0; i < bad; i++) {
            Path file = dir.resolve("set/Tp/t" + (3 + i) + ".png");
            byte[] whole = Files.readAllBytes(file);
            Files.write(file, Arrays.copyOf(whole, whole.length / 2));
        }
        // 20 samples: the 14 of the fixture and 6 more authentic ones
        List<Sample> samples = new ArrayList<>(DatasetReaders.open(dir.resolve("set")).samples());
        for (int i = 0; i < 6; i++) {
            samples.add(Sample.authentic("extra" + i,
                    DataFixtures.writeImage(dir.resolve("extra/e" + i + ".jpg"), 30, 30, 900 + i)));
        }
        return new Dataset("twenty", samples);
    }

    @Test
    void unreadableSamplesAreSkippedAndReportedUpToFivePercent() throws Exception {
        Dataset twenty = withTruncated(1);
        try (DataLoader loader = DataLoader.open(twenty, LoaderOptions.validation(R, 5).withThreads(2))) {
            LoaderReport report = loader.report();
            assertEquals(19, report.used());
            assertEquals(1, report.unreadable().size());
            LoaderReport.Skipped skipped = report.unreadable().get(0);
            assertEquals(dir.resolve("set/Tp/t3.png"), skipped.file());
            assertTrue(skipped.reason().startsWith("corrupt or truncated PNG data"), skipped.reason());
            assertTrue(report.summary().contains(skipped.file() + ": corrupt or truncated PNG"), report.summary());
            assertEquals(19, loader.samplesPerEpoch());
            assertFalse(Arrays.stream(loader.order(0)).anyMatch(i -> i == 3), "the bad sample is not visited");
            List<String> ids = new ArrayList<>();
            for (int b = 0; b < loader.batchesPerEpoch(); b++) {
                try (Batch batch = loader.batch(0, b, Device.CPU)) {
                    ids.addAll(batch.ids());
                }
            }
            assertEquals(19, ids.size());
            assertFalse(ids.contains("Tp/t3.png"));
        }
    }

    @Test
    void moreThanFivePercentUnreadableStops() throws Exception {
        Dataset twenty = withTruncated(2);
        DatasetException e = assertThrows(DatasetException.class,
                () -> DataLoader.open(twenty, LoaderOptions.validation(R, 5).withThreads(2)));
        String expected = "dataset twenty: 2 of 20 samples (10.0%) are unreadable, more than the 5% allowed; first: "
                + dir.resolve("set/Tp/t3.png") + ": corrupt or truncated PNG data";
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @Test
    void mismatchedEmptyAndFullMasksAreFixedOrReported() throws Exception {
        Path set = dir.resolve("odd");
        List<Sample> samples = new ArrayList<>();
        Path image = DataFixtures.writeImage(set.resolve("a.png"), 40, 60, 1);
        try (Mat half = DataFixtures.rectMask(20, 30, 0, 0, 15, 20);
             Mat empty = DataFixtures.rectMask(40, 60, 0, 0, 0, 0);
             Mat full = DataFixtures.rectMask(40, 60, 0, 0, 60, 40)) {
            samples.add(new Sample("small-mask", image, DataFixtures.writeMask(set.resolve("small.png"), half)));
            samples.add(new Sample("empty-mask", image, DataFixtures.writeMask(set.resolve("empty.png"), empty)));
            samples.add(new Sample("full-mask", image, DataFixtures.writeMask(set.resolve("full.png"), full)));
        }
        try (DataLoader loader = DataLoader.open(new Dataset("odd", samples),
                LoaderOptions.validation(R, 3).withThreads(1));
             Batch batch = loader.batch(0, 0, Device.CPU)) {
            LoaderReport r = loader.report();
            assertEquals(List.of(set.resolve("small.png")), r.resizedMasks());
            assertEquals(List.of(set.resolve("empty.png")), r.emptyMasks());
            assertEquals(List.of(set.resolve("full.png")), r.fullMasks());
            assertTrue(r.hasIssues());
            float[] masks = batch.masks().toArray();
            // the 30x20 mask's left half, upscaled to the 60x40 image, then to R x R: left half set
            assertEquals(1f, masks[(R / 4) * R + R / 4]);
            assertEquals(0f, masks[(R / 4) * R + 3 * R / 4]);
            assertTrue(batch.tampered()[1], "an empty mask still marks a tampered sample");
        }
        try (LoadedSample small = LoadedSample.read(samples.get(0))) {
            assertTrue(small.maskResized());
            assertEquals(60, small.mask().cols());
            assertTrue(small.warnings().get(0).contains(set.resolve("small.png") + " is 30x20 but image "),
                    small.warnings().toString());
        }
    }

    private long liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    @Test
    void cropsAreSeededWindowsOfTheResizedSampleWithTheirOwnEdges() throws Exception {
        int full = 64, crop = 32;
        LoaderOptions whole = LoaderOptions.training(full, 14, 9, AugmentationSettings.none()).withThreads(2)
                .withShuffle(false);
        LoaderOptions cropped = whole.withCrop(crop);
        assertEquals(crop, cropped.batchSide());
        assertEquals(full, cropped.withAugmentation(false, AugmentationSettings.none()).batchSide(),
                "without augmentation (validation) samples stay whole");
        java.util.Set<Integer> offsets = new java.util.HashSet<>();
        try (DataLoader a = DataLoader.open(dataset, whole); DataLoader b = DataLoader.open(dataset, cropped)) {
            Host plain = Host.of(a.batch(0, 0, Device.CPU));
            Host window = Host.of(b.batch(0, 0, Device.CPU));
            Host.of(b.batch(0, 0, Device.CPU)).assertSame(window, "asked twice");
            assertEquals(14 * 3 * crop * crop, window.images().length);
            for (int s = 0; s < 14; s++) {
                int at = windowOffset(plain.images(), window.images(), s, full, crop);
                assertTrue(at >= 0, window.ids().get(s) + ": the crop is no window of the resized image");
                offsets.add(at);
                int x = at % full, y = at / full;
                float maskSum = 0, edgeSum = 0;
                float[] mask = new float[crop * crop];
                for (int r = 0; r < crop; r++) {
                    for (int c = 0; c < crop; c++) {
                        float m = window.masks()[s * crop * crop + r * crop + c];
                        assertEquals(plain.masks()[s * full * full + (y + r) * full + x + c], m,
                                window.ids().get(s) + ": mask at the image's window");
                        mask[r * crop + c] = m;
                        maskSum += m;
                        edgeSum += window.edges()[s * crop * crop + r * crop + c];
                    }
                }
                // the edge band is made from the cropped mask, at the batch's size
                try (Mat m = new Mat(crop, crop, org.bytedeco.opencv.global.opencv_core.CV_8UC1);
                        Mat band = EdgeMaps.band(maskMat(m, mask), 7)) {
                    float[] edge = new float[crop * crop];
                    Preprocess.maskToFloats(band, edge, 0);
                    assertArrayEquals(edge, Arrays.copyOfRange(window.edges(), s * crop * crop,
                            (s + 1) * crop * crop), window.ids().get(s) + ": edges of the crop");
                }
                assertEquals(maskSum > 0, window.tampered()[s], window.ids().get(s)
                        + ": a crop is tampered when its window holds tampered pixels");
                assertEquals(maskSum > 0, edgeSum > 0);
            }
        }
        assertTrue(offsets.size() > 3, "windows are drawn per sample, got offsets " + offsets);
        assertThrows(IllegalArgumentException.class, () -> whole.withCrop(48));
        assertThrows(IllegalArgumentException.class, () -> whole.withCrop(96));
        assertThrows(IllegalArgumentException.class, () -> whole.withCrop(16));
    }

    /** {@code mask01} (0/1 floats) into the 8-bit mask {@code m} (0/255). */
    private static Mat maskMat(Mat m, float[] mask01) {
        byte[] bytes = new byte[mask01.length];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (mask01[i] > 0.5f ? 255 : 0);
        }
        m.data().put(bytes);
        return m;
    }

    /** y * full + x of the window of sample s's planes that equals its crop, or -1. */
    private static int windowOffset(float[] plain, float[] window, int s, int full, int crop) {
        for (int y = 0; y + crop <= full; y++) {
            for (int x = 0; x + crop <= full; x++) {
                boolean same = true;
                for (int c = 0; c < 3 && same; c++) {
                    for (int r = 0; r < crop && same; r++) {
                        for (int k = 0; k < crop; k++) {
                            if (plain[((s * 3 + c) * full + y + r) * full + x + k]
                                    != window[((s * 3 + c) * crop + r) * crop + k]) {
                                same = false;
                                break;
                            }
                        }
                    }
                }
                if (same) {
                    return y * full + x;
                }
            }
        }
        return -1;
    }

    @Test
    void closingStopsTheThreads() throws Exception {
        DataLoader loader = DataLoader.open(dataset, training(3));
        loader.batch(0, 0, Device.CPU).close(); // leaves prefetches running
        String prefix = loader.threadNamePrefix();
        assertTrue(liveThreads(prefix) > 0);
        loader.close();
        assertEquals(0, liveThreads(prefix));
        assertThrows(IllegalStateException.class, () -> loader.batch(0, 1, Device.CPU));
        loader.close(); // idempotent
    }

    @Test
    void tooFewSamplesForOneBatch() throws Exception {
        DatasetException e = assertThrows(DatasetException.class,
                () -> DataLoader.open(dataset, paperTraining(15, 1).withThreads(1)));
        assertTrue(e.getMessage().contains("14 usable samples, fewer than one batch of 15"), e.getMessage());
    }
}
