package ai.diffiml.synth;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.joml.Matrix3x2f;
import org.joml.Vector2f;

/**
 * The manipulations: splicing from a second image, copy-move within the image, and inpainting (OpenCV Telea or
 * Navier-Stokes), each with the traces real editing leaves: the pasted content is resampled (scaled, rotated) or
 * moved by a whole number of pixels that is not a multiple of 8 (so its JPEG grid no longer lines up with the
 * host's), may have been saved as JPEG at its own quality first, blurred or noised locally, colour-corrected
 * toward its surroundings, and blended with hard or feathered edges. Nothing is tinted or outlined.
 *
 * <p>The mask is the changed region: the selection the content was pasted into, which is exactly where the pasted
 * content weighs at least 1/2 (a feathered blend also touches the pixels within about 4 sigma outside it, at
 * weights below 1/2), or the inpainted pixels exactly. A draw whose
 * region is too small or too large (outside [{@value #MIN_FRACTION}, {@value #MAX_FRACTION}] of the image), or
 * that changes the region by less than {@value #MIN_CHANGE} grey levels on average, is rejected ({@code null})
 * and the caller draws again: a mask over pixels that did not change would teach nothing.
 */
final class Tamper {
    static final double MIN_FRACTION = 0.025;
    static final double MAX_FRACTION = 0.38;
    static final double MIN_CHANGE = 3.0;

    private Tamper() {}

    /** A manipulated image, its 0/1 mask, and what was done. */
    record Result(Raster image, Raster mask) {}

    /** The manipulations, drawn 45% splice, 30% copy-move, 25% inpainting. */
    enum Kind {
        SPLICE("splice"), COPY_MOVE("copy-move"), INPAINT("inpaint");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        static Kind draw(SplittableRandom rng) {
            double u = rng.nextDouble();
            return u < 0.45 ? SPLICE : u < 0.75 ? COPY_MOVE : INPAINT;
        }
    }

    /** One manipulation of {@code host} of the given kind, or null if this draw was rejected. */
    static Result apply(Kind kind, SplittableRandom rng, Capture host, Supplier<Capture> donor,
            Map<String, Object> info) {
        info.put("kind", kind.label);
        Result r = switch (kind) {
            case SPLICE -> paste(rng, host, donor.get(), false, info);
            case COPY_MOVE -> paste(rng, host, host, true, info);
            case INPAINT -> inpaint(rng, host, info);
        };
        if (r == null || meanChange(host.image(), r.image, r.mask) < MIN_CHANGE) {
            return null;
        }
        return r;
    }

