package ai.diffiml.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How the public benchmarks name a mask after its image: {@code X.<ext>} and {@code X<suffix>.<any image ext>} with
 * the suffixes their releases use: {@code _gt} (CASIAv1 and CASIAv2 ground truth, e.g. {@code Tp_..._11700_gt.png}),
 * {@code _mask} (IMD2020, AutoSplice), {@code _edgemask} (Columbia) and the variants {@code -gt}, {@code -mask},
 * {@code _groundtruth}, {@code _ground_truth}; matched without regard to case ({@code X_GT.png}). A folder whose
 * name says it holds masks ({@code mask}, {@code masks}, {@code gt}, {@code groundtruth}, {@code ground truth},
 * {@code ground_truth}, {@code ground-truth}, and names containing {@code groundtruth} such as
 * {@code CASIA 2 Groundtruth}) also pairs a mask by the image's own stem ({@code images/X.jpg}, {@code masks/X.png}).
 */
public final class MaskNames {
    /** Lower-case stem suffixes, longest first so that {@code _edgemask} wins over {@code _mask}. */
    static final List<String> SUFFIXES = List.of("_ground_truth", "_groundtruth", "_edgemask", "_mask", "-mask",
            "_gt", "-gt");

    private MaskNames() {}

    /** The image stem that {@code stem} names the mask of ({@code X} for {@code X_gt}), or null. */
    public static String imageStem(String stem) {
        return strip(stem, SUFFIXES);
    }

    /** {@code stem} without the first of {@code suffixes} (lower case) it ends with, ignoring case; or null. */
    static String strip(String stem, List<String> suffixes) {
        String lower = stem.toLowerCase(Locale.ROOT);
        for (String suffix : suffixes) {
            if (lower.endsWith(suffix) && lower.length() > suffix.length()) {
                return stem.substring(0, stem.length() - suffix.length());
            }
        }
        return null;
    }

    /** Whether {@code folder}'s name says it holds masks (see the class comment). */
    public static boolean isMaskFolder(Path folder) {
        Path name = folder.getFileName();
        if (name == null) {
            return false;
        }
        String n = name.toString().toLowerCase(Locale.ROOT).replace(" ", "").replace("_", "").replace("-", "");
        return n.equals("mask") || n.equals("masks") || n.equals("gt") || n.contains("groundtruth");
    }

    /** A file name without its extension. */
    public static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
