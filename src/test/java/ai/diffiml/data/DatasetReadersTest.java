package ai.diffiml.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The four dataset layouts, auto-detection, and one-line errors naming the file (and line). */
class DatasetReadersTest {
    @TempDir
    Path dir;

    /** Empty files with image names: the readers do not open images. */
    private Path touch(String relative) throws Exception {
        Path p = dir.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.exists(p) ? p : Files.createFile(p);
    }

    @Test
    void bencoFolderPairsBySortedNameAndAddsAu() throws Exception {
        for (String n : List.of("Tp/b.jpg", "Tp/a.tif", "Gt/b_gt.png", "Gt/a_gt.png", "Au/z.jpg", "Au/notes.txt",
                "Tp/.DS_Store", "Au/c.png")) {
            touch(n);
        }
        Dataset d = DatasetReaders.open(dir);
        assertEquals(dir.getFileName().toString(), d.name());
        assertEquals(List.of("Tp/a.tif", "Tp/b.jpg", "Au/c.png", "Au/z.jpg"),
                d.samples().stream().map(Sample::id).toList());
        assertEquals(dir.resolve("Gt/a_gt.png"), d.samples().get(0).mask());
        assertEquals(dir.resolve("Gt/b_gt.png"), d.samples().get(1).mask());
        assertNull(d.samples().get(2).mask());
        assertEquals(2, d.tamperedCount());
    }

    @Test
    void bencoFolderErrors() throws Exception {
        touch("Tp/a.jpg");
        touch("Tp/b.jpg");
        touch("Gt/a.png");
        DatasetException e = assertThrows(DatasetException.class, () -> DatasetReaders.open(dir));
        assertEquals(dir + ": Tp/ has 2 images but Gt/ has 1 masks; they are paired by sorted file name, so the"
                + " counts must agree", e.getMessage());

        Path onlyGt = dir.resolve("other");
        Files.createDirectories(onlyGt.resolve("Gt"));
        assertTrue(assertThrows(DatasetException.class, () -> DatasetReaders.open(onlyGt)).getMessage()
                .startsWith(onlyGt + ": has Gt/ but no Tp/"));

        Path missing = dir.resolve("absent");
        assertEquals(missing + ": no such file or folder",
                assertThrows(DatasetException.class, () -> DatasetReaders.open(missing)).getMessage());
        assertEquals(missing + ": no such folder",
                assertThrows(DatasetException.class, () -> DatasetReaders.bencoFolder(missing)).getMessage());
    }

    @Test
    void bencoJsonResolvesRelativeAndAbsolutePaths() throws Exception {
        Path abs = touch("elsewhere/abs.png");
        Path list = dir.resolve("lists/train.json");
        Files.createDirectories(list.getParent());
        Files.writeString(list, "[[\"img/a.jpg\", \"gt/a.png\"],\n [\"" + abs.toString().replace("\\", "\\\\")
                + "\", \"Negative\"]]");
        Dataset d = DatasetReaders.open(list);
        assertEquals("lists/train.json", d.name());
        assertEquals(2, d.size());
        assertEquals(dir.resolve("lists/img/a.jpg"), d.samples().get(0).image());
        assertEquals(dir.resolve("lists/gt/a.png"), d.samples().get(0).mask());
        assertEquals(abs, d.samples().get(1).image());
        assertFalse(d.samples().get(1).tampered());
        assertEquals("img/a.jpg", d.samples().get(0).id());
    }

    @Test
    void bencoJsonErrors() throws Exception {
        Path list = dir.resolve("bad.json");
        Files.writeString(list, "[[\"a.jpg\", \"a.png\"], [\"b.jpg\"]]");
        assertEquals(list + ": entry 2: expected [image, mask or \"Negative\"], got [\"b.jpg\"]",
                assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage());
        Files.writeString(list, "[[\"a.jpg\", \"a.png\"],\n [\"b.jpg\", ]]");
        String broken = assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage();
        assertTrue(broken.startsWith(list + ": not valid JSON at line 2"), broken);
        Files.writeString(list, "{\"a\": 1}");
        assertTrue(assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage()
                .startsWith(list + ": expected a JSON list"));
    }

