package ai.diffiml.eval;

import ai.diffiml.eval.robustness.Attack;
import java.util.List;
import java.util.Locale;

/**
 * The scores of one dataset under one condition (clean, or one attack): the per-image results and the dataset
 * summaries computed from them. Pixel scores are means over the tampered images that were evaluated; authentic
 * images only count for detection; failed images count for nothing but are listed.
 *
 * @param name the dataset's column name
 * @param attack the distortion applied to the inputs, null for the clean images
 * @param images one result per image, in dataset order
 */
public record DatasetResult(String name, Attack attack, List<ImageResult> images) {
    public DatasetResult {
        images = List.copyOf(images);
    }

    /** "clean" or the attack's label (e.g. {@code jpeg:70}). */
    public String condition() {
        return attack == null ? "clean" : attack.label();
    }

    /** Pixel F1, precision, recall and IoU means over the evaluated tampered images. */
    public PixelF1.Summary pixel() {
        PixelF1.Accumulator acc = new PixelF1.Accumulator();
        for (ImageResult r : images) {
            if (r.ok()) {
                acc.add(r.counts(), r.tampered());
            }
        }
        return acc.summary();
    }

    /** Mean pixel AUC over the evaluated tampered images where it is defined; NaN when it is nowhere. */
    public double pixelAuc() {
        double sum = 0;
        int n = 0;
        for (ImageResult r : images) {
            if (r.ok() && r.tampered() && !Double.isNaN(r.pixelAuc())) {
                sum += r.pixelAuc();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Tampered images whose pixel AUC is undefined (the mask covers the whole scoring grid). */
    public int pixelAucUndefined() {
        return (int) images.stream().filter(r -> r.ok() && r.tampered() && Double.isNaN(r.pixelAuc())).count();
    }

    /** Image-level scores over every evaluated image. */
    public ImageDetection.Summary detection() {
        ImageDetection.Accumulator acc = new ImageDetection.Accumulator();
        for (ImageResult r : images) {
            if (r.ok()) {
                acc.add(r.score(), r.tampered());
            }
        }
        return acc.summary();
    }

    /** Images that could not be evaluated. */
    public List<ImageResult> failures() {
        return images.stream().filter(r -> !r.ok()).toList();
    }

    /** Evaluated tampered images whose mask size differs from the image size. */
    public int maskSizeMismatches() {
        return (int) images.stream().filter(r -> r.ok() && r.maskSizeMismatch()).count();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s [%s]: %s; pixel AUC %.4f; %s; %d failed", name, condition(), pixel(),
                pixelAuc(), detection(), failures().size());
    }
}
