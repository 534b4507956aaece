package ai.diffiml.model.mit;

import java.util.Arrays;

/**
 * The Mix Transformer (SegFormer encoder) variants b0..b5: embedding widths, blocks per stage and heads per stage.
 * Shared by all: spatial-reduction ratios 8,4,2,1, patch kernels 7,3,3,3 with strides 4,2,2,2, MLP ratio 4.
 */
public enum MitVariant {
    B0(new int[] {32, 64, 160, 256}, new int[] {2, 2, 2, 2}),
    B1(new int[] {64, 128, 320, 512}, new int[] {2, 2, 2, 2}),
    B2(new int[] {64, 128, 320, 512}, new int[] {3, 4, 6, 3}),
    B3(new int[] {64, 128, 320, 512}, new int[] {3, 4, 18, 3}),
    B4(new int[] {64, 128, 320, 512}, new int[] {3, 8, 27, 3}),
    B5(new int[] {64, 128, 320, 512}, new int[] {3, 6, 40, 3});

    public static final int[] HEADS = {1, 2, 5, 8};
    public static final int[] SR_RATIOS = {8, 4, 2, 1};
    public static final int[] PATCH_KERNELS = {7, 3, 3, 3};
    public static final int[] PATCH_STRIDES = {4, 2, 2, 2};
    public static final int MLP_RATIO = 4;

    private final int[] dims;
    private final int[] depths;

    MitVariant(int[] dims, int[] depths) {
        this.dims = dims;
        this.depths = depths;
    }

    public int[] dims() {
        return dims.clone();
    }

    public int[] depths() {
        return depths.clone();
    }

    public int totalDepth() {
        return Arrays.stream(depths).sum();
    }

    /** "b3" or "B3" or "mit-b3" to the variant; anything else is refused with the valid names. */
    public static MitVariant parse(String s) {
        String k = s.toLowerCase().replace("mit-", "").replace("mit_", "");
        for (MitVariant v : values()) {
            if (v.name().equalsIgnoreCase(k)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown Mix Transformer variant '" + s + "': expected b0, b1, b2, b3, b4 or b5");
    }

    public String id() {
        return name().toLowerCase();
    }
}