    @Test
    void mvssListWithLabelsNoneAndBlankLines() throws Exception {
        Path list = dir.resolve("data/list.txt");
        Files.createDirectories(list.getParent());
        Files.writeString(list, "\uFEFFTp/a.tif Gt/a_gt.png 1\n\nAu/b.jpg None 0\r\n  Tp/c.jpg   Gt/c.png  \n"
                + "# a comment\nTp/d.jpg None 1\nAu/e.jpg None\n");
        Dataset d = DatasetReaders.open(list);
        assertEquals(List.of("Tp/a.tif", "Au/b.jpg", "Tp/c.jpg", "Au/e.jpg"),
                d.samples().stream().map(Sample::id).toList(), "label 1 without a mask is left out");
        assertEquals(dir.resolve("data/Gt/a_gt.png"), d.samples().get(0).mask());
        assertEquals(dir.resolve("data/Gt/c.png"), d.samples().get(2).mask());
        assertEquals(2, d.tamperedCount());
    }

    @Test
    void mvssListErrorsNameTheLine() throws Exception {
        Path list = dir.resolve("list.txt");
        Files.writeString(list, "a.jpg a.png 1\n\nb.jpg b.png 1 extra\n");
        assertEquals(list + ": line 3: expected 'image mask|None label', got 'b.jpg b.png 1 extra'",
                assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage());
        Files.writeString(list, "a.jpg a.png 1\nb.jpg\n");
        assertTrue(assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage()
                .startsWith(list + ": line 2: expected"));
        Files.writeString(list, "a.jpg a.png yes\n");
        assertEquals(list + ": line 1: label must be 0 (authentic) or 1 (tampered), got 'yes'",
                assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage());
        Files.writeString(list, "\n# nothing\n");
        assertEquals(list + ": the list has no entries",
                assertThrows(DatasetException.class, () -> DatasetReaders.open(list)).getMessage());
    }

    @Test
    void plainFolderIsAuthentic() throws Exception {
        touch("photos/b.png");
        touch("photos/a.JPG");
        touch("photos/readme.md");
        Dataset d = DatasetReaders.open(dir.resolve("photos"));
        assertEquals(List.of("a.JPG", "b.png"), d.samples().stream().map(Sample::id).toList());
        assertEquals(0, d.tamperedCount());
        Files.createDirectories(dir.resolve("nothing"));
        assertTrue(assertThrows(DatasetException.class, () -> DatasetReaders.open(dir.resolve("nothing")))
                .getMessage().startsWith(dir.resolve("nothing") + ": no images here"));
    }

    @Test
    void detectsJsonByContentToo() throws Exception {
        Path list = dir.resolve("list.txt");
        Files.writeString(list, "  [[\"a.jpg\", \"Negative\"]]");
        assertEquals(0, DatasetReaders.open(list).tamperedCount());
    }

    @Test
    void realSamplesOpenInEveryLayout() throws Exception {
        Path real = SharedData.realSamplesDir();
        Assumptions.assumeTrue(real != null, "../shared/data/real-samples not present");
        Dataset casia = DatasetReaders.open(real.resolve("casia2/manifest_mvss.txt"));
        assertEquals(17, casia.size());
        assertEquals(17, casia.tamperedCount());
        for (Sample s : casia.samples()) {
            assertTrue(Files.isRegularFile(s.image()) && Files.isRegularFile(s.mask()), s.toString());
        }
        Dataset folder = DatasetReaders.open(real.resolve("benco-folder"));
        Dataset list = DatasetReaders.open(real.resolve("benco-folder/manifest_mvss.txt"));
        assertEquals(2, folder.size());
        assertEquals(folder.samples().stream().map(Sample::image).toList(),
                list.samples().stream().map(Sample::image).toList(), "the folder and its list agree");
        assertEquals(folder.samples().stream().map(Sample::mask).toList(),
                list.samples().stream().map(Sample::mask).toList());
    }
}
