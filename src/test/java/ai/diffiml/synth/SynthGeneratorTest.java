package ai.diffiml.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.OpenCv;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset on disk: determinism, BenCo layout, masks, atomic writes, reuse, photos. */
class SynthGeneratorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void load() {
        OpenCv.load();
    }

    static SynthOptions small(int count, long seed) {
        return SynthOptions.defaults().withCount(count).withSeed(seed).withSize(96).withThreads(2);
    }

    @Test
    void sameSeedGivesByteIdenticalFilesWhateverTheThreadCount(@TempDir Path dir) throws IOException {
        new SynthGenerator(small(14, 5).withThreads(1)).generate(dir.resolve("a"), null);
        new SynthGenerator(small(14, 5).withThreads(3)).generate(dir.resolve("b"), null);
        new SynthGenerator(small(14, 6)).generate(dir.resolve("c"), null);
        Map<String, byte[]> a = SynthFiles.tree(dir.resolve("a")), b = SynthFiles.tree(dir.resolve("b"));
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name), b.get(name), name);
        }
        Map<String, byte[]> c = SynthFiles.tree(dir.resolve("c"));
        long same = c.entrySet().stream().filter(e -> !e.getKey().endsWith(".json") && a.containsKey(e.getKey())
                && Arrays.equals(a.get(e.getKey()), e.getValue())).count();
        assertEquals(0, same, "another seed shares no image or mask file");
    }

    @Test
    void sampleIsAPureFunctionOfSeedAndIndex() {
        SynthGenerator g1 = new SynthGenerator(small(20, 9)), g2 = new SynthGenerator(small(20, 9));
        SynthSample late = g1.sample(17);
        g2.sample(3);
        SynthSample again = g2.sample(17);
        assertArrayEquals(late.image(), again.image());
        assertEquals(late.tampered(), again.tampered());
        if (late.tampered()) {
            assertArrayEquals(late.mask(), again.mask());
        }
        assertEquals(late.info(), again.info());
    }

    @Test
    void folderAndListFormABencoDatasetWithBinaryNonTrivialMasks(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("set");
        SynthDataset d = new SynthGenerator(small(40, 3).withAuthenticFraction(0.3)).generate(out, null);
        assertEquals(12, d.authentic());
        assertEquals(28, d.tampered());
        assertEquals(out.toAbsolutePath().normalize(), d.dir());
        Map<String, byte[]> files = SynthFiles.tree(out);
        List<String> tp = names(files, "Tp/"), gt = names(files, "Gt/"), au = names(files, "Au/");
        assertEquals(28, tp.size());
        assertEquals(28, gt.size());
        assertEquals(12, au.size());
        Set<String> jsonFiles = new HashSet<>(files.keySet());
        jsonFiles.removeIf(n -> n.startsWith("Tp/") || n.startsWith("Gt/") || n.startsWith("Au/"));
        assertEquals(Set.of("list.json", "synth.json"), jsonFiles);
        // BenCo folder: Tp and Gt paired by sorted name; each mask a binary 8-bit PNG of the image's size
        for (int i = 0; i < tp.size(); i++) {
            assertEquals(SynthFiles.stem(tp.get(i)), SynthFiles.stem(gt.get(i)), "pairing by sorted name");
            assertTrue(gt.get(i).endsWith(".png"), gt.get(i));
            Raster image = SynthFiles.decodeUnchanged(files.get(tp.get(i)), tp.get(i));
            Raster mask = SynthFiles.decodeUnchanged(files.get(gt.get(i)), gt.get(i));
            assertEquals(3, image.channels, tp.get(i));
            assertEquals(1, mask.channels, gt.get(i) + " is single-channel");
            assertEquals(96, image.width);
            assertEquals(96, image.height);
            assertEquals(image.width, mask.width, gt.get(i));
            assertEquals(image.height, mask.height, gt.get(i));
            double on = 0;
            for (float v : mask.data) {
                assertTrue(v == 0 || v == 255, () -> gt + ": mask value " + v);
                on += v / 255;
            }
            double fraction = on / mask.data.length;
            assertTrue(fraction >= 0.02 && fraction <= 0.40, gt.get(i) + ": tampered fraction " + fraction);
        }
        for (String a : au) {
            Raster image = SynthFiles.decodeUnchanged(files.get(a), a);
            assertEquals(96, image.width);
            assertEquals(3, image.channels);
        }
        // BenCo list: [[image, mask | "Negative"], ...], relative paths, every image once
        List<List<String>> list = JSON.readValue(files.get("list.json"), new TypeReference<>() {});
        assertEquals(40, list.size());
        Set<String> listed = new HashSet<>();
        for (List<String> entry : list) {
            assertEquals(2, entry.size(), entry.toString());
            String image = entry.get(0), mask = entry.get(1);
            assertFalse(Path.of(image).isAbsolute(), image);
            assertTrue(files.containsKey(image), image + " exists");
            assertTrue(listed.add(image), image + " listed once");
            if (image.startsWith("Au/")) {
                assertEquals("Negative", mask, image);
            } else {
                assertTrue(image.startsWith("Tp/"), image);
                assertTrue(files.containsKey(mask), mask + " exists");
                assertEquals(SynthFiles.stem(image), SynthFiles.stem(mask));
            }
        }
        Set<String> images = new HashSet<>(tp);
        images.addAll(au);
        assertEquals(images, listed);
        // the manifest says what each image is
        JsonNode m = JSON.readTree(files.get("synth.json"));
        assertEquals(40, m.get("samples").size());
        for (JsonNode s : m.get("samples")) {
            String kind = s.get("kind").asText();
            assertEquals(s.get("image").asText().startsWith("Au/"), kind.equals("authentic"), s.toString());
            assertTrue(Set.of("authentic", "splice", "copy-move", "inpaint").contains(kind), kind);
        }
        SynthDataset back = SynthGenerator.read(out);
        assertTrue(back.options().sameData(d.options()));
        assertEquals(28, back.tampered());
    }

    @Test
    void theManipulationsChangeExactlyTheMaskedRegion() {
        SynthGenerator g = new SynthGenerator(small(1, 0));
        SplittableRandom rng = new SplittableRandom(42);
        int[] accepted = new int[Tamper.Kind.values().length];
        int shifts = 0, feathered = 0;
        for (int draw = 0; draw < 36; draw++) {
            try (PointerScope scope = new PointerScope()) {
                Tamper.Kind kind = Tamper.Kind.values()[draw % 3];
                Capture host = g.capture(rng.split(), 96);
                Capture donor = g.capture(rng.split(), 96);
                Map<String, Object> info = new java.util.LinkedHashMap<>();
                Tamper.Result r = Tamper.apply(kind, rng.split(), host, () -> donor, info);
                if (r == null) {
                    continue;
                }
                accepted[kind.ordinal()]++;
                Raster reach = r.mask();
                if ("feathered".equals(info.get("edges"))) {
                    feathered++;
                    // OpenCV's Gaussian kernel reaches about 4 sigma along each axis: a square, so up to sqrt(2) x
                    // that along the diagonals
                    int radius = (int) Math.ceil(4 * Math.sqrt(2) * ((Number) info.get("feather")).doubleValue()) + 1;
                    reach = Cv.dilate(r.mask(), radius);
                }
                int inside = 0, changedInside = 0;
                for (int i = 0; i < r.mask().data.length; i++) {
                    boolean changed = false;
                    for (int c = 0; c < 3; c++) {
                        changed |= r.image().data[3 * i + c] != host.image().data[3 * i + c];
                    }
                    if (r.mask().data[i] > 0.5f) {
                        inside++;
                        changedInside += changed ? 1 : 0;
                    } else if (changed) {
                        assertTrue(reach.data[i] > 0.5f, kind + " " + info + ": pixel " + i
                                + " changed outside the mask" + (reach == r.mask() ? "" : " and its feather"));
                    }
                }
                assertTrue(changedInside >= 0.6 * inside, kind + " " + info + ": only " + changedInside + " of "
                        + inside + " masked pixels changed");
                if (info.get("shift") instanceof int[] t) {
                    shifts++;
                    assertFalse(Math.floorMod(t[0], 8) == 0 && Math.floorMod(t[1], 8) == 0,
                            "a whole-pixel paste moves off the 8x8 grid: " + Arrays.toString(t));
                }
            }
        }
        for (Tamper.Kind k : Tamper.Kind.values()) {
            assertTrue(accepted[k.ordinal()] >= 4, k + " accepted " + accepted[k.ordinal()] + " of 12 draws");
        }
        assertTrue(shifts >= 2 && feathered >= 2, "shifts " + shifts + ", feathered " + feathered);
    }

    @Test
    void aFailureMidwayLeavesNoCompleteLookingFolder(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("train");
        AtomicBoolean checked = new AtomicBoolean();
        SynthGenerator g = new SynthGenerator(small(12, 1));
        RuntimeException stop = assertThrows(RuntimeException.class, () -> g.generate(out, done -> {
            if (done == 3) {
                assertFalse(Files.exists(out), "the dataset appears only when complete");
                List<Path> siblings = listUnchecked(dir);
                assertEquals(1, siblings.size(), siblings::toString);
                Path partial = siblings.get(0);
                assertTrue(partial.getFileName().toString().startsWith(".train.partial-"), partial::toString);
                assertFalse(Files.exists(partial.resolve(SynthDataset.LIST)));
                assertFalse(Files.exists(partial.resolve(SynthDataset.MANIFEST)));
                assertTrue(Files.exists(partial.resolve("Tp")));
                checked.set(true);
            }
            if (done == 5) {
                throw new IllegalStateException("stopped at 5");
            }
        }));
        assertEquals("stopped at 5", stop.getMessage());
        assertTrue(checked.get());
        assertFalse(Files.exists(out));
        assertEquals(List.of(), list(dir), "the partial folder is removed");
        // and a later run completes normally
        assertEquals(12, g.generate(out, null).count());
        assertEquals(List.of(out), list(dir));
    }

    @Test
    void refusesANonEmptyOutputAndAPathUnderAFile(@TempDir Path dir) throws IOException {
        SynthGenerator g = new SynthGenerator(small(2, 1));
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        IOException e = assertThrows(IOException.class, () -> g.generate(full, null));
        assertTrue(e.getMessage().endsWith("full: exists and is not empty"), e.getMessage());
        assertEquals("mine", Files.readString(full.resolve("keep.txt")));
        Path file = Files.writeString(dir.resolve("file"), "x");
        e = assertThrows(IOException.class, () -> g.generate(file.resolve("set"), null));
        assertTrue(e.getMessage().contains("file exists and is not a folder"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        e = assertThrows(IOException.class, () -> g.generate(file, null));
        assertTrue(e.getMessage().endsWith("file: exists and is not a folder"), e.getMessage());
        // an empty folder is fine
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(2, g.generate(empty, null).count());
    }

    @Test
    void ensureReusesAMatchingDatasetAndRefusesAnother(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("data/synth/val");
        SynthDataset first = SynthGenerator.ensure(out, small(6, 2), null);
        Map<String, byte[]> before = SynthFiles.tree(out);
        SynthDataset again = SynthGenerator.ensure(out, small(6, 2).withThreads(1), done -> {
            throw new AssertionError("a matching dataset is not regenerated");
        });
        assertEquals(first.tampered(), again.tampered());
        assertEquals(first.authentic(), again.authentic());
        assertEquals(before.keySet(), SynthFiles.tree(out).keySet());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SynthGenerator.ensure(out, small(6, 3), null));
        assertTrue(e.getMessage().contains("made with other options (count 6, seed 2"), e.getMessage());
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("x.txt"), "x");
        e = assertThrows(IllegalArgumentException.class, () -> SynthGenerator.ensure(other, small(6, 2), null));
        assertTrue(e.getMessage().contains("holds no synthetic dataset"), e.getMessage());
    }

    @Test
    void optionsAreValidatedWithOneLineMessages() {
        assertEquals("count must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> small(0, 1)).getMessage());
        assertEquals("size must be in 32..8192 pixels, got 16",
                assertThrows(IllegalArgumentException.class, () -> small(1, 1).withSize(16)).getMessage());
        assertEquals("authentic fraction must be in [0, 1], got 1.5",
                assertThrows(IllegalArgumentException.class, () -> small(1, 1).withAuthenticFraction(1.5))
                        .getMessage());
        assertEquals(250, SynthOptions.defaults().authenticCount());
    }

    @Test
    void photosAreUsedAndUnreadableOnesSkipped(@TempDir Path dir) throws IOException {
        Path photos = Files.createDirectories(dir.resolve("photos/nested"));
        writePhoto(photos.resolve("a.jpg"), 320, 200, 1, false);
        writePhoto(photos.resolve("b.png"), 150, 260, 2, false);
        writePhoto(photos.getParent().resolve("c.bmp"), 200, 200, 3, false);
        writePhoto(photos.getParent().resolve("d.tif"), 240, 180, 4, true);
        Files.write(photos.resolve("broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        Files.writeString(photos.resolve("notes.txt"), "not an image");
        SynthOptions options = small(10, 4).withPhotos(dir.resolve("photos")).withSize(64);
        SynthDataset d = new SynthGenerator(options).generate(dir.resolve("a"), null);
        assertEquals(10, d.count());
        new SynthGenerator(options).generate(dir.resolve("b"), null);
        Map<String, byte[]> a = SynthFiles.tree(dir.resolve("a")), b = SynthFiles.tree(dir.resolve("b"));
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name), b.get(name), name);
        }
        for (String name : a.keySet()) {
            if (name.startsWith("Tp/") || name.startsWith("Au/")) {
                assertEquals(64, SynthFiles.decodeUnchanged(a.get(name), name).width);
            }
        }
        // only unreadable files, or none at all: a one-line error naming the folder
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.write(bad.resolve("x.jpg"), new byte[] {1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SynthGenerator(small(2, 1).withPhotos(bad)));
        assertEquals(bad + ": no readable photos (1 image files, none decodes)", e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(IllegalArgumentException.class, () -> new SynthGenerator(small(2, 1).withPhotos(empty)));
        assertTrue(e.getMessage().startsWith(empty + ": no readable photos"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SynthGenerator(small(2, 1).withPhotos(dir.resolve("missing"))));
        assertEquals(dir.resolve("missing") + ": no such folder", e.getMessage());
    }

    /** A photo-like test image: gradient, discs, noise; 16-bit grayscale when {@code gray16}. */
    private static void writePhoto(Path file, int w, int h, long seed, boolean gray16) {
        SplittableRandom rng = new SplittableRandom(seed);
        Raster r = new Raster(w, h, 3);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    r.data[3 * (y * w + x) + c] = (float) (40 + 150.0 * x / w * (c + 1) / 3 + 50.0 * y / h
                            + 6 * rng.nextGaussian());
                }
            }
        }
        try (Mat m = r.toMat8()) {
            for (int k = 0; k < 6; k++) {
                try (Point centre = new Point(rng.nextInt(w), rng.nextInt(h));
                        Scalar colour = new Scalar(rng.nextInt(256), rng.nextInt(256), rng.nextInt(256), 0)) {
                    opencv_imgproc.circle(m, centre, 10 + rng.nextInt(40), colour, -1, opencv_imgproc.LINE_AA, 0);
                }
            }
            if (gray16) {
                try (Mat gray = new Mat(); Mat wide = new Mat()) {
                    opencv_imgproc.cvtColor(m, gray, opencv_imgproc.COLOR_BGR2GRAY);
                    gray.convertTo(wide, opencv_core.CV_16U, 257, 0);
                    assertTrue(opencv_imgcodecs.imwrite(file.toString(), wide));
                }
            } else {
                assertTrue(opencv_imgcodecs.imwrite(file.toString(), m));
            }
        }
    }

    private static List<String> names(Map<String, byte[]> files, String folder) {
        List<String> out = new ArrayList<>();
        for (String name : files.keySet()) {
            if (name.startsWith(folder)) {
                out.add(name);
            }
        }
        out.sort(null);
        return out;
    }

    private static List<Path> listUnchecked(Path dir) {
        try {
            return list(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