    /** Splice ({@code copyMove} false: content from {@code source}, another image) or copy-move (the host). */
    private static Result paste(SplittableRandom rng, Capture host, Capture source, boolean copyMove,
            Map<String, Object> info) {
        int w = host.image().width;
        Raster src = source.image();
        if (rng.nextDouble() < (copyMove ? 0.3 : 0.5)) {
            int q = rng.nextInt(60, 96);
            src = Cv.jpeg(src, q, rng.nextDouble() < 0.8);
            info.put("sourceJpeg", q);
        }
        if (rng.nextDouble() < 0.3) {
            double sigma = rng.nextDouble(0.5, 1.5);
            src = Cv.gaussianBlur(src, sigma);
            info.put("sourceBlur", round(sigma));
        }
        // the region in source coordinates: a drawn object, or a random outline
        Raster srcAlpha;
        Vector2f from;
        List<Raster> objects = source.objects();
        if (!objects.isEmpty() && rng.nextDouble() < 0.35) {
            srcAlpha = objects.get(rng.nextInt(objects.size()));
            from = centroid(srcAlpha);
            info.put("region", "object");
        } else {
            double area = w * (double) w * Math.exp(rng.nextDouble(Math.log(0.035), Math.log(0.25)));
            List<Vector2f> shape = Regions.shape(rng, area);
            float radius = Regions.radius(shape);
            float lo = Math.min(radius, w / 2f), hi = Math.max(w - radius, w / 2f);
            from = new Vector2f(Math.round(rng.nextDouble(lo, hi + 1e-3)), Math.round(rng.nextDouble(lo, hi + 1e-3)));
            srcAlpha = Cv.fillPolygon(Regions.transform(shape, new Matrix3x2f().translate(from)), w, w, false);
            info.put("region", "outline");
        }
        // where it goes: a whole-pixel shift (off the 8x8 grid), or a resampling move
        Matrix3x2f move;
        int interpolation;
        if (rng.nextDouble() < 0.25) {
            from.set(Math.round(from.x), Math.round(from.y));
            int tx = (int) Math.round(rng.nextDouble(0.12, 0.88) * w - from.x);
            int ty = (int) Math.round(rng.nextDouble(0.12, 0.88) * w - from.y);
            if (Math.floorMod(tx, 8) == 0 && Math.floorMod(ty, 8) == 0) {
                tx += rng.nextBoolean() ? rng.nextInt(1, 8) : -rng.nextInt(1, 8);
            }
            move = new Matrix3x2f().translate(tx, ty);
            interpolation = opencv_imgproc.INTER_NEAREST;
            info.put("shift", new int[] {tx, ty});
        } else {
            float scale = (float) Math.exp(copyMove ? rng.nextDouble(Math.log(0.7), Math.log(1.4))
                    : rng.nextDouble(Math.log(0.65), Math.log(1.5)));
            float angle = rng.nextDouble() < 0.5 ? (float) Math.toRadians(rng.nextDouble(copyMove ? -45 : -30,
                    copyMove ? 45 : 30)) : 0f;
            boolean mirror = copyMove && rng.nextDouble() < 0.15;
            Vector2f to = new Vector2f((float) rng.nextDouble(0.12, 0.88) * w, (float) rng.nextDouble(0.12, 0.88) * w);
            move = Regions.move(from, to, scale, angle, mirror);
            double v = rng.nextDouble();
            interpolation = v < 0.45 ? opencv_imgproc.INTER_LINEAR : v < 0.8 ? opencv_imgproc.INTER_CUBIC
                    : v < 0.9 ? opencv_imgproc.INTER_LANCZOS4 : opencv_imgproc.INTER_NEAREST;
            info.put("scale", round(scale));
            info.put("rotation", round(Math.toDegrees(angle)));
            if (mirror) {
                info.put("mirror", true);
            }
            info.put("interpolation", interpolationName(interpolation));
        }
        Raster region = Cv.warpAffine(srcAlpha, move, w, w, opencv_imgproc.INTER_LINEAR, false).threshold(0.5f);
        double fraction = region.mean();
        if (fraction < MIN_FRACTION || fraction > MAX_FRACTION) {
            return null;
        }
        if (copyMove && overlap(srcAlpha, region) > 0.15) {
            return null;
        }
        Raster content = Cv.warpAffine(src, move, w, w, interpolation, true);
        Raster alpha = region;
        if (rng.nextDouble() < 0.5) {
            // a feathered selection: the region blurred, kept at or above 1/2 inside it and below 1/2 outside,
            // so the mask (the selection) is exactly where the pasted content weighs at least half
            double sigma = rng.nextDouble(0.6, 2.5);
            alpha = Cv.gaussianBlur(region, sigma);
            for (int i = 0; i < alpha.data.length; i++) {
                alpha.data[i] = region.data[i] > 0 ? Math.max(alpha.data[i], 0.5f) : Math.min(alpha.data[i], 0.499f);
            }
            info.put("edges", "feathered");
            info.put("feather", round(sigma));
        } else {
            info.put("edges", "hard");
        }
        Raster mask = region;
        if (!copyMove && rng.nextDouble() < 0.5) {
            double k = rng.nextDouble(0.3, 1.0);
            matchColour(content, host.image(), mask, k);
            info.put("colourMatch", round(k));
        }
        if (rng.nextDouble() < 0.45) {
            double sigma = rng.nextDouble(1.5, 6);
            addNoise(rng, content, null, sigma);
            info.put("pasteNoise", round(sigma));
        }
        Raster out = host.image().copy();
        for (int i = 0, n = w * w; i < n; i++) {
            float a = alpha.data[i];
            if (a > 0) {
                for (int c = 0; c < 3; c++) {
                    int k = 3 * i + c;
                    out.data[k] += (content.data[k] - out.data[k]) * a;
                }
            }
        }
        return new Result(out, mask);
    }

