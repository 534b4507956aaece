package ai.diffiml.data;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * How a dataset's masks store their values, as {@code datasets check} reports it: per mask, its kind (binary 0/255,
 * binary 0/1, grey levels, colour, with alpha) and whether it is empty under IMDL-BenCo's binarisation (mean of the
 * colour channels above 127.5, {@link ImageFiles#readMask}); over all masks, a histogram of the grey values (mean of
 * the colour channels, 16-bit values divided by 257, float values times 255) in 8 bins of 32 levels.
 * Binary 0/1 masks matter: BenCo's rule reads them as all authentic.
 */
public final class MaskValues {
    /**
     * The counts over the masks described.
     *
     * @param greyLevels masks with more than two grey values (anti-aliased or JPEG-compressed edges)
     * @param maxLevels the most distinct grey values in one mask
     * @param colour masks whose colour channels differ somewhere (e.g. Columbia's red/green masks)
     * @param alpha masks with an alpha channel (RGBA or grey + alpha); alpha is ignored
     * @param emptyAfterBinarising masks with no pixel above 127.5: all authentic to the protocol
     * @param histogram pixels per grey-value bin {@code [32k, 32k + 31]}, k = 0..7
     */
    public record Stats(int masks, int binary255, int binary01, int greyLevels, int maxLevels, int colour, int alpha,
            int emptyAfterBinarising, List<String> unreadable, long[] histogram) {
        public Stats {
            unreadable = List.copyOf(unreadable);
            histogram = histogram.clone();
        }

        /** Whether a mask is unreadable, empty to the protocol or stored as 0/1. */
        public boolean hasProblems() {
            return !unreadable.isEmpty() || emptyAfterBinarising > 0 || binary01 > 0;
        }

        /** A few lines: the counts by kind, then the histogram in percent of all mask pixels. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "masks %d: binary 0/255 %d, binary 0/1 %d%s, grey levels %d%s,"
                    + " colour %d, with alpha %d, empty after binarising (> 127.5) %d%s", masks, binary255, binary01,
                    binary01 > 0 ? " (read as all authentic by the protocol's rule)" : "", greyLevels,
                    greyLevels > 0 ? " (up to " + maxLevels + " levels)" : "", colour, alpha, emptyAfterBinarising,
                    unreadable.isEmpty() ? "" : ", unreadable " + unreadable.size()));
            long total = 0;
            for (long h : histogram) {
                total += h;
            }
            StringBuilder b = new StringBuilder("mask values (grey, % of pixels):");
            for (int k = 0; k < histogram.length; k++) {
                b.append(String.format(Locale.ROOT, " %d-%d %.2f%%", 32 * k, 32 * k + 31,
                        total == 0 ? 0.0 : 100.0 * histogram[k] / total));
            }
            out.add(b.toString());
            for (int i = 0; i < Math.min(3, unreadable.size()); i++) {
                out.add("  unreadable mask: " + unreadable.get(i));
            }
            return out;
        }
    }

    private MaskValues() {}

    /** Describes every mask of {@code masks} (they are decoded in full). */
    public static Stats of(List<Path> masks) {
        int binary255 = 0, binary01 = 0, grey = 0, maxLevels = 0, colour = 0, alpha = 0, empty = 0;
        List<String> unreadable = new ArrayList<>();
        long[] histogram = new long[8];
        for (Path file : masks) {
            One one;
            try (Mat m = ImageFiles.readUnchanged(file)) {
                one = describe(m, file, histogram);
            } catch (UnreadableImageException e) {
                unreadable.add(e.getMessage());
                continue;
            }
            boolean[] seen = one.values;
            int levels = 0;
            for (boolean v : seen) {
                levels += v ? 1 : 0;
            }
            boolean onlyZeroAnd = true;
            for (int v = 1; v < 255; v++) {
                onlyZeroAnd &= !seen[v];
            }
            boolean only01 = true;
            for (int v = 2; v < 256; v++) {
                only01 &= !seen[v];
            }
            if (only01 && seen[1]) {
                binary01++;
            } else if (onlyZeroAnd) {
                binary255++;
            } else {
                grey++;
                maxLevels = Math.max(maxLevels, levels);
            }
            colour += one.colour ? 1 : 0;
            alpha += one.alpha ? 1 : 0;
            empty += one.anyAbove ? 0 : 1;
        }
        return new Stats(masks.size(), binary255, binary01, grey, maxLevels, colour, alpha, empty, unreadable,
                histogram);
    }

    private record One(boolean[] values, boolean colour, boolean alpha, boolean anyAbove) {}

    private static One describe(Mat decoded, Path file, long[] histogram) throws UnreadableImageException {
        int channels = decoded.channels();
        if (channels < 1 || channels > 4) {
            throw new UnreadableImageException(file, "mask has " + channels + " channels");
        }
        Mat m = decoded.isContinuous() ? decoded : decoded.clone();
        try {
            int colours = channels <= 2 ? 1 : 3;
            int n = m.rows() * m.cols();
            double[] sample = new double[n * channels];
            double scale;
            int depth = m.depth();
            if (depth == CV_8U) {
                byte[] d = new byte[n * channels];
                m.data().get(d);
                for (int i = 0; i < d.length; i++) {
                    sample[i] = d[i] & 0xFF;
                }
                scale = 1;
            } else if (depth == CV_16U) {
                short[] d = new short[n * channels];
                ((ShortBuffer) m.createBuffer()).get(d);
                for (int i = 0; i < d.length; i++) {
                    sample[i] = d[i] & 0xFFFF;
                }
                scale = 1 / 257.0;
            } else if (depth == CV_32F) {
                float[] d = new float[n * channels];
                ((FloatBuffer) m.createBuffer()).get(d);
                for (int i = 0; i < d.length; i++) {
                    sample[i] = d[i];
                }
                scale = 255;
            } else {
                throw new UnreadableImageException(file, "unsupported mask sample type (OpenCV depth " + depth + ")");
            }
            boolean[] values = new boolean[256];
            boolean colour = false, anyAbove = false;
            for (int p = 0, o = 0; p < n; p++, o += channels) {
                double sum = 0;
                for (int c = 0; c < colours; c++) {
                    sum += sample[o + c];
                }
                if (colours == 3 && (sample[o] != sample[o + 1] || sample[o] != sample[o + 2])) {
                    colour = true;
                }
                double grey = sum / colours * scale;
                int v = (int) Math.max(0, Math.min(255, Math.round(grey)));
                values[v] = true;
                histogram[v / 32]++;
                anyAbove |= grey > 127.5;
            }
            return new One(values, colour, channels == 2 || channels == 4, anyAbove);
        } finally {
            if (m != decoded) {
                m.close();
            }
        }
    }
}
