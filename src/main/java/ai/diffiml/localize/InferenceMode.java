package ai.diffiml.localize;

/** How a {@link Localizer} fits an image of any size to a model trained at one square resolution R. */
public enum InferenceMode {
    /**
     * The evaluation protocol: the whole image resized to R x R (area averaging when both sides shrink, bilinear
     * otherwise), one prediction, the map resized back to the image's size (bilinear, half-pixel centres).
     */
    RESIZE,
    /**
     * Native resolution: the image cut into R x R tiles that overlap by {@link LocalizerOptions#tileOverlap()}
     * (edge tiles of an image smaller than R padded by repeating the border pixels), each tile predicted on its
     * own pixels, the tile maps averaged where they overlap. Small traces are not blurred away by down-scaling;
     * the cost grows with the number of tiles.
     */
    TILED
}
