package ai.diffiml.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.DatasetException;
import ai.diffiml.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code predict} reads from files, folders, globs and lists, and the output names it gives them. */
class PredictInputsTest {
    @TempDir
    Path dir;

    private Path touch(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {1});
        return p;
    }

    private static List<String> names(List<PredictInputs.Item> items) {
        return items.stream().map(PredictInputs.Item::name).toList();
    }

    @Test
    void filesFoldersAndGlobs() throws Exception {
        touch("f/b.png");
        touch("f/a.jpg");
        touch("f/notes.txt");
        touch("f/sub/c.png");
        assertEquals(List.of("a", "b"), names(PredictInputs.resolve(List.of(dir.resolve("f").toString()))));
        assertEquals(List.of("b"), names(PredictInputs.resolve(List.of(dir.resolve("f/b.png").toString()))));
        assertEquals(List.of("b"), names(PredictInputs.resolve(List.of(dir.resolve("f") + "/*.png"))));
        assertEquals(List.of("b", "c"), names(PredictInputs.resolve(List.of(dir.resolve("f") + "/**.png"))));
        assertEquals(List.of("c"), names(PredictInputs.resolve(List.of(dir.resolve("f") + "/*/c.*"))));
        DatasetException none = assertThrows(DatasetException.class,
                () -> PredictInputs.resolve(List.of(dir.resolve("f") + "/*.gif")));
        assertTrue(none.getMessage().contains("no image files match"), none::getMessage);
        assertThrows(DatasetException.class, () -> PredictInputs.resolve(List.of(dir.resolve("nope").toString())));
    }

    @Test
    void listsAndBencoFoldersIgnoreTheMasks() throws Exception {
        touch("benco/Tp/t1.png");
        touch("benco/Gt/t1.png");
        touch("benco/Au/a1.jpg");
        assertEquals(List.of("t1", "a1"), names(PredictInputs.resolve(List.of(dir.resolve("benco").toString()))));
        Files.writeString(dir.resolve("list.txt"), "benco/Tp/t1.png benco/Gt/t1.png 1\nbenco/Au/a1.jpg None 0\n");
        List<PredictInputs.Item> mvss = PredictInputs.resolve(List.of(dir.resolve("list.txt").toString()));
        assertEquals(List.of("t1", "a1"), names(mvss));
        assertEquals(dir.resolve("benco/Tp/t1.png"), mvss.get(0).image());
        Files.writeString(dir.resolve("list.json"), "[[\"benco/Au/a1.jpg\", \"Negative\"]]");
        assertEquals(List.of("a1"), names(PredictInputs.resolve(List.of(dir.resolve("list.json").toString()))));
    }

    @Test
    void sharedNamesAreMadeUniqueAndRepeatsDropped() throws Exception {
        Path x1 = touch("one/x.png"), x2 = touch("two/x.png"), xj = touch("one/x.jpg"), y = touch("one/y z.png");
        List<PredictInputs.Item> items = PredictInputs.resolve(List.of(x1.toString(), x2.toString(), xj.toString(),
                y.toString(), x1.toString()));
        assertEquals(List.of("x.png-1", "x.png-2", "x.jpg", "y_z"), names(items));
        touch("g/a/k.png");
        touch("g/b/k.png");
        assertEquals(List.of("a_k", "b_k"), names(PredictInputs.resolve(List.of(dir.resolve("g") + "/*/k.png"))));
    }

    @Test
    void masksBesideTheirImagesAreSkippedAndCountedInFoldersAndGlobs() throws Exception {
        touch("p/a.jpg");
        touch("p/a_gt.png");
        touch("p/b.tif");
        touch("p/b_mask.png");
        touch("p/c.png");
        touch("p/z_GT.png"); // nobody's mask: still not a photo
        PredictInputs.Resolved folder = PredictInputs.resolveCounting(List.of(dir.resolve("p").toString()));
        assertEquals(List.of("a", "b", "c"), names(folder.items()));
        assertEquals(3, folder.skippedMasks());
        PredictInputs.Resolved glob = PredictInputs.resolveCounting(List.of(dir.resolve("p") + "/*.png"));
        assertEquals(List.of("c"), names(glob.items()), "a_gt.png and b_mask.png are masks of images the glob left out");
        assertEquals(3, glob.skippedMasks());
        PredictInputs.Resolved both = PredictInputs.resolveCounting(List.of(dir.resolve("p") + "/*"));
        assertEquals(List.of("a", "b", "c"), names(both.items()));
        assertEquals(3, both.skippedMasks());
        // a CASIA-style Tp/ image without its mask is still a photo to predict
        touch("q/Tp/x.tif");
        touch("q/Tp/y.tif");
        touch("q/CASIA 2 Groundtruth/x_gt.png");
        PredictInputs.Resolved tp = PredictInputs.resolveCounting(List.of(dir.resolve("q").toString()));
        assertEquals(List.of("x", "y"), names(tp.items()));
        assertEquals(1, tp.skippedMasks());
    }

    @Test
    void theRealCasia2SampleFolderGives17PhotosAndSkips17Masks() throws Exception {
        Path real = SharedData.realSamplesDir();
        Assumptions.assumeTrue(real != null, "no ../shared/data/real-samples here");
        PredictInputs.Resolved r = PredictInputs.resolveCounting(List.of(real.resolve("casia2").toString()));
        assertEquals(17, r.items().size());
        assertEquals(17, r.skippedMasks());
        assertTrue(r.items().stream().noneMatch(i -> i.image().getFileName().toString().endsWith("_gt.png")));
    }
}
