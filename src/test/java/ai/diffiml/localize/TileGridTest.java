package ai.diffiml.localize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tile layouts cover every pixel with the promised overlap; stitching averages the tiles over each pixel. */
class TileGridTest {
    @Test
    void startsSpreadFromZeroToTheEndWithAtLeastTheOverlap() {
        assertArrayEquals(new int[] {0}, TileGrid.starts(40, 64, 16));
        assertArrayEquals(new int[] {0}, TileGrid.starts(64, 64, 16));
        assertArrayEquals(new int[] {0, 64}, TileGrid.starts(128, 64, 0));
        assertArrayEquals(new int[] {0, 48, 96}, TileGrid.starts(160, 64, 16));
        for (int length = 1; length <= 700; length += 7) {
            for (int overlap : new int[] {0, 1, 16, 32}) {
                int[] s = TileGrid.starts(length, 64, overlap);
                assertEquals(0, s[0]);
                assertEquals(Math.max(0, length - 64), s[s.length - 1], "last tile ends at the edge");
                for (int i = 1; i < s.length; i++) {
                    assertTrue(s[i - 1] + 64 - s[i] >= overlap, "neighbours overlap by >= " + overlap);
                    assertTrue(s[i] > s[i - 1], "tiles advance");
                }
            }
        }
    }

    @Test
    void everyPixelIsCoveredAndTheStitchIsTheMeanOfItsTiles() {
        TileGrid grid = TileGrid.cover(150, 40, 64, 16);
        List<TileGrid.Tile> tiles = grid.tiles();
        assertEquals(3, tiles.size());
        int[] coverage = new int[150 * 40];
        TileGrid.Stitcher stitcher = grid.stitcher();
        for (int k = 0; k < tiles.size(); k++) {
            TileGrid.Tile t = tiles.get(k);
            assertEquals(40, t.height(), "the short side is covered by the visible part of one tile");
            float[] map = new float[64 * 64];
            java.util.Arrays.fill(map, k + 1);
            stitcher.add(t, map, 0);
            for (int y = t.y(); y < t.y() + t.height(); y++) {
                for (int x = t.x(); x < t.x() + t.width(); x++) {
                    coverage[y * 150 + x]++;
                }
            }
        }
        float[] mean = stitcher.mean();
        for (int i = 0; i < coverage.length; i++) {
            assertTrue(coverage[i] >= 1, "pixel " + i + " covered");
        }
        assertEquals(1f, mean[0]);
        assertEquals(3f, mean[149]);
        int x = tiles.get(1).x(); // covered by tiles 1 and 2 (values 1 and 2) where the first two overlap
        assertEquals(1.5f, mean[x], "overlap of the first two tiles");
    }

    @Test
    void anUncoveredStitchAndABadGridAreRefused() {
        TileGrid grid = TileGrid.cover(100, 100, 64, 0);
        TileGrid.Stitcher partial = grid.stitcher();
        partial.add(grid.tiles().get(0), new float[64 * 64], 0);
        assertThrows(IllegalStateException.class, partial::mean);
        assertThrows(IllegalArgumentException.class, () -> TileGrid.cover(10, 10, 64, 64));
    }
}
