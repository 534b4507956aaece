package ai.diffiml.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One entry of a dataset: an image file and, for a tampered image, its ground-truth mask file (null for an
 * authentic image). Nothing is read until a loader needs it. The id is the image path as the dataset names it
 * (relative to the dataset's folder or list file where it was relative there).
 */
public record Sample(String id, Path image, Path mask) {
    public Sample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(image, "image");
    }

    /** An authentic sample (no mask: all-zero ground truth). */
    public static Sample authentic(String id, Path image) {
        return new Sample(id, image, null);
    }

    /** Whether the sample has a mask, i.e. is a tampered image. */
    public boolean tampered() {
        return mask != null;
    }
}
