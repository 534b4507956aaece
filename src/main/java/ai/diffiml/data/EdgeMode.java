package ai.diffiml.data;

/** How the edge ground truth is made from a mask (see {@link EdgeMaps}). */
public enum EdgeMode {
    /** The release's band: plus-shaped dilation of the mask AND of its complement. */
    BAND,
    /** The paper text's Canny edges of the mask, dilated with the same plus-shaped element. */
    CANNY
}
