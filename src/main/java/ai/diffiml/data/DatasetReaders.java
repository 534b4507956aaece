package ai.diffiml.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readers for the dataset layouts users already have. {@link #open} picks one by looking at the path:
 * <ul>
 *   <li><b>IMDL-BenCo folder</b> ({@link #bencoFolder}): {@code Tp/} (tampered images) and {@code Gt/} (their masks),
 *       paired by sorted file name as BenCo does, so the counts must agree; an optional {@code Au/} holds authentic
 *       images.</li>
 *   <li><b>BenCo JSON list</b> ({@link #bencoJson}): {@code [[image, mask | "Negative"], ...]}.</li>
 *   <li><b>MVSS-Net list</b> ({@link #mvssList}): one {@code image mask|None label} per line (label 1 tampered, 0
 *       authentic; the label may be left out).</li>
 *   <li><b>Paired-suffix folders</b> ({@link #pairedFolder}): an image {@code X.<ext>} beside its mask
 *       {@code X_gt.<ext>}, {@code X_mask.<ext>}, {@code X_edgemask.<ext>} ... ({@link MaskNames}), in one folder or in
 *       sibling folders ({@code Tp/} + {@code CASIA 2 Groundtruth/}, {@code images/} + {@code masks/}), or one level
 *       down (IMD2020's folder per photo); images without a mask are authentic ({@link PairedFiles}).</li>
 *   <li><b>A plain folder of images</b> ({@link #imageFolder}): all authentic.</li>
 * </ul>
 * Relative paths in list files are resolved against the list file's folder; absolute ones are kept. Only file names
 * with an image extension ({@link ImageFiles#IMAGE_EXTENSIONS}) count in folders (hidden files are ignored). Files
 * are not opened here: the loader's scan finds the unreadable ones. Errors are {@link DatasetException}s naming the
 * file (and line) and the problem.
 */
public final class DatasetReaders {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetReaders.class);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Mask-name suffixes stripped before comparing a Gt name with its Tp name (for the pairing warning only). */
    private static final List<String> MASK_SUFFIXES = List.of("_groundtruth", "_edgemask", "_mask", "-mask", "_gt",
            "-gt", "mask", "gt");

    /** {@link Dataset#layout()} of each reader. */
    public static final String BENCO_FOLDER = "IMDL-BenCo folder (Tp/ + Gt/ paired by sorted name, Au/ authentic)";
    public static final String BENCO_JSON = "BenCo JSON list";
    public static final String MVSS_LIST = "MVSS-Net list";
    public static final String PAIRED_FOLDER = "paired-suffix folder (X.<ext> beside X_gt/_mask/... .<ext>)";
    public static final String PAIRED_SIBLINGS = "paired-suffix sibling folders (X.<ext> and X_gt/_mask/... .<ext>"
            + " in other folders)";
    public static final String IMAGE_FOLDER = "image folder (all authentic)";

    private DatasetReaders() {}

    /**
     * Opens {@code path} in whichever layout it has: a folder with {@code Tp/} and {@code Gt/} is a BenCo folder; a
     * folder in which some files are named as other files' masks is a paired-suffix folder; any other folder with
     * {@code Tp/} or {@code Gt/} is an incomplete BenCo folder (an error), and any other folder a folder of authentic
     * images; a file whose content starts with {@code [} (or named *.json) is a BenCo JSON list, any other file an
     * MVSS-Net list.
     */
    public static Dataset open(Path path) throws DatasetException {
        if (!Files.exists(path)) {
            throw new DatasetException(path, "no such file or folder");
        }
        if (Files.isDirectory(path)) {
            boolean tp = Files.isDirectory(path.resolve("Tp")), gt = Files.isDirectory(path.resolve("Gt"));
            if (tp && gt) {
                return bencoFolder(path);
            }
            PairedFiles.Result paired = PairedFiles.pair(path, pairingCandidates(path));
            if (paired.paired()) {
                return paired(path, paired);
            }
            if (tp || gt) {
                return bencoFolder(path);
            }
            return imageFolder(path);
        }
        if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json") || startsWithBracket(path)) {
            return bencoJson(path);
        }
        return mvssList(path);
    }

    /** An IMDL-BenCo folder: {@code Tp/} + {@code Gt/} paired by sorted name, optional {@code Au/}. */
    public static Dataset bencoFolder(Path dir) throws DatasetException {
        requireFolder(dir);
        Path tp = dir.resolve("Tp"), gt = dir.resolve("Gt"), au = dir.resolve("Au");
        if (!Files.isDirectory(tp)) {
            throw new DatasetException(dir, "has Gt/ but no Tp/ folder (an IMDL-BenCo folder needs both)");
        }
        if (!Files.isDirectory(gt)) {
            throw new DatasetException(dir, "has Tp/ but no Gt/ folder (an IMDL-BenCo folder needs both)");
        }
        List<Path> images = listImages(tp), masks = listImages(gt);
        if (images.size() != masks.size()) {
            throw new DatasetException(dir, "Tp/ has " + images.size() + " images but Gt/ has " + masks.size()
                    + " masks; they are paired by sorted file name, so the counts must agree");
        }
        List<Sample> samples = new ArrayList<>();
        int unrelated = 0;
        String firstUnrelated = null;
        for (int i = 0; i < images.size(); i++) {
            Path image = images.get(i), mask = masks.get(i);
            if (!maskStem(mask).equalsIgnoreCase(stem(image))) {
                if (unrelated++ == 0) {
                    firstUnrelated = "Tp/" + image.getFileName() + " with Gt/" + mask.getFileName();
                }
            }
            samples.add(new Sample("Tp/" + image.getFileName(), image, mask));
        }
        if (unrelated > 0) {
            LOG.warn("{}: {} of {} Tp/Gt pairs have names that do not match (first: {}); pairs are made by sorted"
                    + " file name, as IMDL-BenCo does", dir, unrelated, images.size(), firstUnrelated);
        }
        if (Files.isDirectory(au)) {
            for (Path image : listImages(au)) {
                samples.add(Sample.authentic("Au/" + image.getFileName(), image));
            }
        }
        if (samples.isEmpty()) {
            throw new DatasetException(dir, "Tp/, Gt/ (and Au/) contain no images");
        }
        return new Dataset(name(dir), samples, BENCO_FOLDER, List.of(), List.of());
    }

    /**
     * A folder of images with their masks named after them ({@link PairedFiles}, {@link MaskNames}): the images
     * directly in {@code dir} and in its mask-named subfolders, or, when {@code dir} has no images of its own, those
     * of all its subfolders (one level).
     */
    public static Dataset pairedFolder(Path dir) throws DatasetException {
        requireFolder(dir);
        PairedFiles.Result paired = PairedFiles.pair(dir, pairingCandidates(dir));
        if (!paired.paired()) {
            throw new DatasetException(dir, "no image here has a mask named after it (X.<ext> with X_gt, X_mask,"
                    + " X_edgemask ... .<ext>)");
        }
        return paired(dir, paired);
    }

    private static Dataset paired(Path dir, PairedFiles.Result paired) throws DatasetException {
        if (paired.samples().isEmpty()) {
            throw new DatasetException(dir, "every image here is in Tp/ without a mask");
        }
        return new Dataset(name(dir), paired.samples(), paired.acrossFolders() ? PAIRED_SIBLINGS : PAIRED_FOLDER,
                paired.unmatchedMasks(), paired.missingMasks());
    }

    /** The files {@link #pairedFolder} pairs (see there). */
    private static List<Path> pairingCandidates(Path dir) throws DatasetException {
        List<Path> files = new ArrayList<>(listImages(dir));
        boolean own = !files.isEmpty();
        for (Path sub : listFolders(dir)) {
            if (!own || MaskNames.isMaskFolder(sub)) {
                files.addAll(listImages(sub));
            }
        }
        return files;
    }

    /** A BenCo JSON list {@code [[image, mask | "Negative"], ...]}. */
    public static Dataset bencoJson(Path file) throws DatasetException {
        byte[] bytes = readFile(file);
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new DatasetException(file, "not valid JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
                    + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new DatasetException(file, "expected a JSON list [[image, mask or \"Negative\"], ...]");
        }
        Path base = folderOf(file);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode entry = root.get(i);
            if (!entry.isArray() || entry.size() != 2 || !entry.get(0).isTextual() || !entry.get(1).isTextual()
                    || entry.get(0).asText().isBlank() || entry.get(1).asText().isBlank()) {
                throw new DatasetException(file, "entry " + (i + 1) + ": expected [image, mask or \"Negative\"],"
                        + " got " + abbreviate(entry.toString()));
            }
            String image = entry.get(0).asText(), mask = entry.get(1).asText();
            String where = "entry " + (i + 1);
            samples.add(new Sample(image, resolve(file, base, where, image),
                    mask.equals("Negative") ? null : resolve(file, base, where, mask)));
        }
        if (samples.isEmpty()) {
            throw new DatasetException(file, "the list is empty");
        }
        return new Dataset(name(file), samples, BENCO_JSON, List.of(), List.of());
    }

    /**
     * An MVSS-Net list: {@code image mask|None label} per line, whitespace-separated, paths relative to the list's
     * folder. Blank lines and lines starting with {@code #} are skipped. A line with a mask and label 0 keeps its mask
     * (a warning is logged); a line with label 1 and no mask has no ground truth and is left out (with a warning).
     */
    public static Dataset mvssList(Path file) throws DatasetException {
        byte[] bytes = readFile(file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DatasetException(file, "not a UTF-8 text list (MVSS-Net format: image mask|None label per line)");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        Path base = folderOf(file);
        List<Sample> samples = new ArrayList<>();
        List<Path> missing = new ArrayList<>();
        String[] lines = text.split("\r?\n|\r", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            String where = "line " + (n + 1);
            if (parts.length < 2 || parts.length > 3) {
                throw new DatasetException(file, where + ": expected 'image mask|None label', got '"
                        + abbreviate(line) + "'");
            }
            boolean hasMask = !parts[1].equals("None");
            Integer label = null;
            if (parts.length == 3) {
                if (!parts[2].equals("0") && !parts[2].equals("1")) {
                    throw new DatasetException(file, where + ": label must be 0 (authentic) or 1 (tampered), got '"
                            + abbreviate(parts[2]) + "'");
                }
                label = Integer.parseInt(parts[2]);
            }
            if (!hasMask && label != null && label == 1) {
                LOG.warn("{}:{}: tampered (label 1) but no mask (None): left out, it has no ground truth", file, n + 1);
                missing.add(resolve(file, base, where, parts[0]));
                continue;
            }
            if (hasMask && label != null && label == 0) {
                LOG.warn("{}:{}: label 0 (authentic) but a mask is given: the mask is used", file, n + 1);
            }
            samples.add(new Sample(parts[0], resolve(file, base, where, parts[0]),
                    hasMask ? resolve(file, base, where, parts[1]) : null));
        }
        if (samples.isEmpty()) {
            throw new DatasetException(file, "the list has no entries");
        }
        return new Dataset(name(file), samples, MVSS_LIST, List.of(), missing);
    }

    /** Every image directly in {@code dir} (sorted by name), all authentic. */
    public static Dataset imageFolder(Path dir) throws DatasetException {
        requireFolder(dir);
        List<Sample> samples = new ArrayList<>();
        for (Path image : listImages(dir)) {
            samples.add(Sample.authentic(image.getFileName().toString(), image));
        }
        if (samples.isEmpty()) {
            throw new DatasetException(dir, "no images here, and no Tp/ + Gt/ folders (IMDL-BenCo layout)");
        }
        return new Dataset(name(dir), samples, IMAGE_FOLDER, List.of(), List.of());
    }

    private static void requireFolder(Path dir) throws DatasetException {
        if (!Files.exists(dir)) {
            throw new DatasetException(dir, "no such folder");
        }
        if (!Files.isDirectory(dir)) {
            throw new DatasetException(dir, "not a folder");
        }
    }

    private static List<Path> listImages(Path dir) throws DatasetException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(ImageFiles::hasImageExtension)
                    .filter(Files::isRegularFile)
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list: " + e.getMessage(), e);
        }
    }

    private static List<Path> listFolders(Path dir) throws DatasetException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isDirectory)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new DatasetException(dir, "cannot list: " + e.getMessage(), e);
        }
    }

    private static byte[] readFile(Path file) throws DatasetException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, "no such file", e);
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean startsWithBracket(Path file) throws DatasetException {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(256);
            for (byte b : head) {
                if (!Character.isWhitespace(b) && b != (byte) 0xEF && b != (byte) 0xBB && b != (byte) 0xBF) {
                    return b == '[';
                }
            }
            return false;
        } catch (IOException e) {
            throw new DatasetException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static Path folderOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of("") : parent;
    }

    private static Path resolve(Path list, Path base, String where, String path) throws DatasetException {
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            throw new DatasetException(list, where + ": '" + abbreviate(path.replace("\0", "\\0"))
                    + "' is not a valid path here (" + e.getReason() + ")");
        }
        return p.isAbsolute() ? p : base.resolve(p).normalize();
    }

    /** A folder's name, or a list file's folder and name ({@code casia2/manifest.txt}). */
    private static String name(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        Path name = abs.getFileName();
        if (name == null) {
            return abs.toString();
        }
        Path parent = abs.getParent() == null ? null : abs.getParent().getFileName();
        return Files.isDirectory(abs) || parent == null ? name.toString() : parent + "/" + name;
    }

    private static String stem(Path file) {
        return MaskNames.stem(file);
    }

    /** A Gt file with the usual mask suffix removed from its stem (for comparing with the Tp name). */
    private static String maskStem(Path mask) {
        String stripped = MaskNames.strip(stem(mask), MASK_SUFFIXES);
        return stripped == null ? stem(mask) : stripped;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
