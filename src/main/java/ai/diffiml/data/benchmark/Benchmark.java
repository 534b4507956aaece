package ai.diffiml.data.benchmark;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The public benchmarks {@code datasets convert} reads, each in the layout its release ships, and where that layout
 * was checked. CocoGlide is not here: its release layout could not be verified.
 */
public enum Benchmark {
    CASIA2("casia2", "CASIAv2 + the CASIA 2.0 ground-truth release: Tp/X.<ext> (tampered), Au/ (authentic),"
            + " 'CASIA 2 Groundtruth'/X_gt.png (or --gt DIR)",
            "namtpham/casia2groundtruth README; cainspencerm/image-manipulation-datasets casia2.py"),
    CASIA1("casia1", "CASIAv1 + the community ground truth: Tp/CM/ and Tp/Sp/ (tampered), Au/ (authentic),"
            + " 'CASIA 1.0 groundtruth'/CM|Sp/X_gt.png (or --gt DIR)",
            "namtpham/casia1groundtruth (linked from the CASIA 2.0 ground-truth README); photoholmes casia1.py"),
    COLUMBIA("columbia", "Columbia uncompressed splicing: 4cam_splc/X.tif (tampered) with"
            + " 4cam_splc/edgemask/X_edgemask.jpg, 4cam_auth/*.tif (authentic); the colour masks are rewritten as"
            + " binary PNGs, tampered = green channel > 120",
            "photoholmes columbia.py; CAT-Net Columbia_list.txt; CAT-Net issue #16 (green channel > 120); IML-ViT"
                    + " issue #44 (BenCo needs the colour masks binarised first)"),
    COVERAGE("coverage", "COVERAGE: image/Nt.tif (tampered) with mask/Nforged.tif, image/N.tif (authentic)",
            "photoholmes coverage.py; cainspencerm/image-manipulation-datasets coverage.py"),
    NIST16("nist16", "NIST Nimble 2016 (NC2016_Test): reference/manipulation/NC2016-manipulation-ref.csv (or"
            + " --reference CSV), '|'-separated, ProbeFileName, ProbeMaskFileName and IsTarget (Y tampered, N"
            + " authentic), paths relative to the dataset folder; the masks (black = manipulated) are rewritten as"
            + " binary PNGs, tampered = grey < 128",
            "NIST MediScore DetectionScorer (reference columns, '|' separator); ManTraNet-Pytorch issue #4 (NIST"
                    + " masks: black = manipulated)"),
    IMD2020("imd2020", "IMD2020: one folder per photo with X_orig.<ext> (authentic) and X.<ext> + X_mask.png"
            + " (tampered)", "cainspencerm/image-manipulation-datasets imd2020.py"),
    AUTOSPLICE("autosplice", "AutoSplice: Forged_JPEG<Q>/ID_*.jpg (tampered, --quality 100|90|75) with"
            + " Mask/ID_mask.png, Authentic/*.jpg; masks rewritten as binary PNGs, tampered = red channel > 0",
            "photoholmes autosplice.py"),
    FANTASTIC_REALITY("fantasticreality", "FantasticReality v1: dataset/ColorFakeImages/X.jpg (tampered) with"
            + " dataset/SegmentationFake/X.npz (array arr_0), dataset/ColorRealImages/ (authentic); the .npz masks"
            + " are written as binary PNGs, tampered = value > 0",
            "CAT-Net dataset_FantasticReality.py; IMDLBenCo issue #68 (.npz masks in the release)");

    /** The name on the command line ({@code --layout}). */
    public final String id;
    /** The layout read, in one line. */
    public final String layout;
    /** Where the layout was checked. */
    public final String source;

    Benchmark(String id, String layout, String source) {
        this.id = id;
        this.layout = layout;
        this.source = source;
    }

    /** The benchmark called {@code name}; an IllegalArgumentException lists the names otherwise. */
    public static Benchmark parse(String name) {
        for (Benchmark b : values()) {
            if (b.id.equals(name.toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException("--layout: '" + name + "' is not a layout; one of " + names()
                + " (CocoGlide is not supported: its release layout could not be verified)");
    }

    /** The command-line names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(b -> b.id).collect(Collectors.joining(", "));
    }
}
