package ai.diffiml.eval;

import java.nio.file.Path;

/**
 * What the evaluation found for one image.
 *
 * @param id the image's id in its dataset
 * @param image the image file
 * @param tampered whether the dataset gives a mask (pixel scores exist only then)
 * @param error why the image could not be evaluated (it is then skipped in every score), null when it was
 * @param counts pixel confusion counts on the scoring grid; null for authentic and failed images
 * @param pixelAuc pixel AUC on the scoring grid; NaN for authentic and failed images and masks without a
 *     negative pixel
 * @param score image-level score; NaN for failed images
 * @param width the image's width in pixels (0 when it could not be read)
 * @param height the image's height in pixels (0 when it could not be read)
 * @param maskSizeMismatch whether the mask's size differs from the image's (scored on the mask's grid all the same)
 * @param seconds wall time of the prediction
 */
public record ImageResult(String id, Path image, boolean tampered, String error, PixelF1.Counts counts,
        double pixelAuc, double score, int width, int height, boolean maskSizeMismatch, double seconds) {

    /** A failed image: read or prediction error. */
    public static ImageResult failed(String id, Path image, boolean tampered, String error) {
        return new ImageResult(id, image, tampered, error, null, Double.NaN, Double.NaN, 0, 0, false, 0);
    }

    public boolean ok() {
        return error == null;
    }

    /** Pixel F1 at 0.5; NaN where there are no pixel scores. */
    public double f1() {
        return counts == null ? Double.NaN : counts.f1();
    }
}
