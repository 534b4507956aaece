package ai.diffiml.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paired-suffix folders: which files are masks, which photos, and which masks belong to nobody. */
class PairedFilesTest {
    @TempDir
    Path dir;

    private Path image(String name) {
        return DataFixtures.writeImage(dir.resolve(name), 12, 10, name.hashCode());
    }

    private Path mask(String name) {
        try (var m = DataFixtures.rectMask(10, 12, 2, 2, 6, 6)) {
            return DataFixtures.writeMask(dir.resolve(name), m);
        }
    }

    private static List<String> pairs(Dataset d) {
        return d.samples().stream().map(s -> s.image() + " <- " + s.mask()).sorted().toList();
    }

    private static List<String> ids(Dataset d) {
        return d.samples().stream().map(s -> s.id() + (s.tampered() ? " <- " + s.mask().getFileName() : "")).toList();
    }

    @Test
    void oneFolderPairsEachImageWithItsSuffixedMaskAndNoMaskIsReadAsAPhoto() throws Exception {
        image("a.jpg");
        mask("a_gt.png");
        image("b.tif");
        mask("b_MASK.png");
        image("c.png");
        mask("c-GT.png");
        image("d.jpg"); // authentic
        mask("e_gt.png"); // nobody's mask
        Dataset d = DatasetReaders.open(dir);
        assertEquals(DatasetReaders.PAIRED_FOLDER, d.layout());
        assertEquals(List.of("a.jpg <- a_gt.png", "b.tif <- b_MASK.png", "c.png <- c-GT.png", "d.jpg"), ids(d));
        assertEquals(List.of(dir.resolve("e_gt.png")), d.unmatchedMasks());
        assertEquals(3, d.tamperedCount());
    }

    @Test
    void casiaSiblingFoldersPairTpWithTheGroundTruthFolderAndTpImagesWithoutMaskAreMissing() throws Exception {
        image("Tp/x.tif");
        image("Tp/y.jpg"); // its mask is not in the release
        image("Au/z.jpg");
        mask("CASIA 2 Groundtruth/x_gt.png");
        Dataset d = DatasetReaders.open(dir);
        assertEquals(DatasetReaders.PAIRED_SIBLINGS, d.layout());
        assertEquals(List.of("Au/z.jpg", "Tp/x.tif <- x_gt.png"), ids(d));
        assertEquals(List.of(dir.resolve("Tp/y.jpg")), d.missingMasks());
    }

    @Test
    void aMaskFolderPairsByTheImagesOwnStem() throws Exception {
        image("images/p.jpg");
        image("images/q.jpg");
        mask("masks/p.png");
        Dataset d = DatasetReaders.open(dir);
        assertEquals(List.of("images/p.jpg <- p.png", "images/q.jpg"), ids(d));
    }

    @Test
    void onePhotoFolderPerSubfolderAsIn2020sImdIsPairedOneLevelDown() throws Exception {
        image("1a1ogs/1a1ogs_orig.jpg");
        image("1a1ogs/c8tf5mq_0.png");
        mask("1a1ogs/c8tf5mq_0_mask.png");
        Dataset d = DatasetReaders.open(dir);
        assertEquals(List.of("1a1ogs/1a1ogs_orig.jpg", "1a1ogs/c8tf5mq_0.png <- c8tf5mq_0_mask.png"), ids(d));
    }

    @Test
    void withoutAnyPairAPhotoNamedLikeAMaskIsStillAPhoto() throws Exception {
        image("face_mask.jpg");
        image("b.jpg");
        Dataset d = DatasetReaders.open(dir);
        assertEquals(DatasetReaders.IMAGE_FOLDER, d.layout());
        assertEquals(List.of("b.jpg", "face_mask.jpg"), ids(d));
    }

    @Test
    void aBencoFolderIsStillPairedBySortedName() throws Exception {
        image("Tp/t1.png");
        mask("Gt/anything.png");
        assertEquals(DatasetReaders.BENCO_FOLDER, DatasetReaders.open(dir).layout());
    }

    @Test
    void theRealCasia2SampleFolderIs17TamperedImagesWithTheirMasks() throws Exception {
        Path real = SharedData.realSamplesDir();
        Assumptions.assumeTrue(real != null, "no ../shared/data/real-samples here");
        Dataset folder = DatasetReaders.open(real.resolve("casia2"));
        Dataset list = DatasetReaders.open(real.resolve("casia2/manifest_mvss.txt"));
        assertEquals(17, folder.size());
        assertEquals(17, folder.tamperedCount());
        assertTrue(folder.unmatchedMasks().isEmpty());
        assertEquals(pairs(list), pairs(folder), "the folder pairs exactly as the release's MVSS list does");
    }
}
