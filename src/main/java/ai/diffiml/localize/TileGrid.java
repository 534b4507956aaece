package ai.diffiml.localize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Square tiles of side {@code tile} covering a {@code width x height} image with at least {@code overlap} pixels
 * shared between neighbours, and the stitching of per-tile maps into one image-sized map (the mean of the tiles
 * covering each pixel). Along each axis: one tile at 0 when the side fits in a tile, otherwise
 * {@code n = ceil((L - overlap) / (tile - overlap))} tiles with starts spread evenly from 0 to {@code L - tile}.
 * A tile at the image's edge may extend past a side shorter than the tile; only its part inside the image counts.
 *
 * <p>Memory: a stitcher holds one float per pixel (the running sums, divided in place by the number of tiles over
 * each pixel, which the grid knows per row and per column), so a stitched map costs 4 bytes per pixel in all.
 */
final class TileGrid {
    /** A tile: its top-left corner and the part of it inside the image ({@code width x height}). */
    record Tile(int x, int y, int width, int height) {}

    private final int imageWidth;
    private final int imageHeight;
    private final int tile;
    private final List<Tile> tiles;
    /** How many tiles cover each column and each row. */
    private final int[] columnCover, rowCover;
    private final Map<Tile, Integer> index = new HashMap<>();

    private TileGrid(int imageWidth, int imageHeight, int tile, int[] xs, int[] ys, List<Tile> tiles) {
        this.imageWidth = imageWidth;
        this.imageHeight = imageHeight;
        this.tile = tile;
        this.tiles = List.copyOf(tiles);
        this.columnCover = cover(xs, tile, imageWidth);
        this.rowCover = cover(ys, tile, imageHeight);
        for (int k = 0; k < this.tiles.size(); k++) {
            index.put(this.tiles.get(k), k);
        }
    }

    private static int[] cover(int[] starts, int tile, int length) {
        int[] n = new int[length];
        for (int s : starts) {
            for (int i = s; i < Math.min(length, s + tile); i++) {
                n[i]++;
            }
        }
        return n;
    }

    static TileGrid cover(int width, int height, int tile, int overlap) {
        if (width < 1 || height < 1 || tile < 1 || overlap < 0 || overlap >= tile) {
            throw new IllegalArgumentException("tile grid: image " + width + "x" + height + ", tile " + tile
                    + ", overlap " + overlap);
        }
        int[] xs = starts(width, tile, overlap), ys = starts(height, tile, overlap);
        List<Tile> tiles = new ArrayList<>();
        for (int y : ys) {
            for (int x : xs) {
                tiles.add(new Tile(x, y, Math.min(tile, width - x), Math.min(tile, height - y)));
            }
        }
        return new TileGrid(width, height, tile, xs, ys, tiles);
    }

    static int[] starts(int length, int tile, int overlap) {
        if (length <= tile) {
            return new int[] {0};
        }
        int n = (int) Math.ceil((double) (length - overlap) / (tile - overlap));
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = (int) Math.round((double) i * (length - tile) / (n - 1));
        }
        return s;
    }

    List<Tile> tiles() {
        return tiles;
    }

    int tileSize() {
        return tile;
    }

    /** Sums tile maps into an image-sized mean; one float per pixel. */
    final class Stitcher {
        private float[] sum = new float[imageWidth * imageHeight];
        private final boolean[] added = new boolean[tiles.size()];

        /**
         * Adds the map of {@code t} ({@code tile x tile} values starting at {@code offset} of {@code map}), one of
         * the grid's tiles, once.
         */
        void add(Tile t, float[] map, int offset) {
            Integer at = index.get(t);
            int k = at == null ? -1 : at;
            if (k < 0 || added[k]) {
                throw new IllegalArgumentException(k < 0 ? t + " is not a tile of this grid" : t + " added twice");
            }
            added[k] = true;
            for (int y = 0; y < t.height(); y++) {
                int row = (t.y() + y) * imageWidth + t.x();
                int src = offset + y * tile;
                for (int x = 0; x < t.width(); x++) {
                    sum[row + x] += map[src + x];
                }
            }
        }

        /**
         * The mean per pixel, once every tile was added; the sums' array itself, divided in place (the stitcher
         * is spent).
         */
        float[] mean() {
            for (int k = 0; k < added.length; k++) {
                if (!added[k]) {
                    throw new IllegalStateException("tile " + tiles.get(k) + " was not added: the stitch would"
                            + " leave pixels uncovered or averaged over too few tiles");
                }
            }
            float[] out = sum;
            if (out == null) {
                throw new IllegalStateException("mean() was already taken");
            }
            sum = null;
            for (int y = 0, i = 0; y < imageHeight; y++) {
                for (int x = 0; x < imageWidth; x++, i++) {
                    out[i] /= columnCover[x] * rowCover[y];
                }
            }
            return out;
        }
    }

    Stitcher stitcher() {
        return new Stitcher();
    }
}
