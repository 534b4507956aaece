package ai.diffiml.data.benchmark;

import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;

import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.MaskNames;
import ai.diffiml.data.OpenCv;
import ai.diffiml.data.UnreadableImageException;
import ai.diffiml.io.AtomicFiles;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * {@code datasets convert}: turns a benchmark folder in its release's layout ({@link Benchmark}) into an IMDL-BenCo
 * JSON list {@code [[image, mask | "Negative"], ...]} that every command reads, and a report of what could not be
 * matched. Masks whose encoding is not the protocol's (white = tampered, read by BenCo's mean > 127.5 rule) are
 * rewritten as 0/255 PNGs under {@code masksOut} (Columbia's colour masks, NIST16's inverted masks, AutoSplice's,
 * FantasticReality's {@code .npz}); the others are listed where they are. Paths in the list are relative to the
 * list's folder unless {@code absolute}. Every file is written atomically.
 */
public final class BenchmarkConverter {
    /**
     * @param absolute absolute paths in the list (else relative to its folder)
     * @param masksOut where rewritten masks go (null: {@code <list name>-masks/} beside the list)
     * @param groundTruth CASIA's ground-truth folder when not in its release place (null: the release's)
     * @param reference NIST16's reference CSV when not in its release place (null: the release's)
     * @param quality AutoSplice's JPEG quality set (100, 90 or 75)
     */
    public record Options(boolean absolute, Path masksOut, Path groundTruth, Path reference, int quality) {
        public static Options defaults() {
            return new Options(false, null, null, null, 100);
        }
    }

    /** What a conversion wrote: counts, the rewritten masks, the list, the report and what was left out. */
    public record Result(int tampered, int authentic, int masksWritten, List<String> unmatched, Path list,
            Path report) {
        public Result {
            unmatched = List.copyOf(unmatched);
        }
    }

    /** How a mask becomes the protocol's binary mask. */
    enum MaskRule {
        /** Already white = tampered: listed as it is. */
        AS_IS,
        /** Columbia: green channel above 120. */
        GREEN_ABOVE_120,
        /** NIST16: black = manipulated, so grey below 128. */
        DARK_IS_TAMPERED,
        /** AutoSplice: red channel above 0. */
        RED_ABOVE_0,
        /** FantasticReality: the {@code .npz} array {@code arr_0} above 0. */
        NPZ_ABOVE_0
    }

    /** One image and its mask (null: authentic). */
    record Entry(Path image, Path mask, MaskRule rule) {
        static Entry authentic(Path image) {
            return new Entry(image, null, null);
        }
    }

    /** The entries of a layout and what it could not match ("reason: path"). */
    record Collected(List<Entry> entries, List<String> unmatched) {}

    private BenchmarkConverter() {}

    /** Converts {@code src}, laid out as {@code benchmark}, into the list {@code list} (see the class comment). */
    public static Result convert(Benchmark benchmark, Path src, Path list, Options options) throws IOException {
        if (!Files.isDirectory(src)) {
            throw new IOException(src + ": no such folder");
        }
        if (!list.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json")) {
            throw new IOException(list + ": the list must be a .json file (IMDL-BenCo JSON list)");
        }
        Collected c = collect(benchmark, src, options);
        Path listDir = list.toAbsolutePath().normalize().getParent();
        String stem = list.getFileName().toString().replaceFirst("(?i)\\.json$", "");
        Path masksOut = options.masksOut() != null ? options.masksOut().toAbsolutePath().normalize()
                : listDir.resolve(stem + "-masks");
        List<String> unmatched = Collections.synchronizedList(new ArrayList<>(c.unmatched()));
        Path root = src.toAbsolutePath().normalize();
        List<Entry> entries = c.entries();
        Path[] masks = new Path[entries.size()];
        int[] written = new int[1];
        java.util.stream.IntStream.range(0, entries.size()).parallel().forEach(i -> {
            Entry e = entries.get(i);
            if (e.mask() == null || e.rule() == MaskRule.AS_IS) {
                masks[i] = e.mask();
                return;
            }
            Path rel = root.relativize(e.image().toAbsolutePath().normalize());
            Path target = masksOut.resolve(rel.toString().replaceFirst("\\.[^./\\\\]+$", "") + ".png");
            try {
                writeMask(e.mask(), e.rule(), target);
                masks[i] = target;
                synchronized (written) {
                    written[0]++;
                }
            } catch (IOException ex) {
                unmatched.add("unreadable mask, image left out: " + ex.getMessage());
            }
        });
        ArrayNode json = JsonNodeFactory.instance.arrayNode();
        int tampered = 0, authentic = 0;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.mask() != null && masks[i] == null) {
                continue; // its mask could not be rewritten: reported above
            }
            ArrayNode pair = json.addArray();
            pair.add(shown(e.image(), listDir, options.absolute()));
            pair.add(masks[i] == null ? "Negative" : shown(masks[i], listDir, options.absolute()));
            if (masks[i] == null) {
                authentic++;
            } else {
                tampered++;
            }
        }
        if (json.isEmpty()) {
            throw new IOException(src + ": no images found in the " + benchmark.id + " layout (" + benchmark.layout
                    + ")");
        }
        Files.createDirectories(listDir);
        AtomicFiles.write(list, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
        List<String> sorted = new ArrayList<>(unmatched);
        Collections.sort(sorted);
        Path report = listDir.resolve(stem + "-report.txt");
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "datasets convert --layout %s %s: %d tampered, %d authentic, %d masks"
                + " rewritten into %s; %d could not be matched%n", benchmark.id, root, tampered, authentic, written[0],
                masksOut, sorted.size()));
        text.append("layout: ").append(benchmark.layout).append(System.lineSeparator());
        text.append("layout checked against: ").append(benchmark.source).append(System.lineSeparator());
        for (String u : sorted) {
            text.append(u).append(System.lineSeparator());
        }
        AtomicFiles.write(report, text.toString().getBytes(StandardCharsets.UTF_8));
        return new Result(tampered, authentic, written[0], sorted, list, report);
    }

    static Collected collect(Benchmark b, Path src, Options o) throws IOException {
        return switch (b) {
            case CASIA2 -> casia(src, List.of(src.resolve("Tp")), gt(src, o, "CASIA 2 Groundtruth"), null);
            case CASIA1 -> casia(src, List.of(src.resolve("Tp/CM"), src.resolve("Tp/Sp")),
                    gt(src, o, "CASIA 1.0 groundtruth"), List.of("CM", "Sp"));
            case COLUMBIA -> columbia(src);
            case COVERAGE -> coverage(src);
            case NIST16 -> nist16(src, o.reference() != null ? o.reference()
                    : src.resolve("reference/manipulation/NC2016-manipulation-ref.csv"));
            case IMD2020 -> imd2020(src);
            case AUTOSPLICE -> autosplice(src, o.quality());
            case FANTASTIC_REALITY -> fantasticReality(src);
        };
    }

    private static Path gt(Path src, Options o, String releaseName) {
        return o.groundTruth() != null ? o.groundTruth() : src.resolve(releaseName);
    }

    /** CASIA: each tampered folder's X.<ext> with X_gt.png in the matching ground-truth folder; Au/ authentic. */
    private static Collected casia(Path src, List<Path> tampered, Path gt, List<String> gtSubfolders)
            throws IOException {
        for (Path tp : tampered) {
            requireFolder(tp, "the tampered images");
        }
        requireFolder(gt, "the ground-truth folder (give it with --gt DIR when it is elsewhere)");
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (int k = 0; k < tampered.size(); k++) {
            Path tp = tampered.get(k);
            Path masks = gtSubfolders == null ? gt : gt.resolve(gtSubfolders.get(k));
            requireFolder(masks, "the ground-truth masks of " + tp.getFileName());
            matchSuffix(images(tp), images(masks), "_gt", entries, unmatched);
        }
        authentic(src.resolve("Au"), entries);
        return new Collected(entries, unmatched);
    }

    private static Collected columbia(Path src) throws IOException {
        Path splc = src.resolve("4cam_splc"), masks = splc.resolve("edgemask");
        requireFolder(splc, "the spliced images");
        requireFolder(masks, "the edge masks");
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        List<Entry> matched = new ArrayList<>();
        matchSuffix(images(splc), images(masks), "_edgemask", matched, unmatched);
        for (Entry e : matched) {
            entries.add(new Entry(e.image(), e.mask(), MaskRule.GREEN_ABOVE_120));
        }
        authentic(src.resolve("4cam_auth"), entries);
        return new Collected(entries, unmatched);
    }

    private static Collected coverage(Path src) throws IOException {
        Path image = src.resolve("image"), mask = src.resolve("mask");
        requireFolder(image, "the images");
        requireFolder(mask, "the masks");
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (Path f : images(image)) {
            String stem = stem(f);
            if (stem.matches("\\d+t")) {
                Path m = mask.resolve(stem.substring(0, stem.length() - 1) + "forged.tif");
                if (Files.isRegularFile(m)) {
                    entries.add(new Entry(f, m, MaskRule.AS_IS));
                } else {
                    unmatched.add("no mask " + src.relativize(m) + " for: " + f);
                }
            } else if (stem.matches("\\d+")) {
                entries.add(Entry.authentic(f));
            } else {
                unmatched.add("not N.tif or Nt.tif: " + f);
            }
        }
        return new Collected(entries, unmatched);
    }

    private static Collected nist16(Path src, Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) {
            throw new IOException(csv + ": no such file (NIST16's reference CSV; give it with --reference CSV)");
        }
        CsvMapper mapper = new CsvMapper();
        CsvSchema schema = CsvSchema.emptySchema().withHeader().withColumnSeparator('|');
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (MappingIterator<Map<String, String>> rows = mapper.readerForMapOf(String.class).with(schema)
                .readValues(csv.toFile())) {
            int line = 1;
            while (rows.hasNext()) {
                line++;
                Map<String, String> row = rows.next();
                String probe = row.get("ProbeFileName"), mask = row.get("ProbeMaskFileName"),
                        target = row.get("IsTarget");
                if (probe == null || target == null) {
                    throw new IOException(csv + ": line " + line + ": no ProbeFileName or IsTarget column (a NIST"
                            + " reference CSV has a '|'-separated header naming them)");
                }
                if (!seen.add(probe)) {
                    continue;
                }
                Path image = src.resolve(probe);
                if (!Files.isRegularFile(image)) {
                    unmatched.add("probe listed in the reference but not there: " + image);
                } else if (!target.equalsIgnoreCase("Y")) {
                    entries.add(Entry.authentic(image));
                } else if (mask == null || mask.isBlank() || !Files.isRegularFile(src.resolve(mask))) {
                    unmatched.add("manipulated probe without its mask file (" + (mask == null || mask.isBlank()
                            ? "none listed" : mask) + "): " + image);
                } else {
                    entries.add(new Entry(image, src.resolve(mask), MaskRule.DARK_IS_TAMPERED));
                }
            }
        } catch (UncheckedIOException e) {
            throw new IOException(csv + ": " + e.getCause().getMessage(), e.getCause());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(csv + ": not a '|'-separated reference CSV: " + e.getOriginalMessage(), e);
        }
        return new Collected(entries, unmatched);
    }

    private static Collected imd2020(Path src) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        List<Path> folders;
        try (Stream<Path> s = Files.list(src)) {
            folders = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
        if (folders.isEmpty()) {
            throw new IOException(src + ": no subfolders (IMD2020 has one folder per photo)");
        }
        for (Path folder : folders) {
            List<Path> files = images(folder);
            Map<String, Path> masks = new LinkedHashMap<>();
            for (Path f : files) {
                if (stem(f).toLowerCase(Locale.ROOT).endsWith("_mask")) {
                    masks.put(stem(f).substring(0, stem(f).length() - 5), f);
                }
            }
            for (Path f : files) {
                String stem = stem(f);
                if (stem.toLowerCase(Locale.ROOT).endsWith("_mask")) {
                    continue;
                }
                if (stem.toLowerCase(Locale.ROOT).endsWith("_orig")) {
                    entries.add(Entry.authentic(f));
                } else if (masks.containsKey(stem)) {
                    entries.add(new Entry(f, masks.remove(stem), MaskRule.AS_IS));
                } else {
                    unmatched.add("no X_mask file beside: " + f);
                }
            }
            for (Path m : masks.values()) {
                unmatched.add("mask without its image: " + m);
            }
        }
        return new Collected(entries, unmatched);
    }

    private static Collected autosplice(Path src, int quality) throws IOException {
        if (quality != 100 && quality != 90 && quality != 75) {
            throw new IllegalArgumentException("--quality must be 100, 90 or 75 (AutoSplice's Forged_JPEG sets), got "
                    + quality);
        }
        Path forged = src.resolve("Forged_JPEG" + quality), mask = src.resolve("Mask");
        requireFolder(forged, "the forged images at quality " + quality);
        requireFolder(mask, "the masks");
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (Path f : images(forged)) {
            String id = stem(f).split("_", 2)[0];
            Path m = mask.resolve(id + "_mask.png");
            if (Files.isRegularFile(m)) {
                entries.add(new Entry(f, m, MaskRule.RED_ABOVE_0));
            } else {
                unmatched.add("no Mask/" + m.getFileName() + " for: " + f);
            }
        }
        authentic(src.resolve("Authentic"), entries);
        return new Collected(entries, unmatched);
    }

    private static Collected fantasticReality(Path src) throws IOException {
        Path root = Files.isDirectory(src.resolve("dataset")) ? src.resolve("dataset") : src;
        Path fake = root.resolve("ColorFakeImages"), seg = root.resolve("SegmentationFake");
        requireFolder(fake, "the fake images");
        requireFolder(seg, "the .npz masks");
        List<Entry> entries = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (Path f : images(fake)) {
            Path m = seg.resolve(stem(f) + ".npz");
            if (Files.isRegularFile(m)) {
                entries.add(new Entry(f, m, MaskRule.NPZ_ABOVE_0));
            } else {
                unmatched.add("no SegmentationFake/" + m.getFileName() + " for: " + f);
            }
        }
        authentic(root.resolve("ColorRealImages"), entries);
        return new Collected(entries, unmatched);
    }

    /** Images of {@code images} with the mask {@code <stem><suffix>.<ext>} of {@code masks}; the rest reported. */
    private static void matchSuffix(List<Path> images, List<Path> masks, String suffix, List<Entry> entries,
            List<String> unmatched) {
        Map<String, Path> byImage = new LinkedHashMap<>();
        for (Path m : masks) {
            String stem = stem(m);
            if (stem.toLowerCase(Locale.ROOT).endsWith(suffix) && stem.length() > suffix.length()) {
                byImage.putIfAbsent(stem.substring(0, stem.length() - suffix.length()), m);
            } else {
                unmatched.add("not named X" + suffix + ".<ext>: " + m);
            }
        }
        for (Path image : images) {
            Path m = byImage.remove(stem(image));
            if (m != null) {
                entries.add(new Entry(image, m, MaskRule.AS_IS));
            } else {
                unmatched.add("tampered image without its " + suffix + " mask (left out): " + image);
            }
        }
        for (Path m : byImage.values()) {
            unmatched.add("mask without its image: " + m);
        }
    }

    private static void authentic(Path folder, List<Entry> entries) throws IOException {
        if (Files.isDirectory(folder)) {
            for (Path f : images(folder)) {
                entries.add(Entry.authentic(f));
            }
        }
    }

    private static void requireFolder(Path folder, String what) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + ": no such folder (" + what + ")");
        }
    }

    private static List<Path> images(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(Files::isRegularFile).filter(ImageFiles::hasImageExtension).sorted().toList();
        }
    }

    private static String stem(Path f) {
        return MaskNames.stem(f);
    }

    private static String shown(Path p, Path listDir, boolean absolute) {
        Path abs = p.toAbsolutePath().normalize();
        return (absolute ? abs : listDir.relativize(abs)).toString().replace('\\', '/');
    }

    /** Writes the protocol's 0/255 PNG of {@code source} under {@code rule} to {@code target}. */
    static void writeMask(Path source, MaskRule rule, Path target) throws IOException {
        int rows, cols;
        byte[] out;
        if (rule == MaskRule.NPZ_ABOVE_0) {
            NpzArrays.Array2d a = NpzArrays.read(source, "arr_0");
            rows = a.rows();
            cols = a.cols();
            out = new byte[rows * cols];
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) (a.values()[i] > 0 ? 255 : 0);
            }
        } else {
            try (Mat m = ImageFiles.readUnchanged(source)) {
                rows = m.rows();
                cols = m.cols();
                out = binarise(m, rule, source);
            } catch (UnreadableImageException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        Files.createDirectories(target.getParent());
        AtomicFiles.write(target, png(out, rows, cols));
    }

    /** The rule applied to an OpenCV-decoded mask (BGR channel order, 8 or 16 bits). */
    private static byte[] binarise(Mat decoded, MaskRule rule, Path file) throws IOException {
        int channels = decoded.channels(), depth = decoded.depth();
        if (depth != CV_8U && depth != CV_16U) {
            throw new IOException(file + ": unsupported mask sample type (OpenCV depth " + depth + ")");
        }
        Mat m = decoded.isContinuous() ? decoded : decoded.clone();
        try {
            int n = m.rows() * m.cols();
            int[] v = new int[n * channels];
            if (depth == CV_8U) {
                byte[] d = new byte[v.length];
                m.data().get(d);
                for (int i = 0; i < d.length; i++) {
                    v[i] = d[i] & 0xFF;
                }
            } else {
                short[] d = new short[v.length];
                ((ShortBuffer) m.createBuffer()).get(d);
                for (int i = 0; i < d.length; i++) {
                    v[i] = (d[i] & 0xFFFF) / 257;
                }
            }
            byte[] out = new byte[n];
            int colours = channels <= 2 ? 1 : 3;
            for (int p = 0, o = 0; p < n; p++, o += channels) {
                boolean tampered = switch (rule) {
                    case GREEN_ABOVE_120 -> v[o + (colours == 3 ? 1 : 0)] > 120;
                    case RED_ABOVE_0 -> v[o + (colours == 3 ? 2 : 0)] > 0;
                    case DARK_IS_TAMPERED -> {
                        int sum = 0;
                        for (int c = 0; c < colours; c++) {
                            sum += v[o + c];
                        }
                        yield 2 * sum < 255 * colours;
                    }
                    default -> throw new IllegalStateException("no pixel rule for " + rule);
                };
                out[p] = (byte) (tampered ? 255 : 0);
            }
            return out;
        } finally {
            if (m != decoded) {
                m.close();
            }
        }
    }

    private static byte[] png(byte[] grey, int rows, int cols) {
        OpenCv.load();
        try (Mat mat = new Mat(rows, cols, CV_8UC1); BytePointer buffer = new BytePointer()) {
            mat.data().put(grey);
            if (!opencv_imgcodecs.imencode(".png", mat, buffer)) {
                throw new IllegalStateException("OpenCV could not encode a PNG mask");
            }
            byte[] out = new byte[Math.toIntExact(buffer.limit())];
            buffer.get(out);
            return out;
        }
    }
}