    /** Object removal or a random region filled by OpenCV inpainting, sometimes re-grained with the host's noise. */
    private static Result inpaint(SplittableRandom rng, Capture host, Map<String, Object> info) {
        int w = host.image().width;
        Raster region;
        List<Raster> objects = host.objects();
        if (!objects.isEmpty() && rng.nextDouble() < 0.4) {
            int grow = rng.nextInt(1, 5);
            region = Cv.dilate(objects.get(rng.nextInt(objects.size())).threshold(0.5f), grow).threshold(0.5f);
            info.put("region", "object");
            info.put("dilate", grow);
        } else {
            double area = w * (double) w * Math.exp(rng.nextDouble(Math.log(0.03), Math.log(0.12)));
            List<Vector2f> shape = Regions.shape(rng, area);
            Vector2f at = new Vector2f((float) rng.nextDouble(0.1, 0.9) * w, (float) rng.nextDouble(0.1, 0.9) * w);
            region = Cv.fillPolygon(Regions.transform(shape, new Matrix3x2f().translate(at)), w, w, false);
            info.put("region", "outline");
        }
        double fraction = region.mean();
        if (fraction < MIN_FRACTION || fraction > 0.2) {
            return null;
        }
        boolean telea = rng.nextDouble() < 0.6;
        int radius = rng.nextInt(3, 10);
        Raster out = Cv.inpaint(host.image(), region, radius, telea);
        info.put("method", telea ? "telea" : "ns");
        info.put("radius", radius);
        if (rng.nextDouble() < 0.5) {
            double sigma = noiseLevel(host.image());
            addNoise(rng, out, region, sigma);
            info.put("regrain", round(sigma));
        }
        return new Result(out, region);
    }

    /** The centroid of a coverage map. */
    private static Vector2f centroid(Raster alpha) {
        double sx = 0, sy = 0, s = 0;
        for (int y = 0; y < alpha.height; y++) {
            for (int x = 0; x < alpha.width; x++) {
                float a = alpha.data[y * alpha.width + x];
                sx += a * x;
                sy += a * y;
                s += a;
            }
        }
        return new Vector2f((float) (sx / Math.max(s, 1e-6)), (float) (sy / Math.max(s, 1e-6)));
    }

    /** Share of {@code target}'s pixels that the source region covers too. */
    private static double overlap(Raster source, Raster target) {
        double both = 0, t = 0;
        for (int i = 0; i < target.data.length; i++) {
            if (target.data[i] >= 0.5f) {
                t++;
                if (source.data[i] >= 0.5f) {
                    both++;
                }
            }
        }
        return both / Math.max(t, 1);
    }

    /** Shifts each channel of {@code content} by {@code k} x (host mean - content mean) over the region. */
    private static void matchColour(Raster content, Raster host, Raster mask, double k) {
        double[] sc = new double[3], sh = new double[3];
        double n = 0;
        for (int i = 0; i < mask.data.length; i++) {
            if (mask.data[i] > 0) {
                n++;
                for (int c = 0; c < 3; c++) {
                    sc[c] += content.data[3 * i + c];
                    sh[c] += host.data[3 * i + c];
                }
            }
        }
        if (n == 0) {
            return;
        }
        for (int c = 0; c < 3; c++) {
            float shift = (float) (k * (sh[c] - sc[c]) / n);
            for (int i = c; i < content.data.length; i += 3) {
                content.data[i] += shift;
            }
        }
    }

    /** Gaussian noise of standard deviation {@code sigma} added where {@code region} is 1 (everywhere if null). */
    static void addNoise(SplittableRandom rng, Raster img, Raster region, double sigma) {
        float[] noise = new float[img.data.length];
        Noise.addGaussian(rng, noise, null, (float) sigma);
        for (int i = 0; i < img.data.length; i++) {
            if (region == null || region.data[i / img.channels] >= 0.5f) {
                img.data[i] += noise[i];
            }
        }
    }

    /** A robust estimate of the image's noise: 1.25 x mean |green - its 3x3 box mean| (about sigma). */
    private static double noiseLevel(Raster img) {
        int w = img.width, h = img.height;
        double sum = 0;
        long count = 0;
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                double box = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        box += img.data[3 * ((y + dy) * w + x + dx) + 1];
                    }
                }
                sum += Math.abs(img.data[3 * (y * w + x) + 1] - box / 9);
                count++;
            }
        }
        return Math.max(0.5, 1.25 * sum / Math.max(count, 1) * 9.0 / 8.0);
    }

    /** Mean absolute change per channel over the mask's pixels. */
    static double meanChange(Raster before, Raster after, Raster mask) {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < mask.data.length; i++) {
            if (mask.data[i] >= 0.5f) {
                for (int c = 0; c < 3; c++) {
                    sum += Math.abs(after.data[3 * i + c] - before.data[3 * i + c]);
                }
                n += 3;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private static String interpolationName(int interpolation) {
        return switch (interpolation) {
            case opencv_imgproc.INTER_NEAREST -> "nearest";
            case opencv_imgproc.INTER_LINEAR -> "linear";
            case opencv_imgproc.INTER_CUBIC -> "cubic";
            case opencv_imgproc.INTER_LANCZOS4 -> "lanczos";
            default -> "area";
        };
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
