package ai.diffiml.localize;

import java.util.ArrayList;
import java.util.List;

/**
 * Square tiles of side {@code tile} covering a {@code width x height} image with at least {@code overlap} pixels
 * shared between neighbours, and the stitching of per-tile maps into one image-sized map (the mean of the tiles
 * covering each pixel). Along each axis: one tile at 0 when the side fits in a tile, otherwise
 * {@code n = ceil((L - overlap) / (tile - overlap))} tiles with starts spread evenly from 0 to {@code L - tile}.
 * A tile at the image's edge may extend past a side shorter than the tile; only its part inside the image counts.
 */
final class TileGrid {
    /** A tile: its top-left corner and the part of it inside the image ({@code width x height}). */
    record Tile(int x, int y, int width, int height) {}

    private final int imageWidth;
    private final int imageHeight;
    private final int tile;
    private final List<Tile> tiles;

    private TileGrid(int imageWidth, int imageHeight, int tile, List<Tile> tiles) {
        this.imageWidth = imageWidth;
        this.imageHeight = imageHeight;
        this.tile = tile;
        this.tiles = List.copyOf(tiles);
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
        return new TileGrid(width, height, tile, tiles);
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

    /** Sums tile maps into an image-sized mean. */
    final class Stitcher {
        private final double[] sum = new double[imageWidth * imageHeight];
        private final int[] count = new int[imageWidth * imageHeight];

        /** Adds the map of {@code t} ({@code tile x tile} values starting at {@code offset} of {@code map}). */
        void add(Tile t, float[] map, int offset) {
            for (int y = 0; y < t.height(); y++) {
                int row = (t.y() + y) * imageWidth + t.x();
                int src = offset + y * tile;
                for (int x = 0; x < t.width(); x++) {
                    sum[row + x] += map[src + x];
                    count[row + x]++;
                }
            }
        }

        /** The mean per pixel; every pixel must be covered. */
        float[] mean() {
            float[] out = new float[sum.length];
            for (int i = 0; i < out.length; i++) {
                if (count[i] == 0) {
                    throw new IllegalStateException("tile grid left pixel " + (i % imageWidth) + ", "
                            + (i / imageWidth) + " uncovered");
                }
                out[i] = (float) (sum[i] / count[i]);
            }
            return out;
        }
    }

    Stitcher stitcher() {
        return new Stitcher();
    }
}
