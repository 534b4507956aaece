package ai.diffiml.data;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a dataset holds, said before any work is done on it ({@code eval}, {@code train}, {@code datasets check}):
 * the layout its reader recognised, the number of tampered and authentic images, masks that are missing (expected
 * by the layout or named in a list but not there), files named like masks that belong to no image, and image/mask
 * pairs whose sizes differ (read from the file headers). Reading the summary opens no pixels except for files whose
 * header javax.imageio cannot read.
 *
 * @param path the path the dataset was opened from
 * @param unreadable files whose size could not be read at all (the loader will report them again)
 */
public record DatasetSummary(String name, Path path, String layout, int tampered, int authentic,
        List<Path> missingMasks, List<Path> unmatchedMasks, List<SizeMismatch> sizeMismatches,
        List<String> unreadable) {
    /** Examples listed per kind of problem. */
    private static final int EXAMPLES = 3;

    /** An image and its mask of different sizes (the loader resizes such masks; the protocol's scores use them). */
    public record SizeMismatch(Path image, int imageWidth, int imageHeight, Path mask, int maskWidth, int maskHeight) {
        @Override
        public String toString() {
            return image.getFileName() + " " + imageWidth + "x" + imageHeight + ", mask " + mask.getFileName() + " "
                    + maskWidth + "x" + maskHeight;
        }
    }

    public DatasetSummary {
        missingMasks = List.copyOf(missingMasks);
        unmatchedMasks = List.copyOf(unmatchedMasks);
        sizeMismatches = List.copyOf(sizeMismatches);
        unreadable = List.copyOf(unreadable);
    }

    /** Summarises {@code dataset}, opened from {@code path}. */
    public static DatasetSummary of(Path path, Dataset dataset) {
        List<Path> missing = new ArrayList<>(dataset.missingMasks());
        List<Sample> pairs = new ArrayList<>();
        for (Sample s : dataset.samples()) {
            if (s.tampered() && !Files.isRegularFile(s.mask())) {
                missing.add(s.mask());
            } else if (s.tampered() && Files.isRegularFile(s.image())) {
                pairs.add(s);
            }
        }
        List<SizeMismatch> mismatches = Collections.synchronizedList(new ArrayList<>());
        List<String> unreadable = Collections.synchronizedList(new ArrayList<>());
        pairs.parallelStream().forEach(s -> {
            int[] image = size(s.image(), unreadable), mask = size(s.mask(), unreadable);
            if (image != null && mask != null && (image[0] != mask[0] || image[1] != mask[1])) {
                mismatches.add(new SizeMismatch(s.image(), image[0], image[1], s.mask(), mask[0], mask[1]));
            }
        });
        List<SizeMismatch> sortedMismatches = new ArrayList<>(mismatches);
        sortedMismatches.sort((a, b) -> a.image().compareTo(b.image()));
        List<String> sortedUnreadable = new ArrayList<>(unreadable);
        Collections.sort(sortedUnreadable);
        int tampered = dataset.tamperedCount();
        return new DatasetSummary(dataset.name(), path, dataset.layout(), tampered, dataset.size() - tampered,
                missing, dataset.unmatchedMasks(), sortedMismatches, sortedUnreadable);
    }

    /** Opens {@code path} ({@link DatasetReaders#open}) and summarises it. */
    public static DatasetSummary open(Path path) throws DatasetException {
        return of(path, DatasetReaders.open(path));
    }

    /**
     * Prints the summary of each path that exists (one that does not is left to the loader, which names it) on
     * {@code out}: what {@code train} shows before it starts.
     */
    public static void printExisting(PrintWriter out, Path... paths) throws DatasetException {
        for (Path p : paths) {
            if (p != null && Files.exists(p)) {
                open(p).print(out);
            }
        }
        out.flush();
    }

    private static int[] size(Path file, List<String> unreadable) {
        try {
            return ImageFiles.size(file);
        } catch (UnreadableImageException e) {
            unreadable.add(e.getMessage());
            return null;
        }
    }

    /** Whether something is wrong: masks missing or unmatched, sizes that differ, unreadable files. */
    public boolean hasProblems() {
        return !missingMasks.isEmpty() || !unmatchedMasks.isEmpty() || !sizeMismatches.isEmpty()
                || !unreadable.isEmpty();
    }

    /** The one-line summary. */
    public String line() {
        return String.format(Locale.ROOT, "dataset %s: %s; %d tampered, %d authentic; masks missing %d, unmatched"
                + " masks %d, image/mask size mismatches %d%s", name, layout, tampered, authentic,
                missingMasks.size(), unmatchedMasks.size(), sizeMismatches.size(),
                unreadable.isEmpty() ? "" : ", unreadable " + unreadable.size());
    }

    /** The one-line summary, then up to 3 examples of each problem, indented, and a warning for no tampered image. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add(line());
        examples(out, "mask missing", missingMasks.stream().map(this::shown).toList());
        examples(out, "unmatched mask (not read as a photo)", unmatchedMasks.stream().map(this::shown).toList());
        examples(out, "size mismatch", sizeMismatches.stream().map(Objects::toString).toList());
        examples(out, "unreadable", unreadable);
        if (tampered == 0) {
            out.add("  warning: no tampered images (no masks found): pixel-level scores are undefined for " + name);
        }
        return out;
    }

    /** Prints {@link #lines()}. */
    public void print(PrintWriter out) {
        lines().forEach(out::println);
        out.flush();
    }

    private String shown(Path p) {
        Path base = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        try {
            return base.toAbsolutePath().normalize().relativize(p.toAbsolutePath().normalize()).toString();
        } catch (IllegalArgumentException e) {
            return p.toString();
        }
    }

    private static void examples(List<String> out, String what, List<String> items) {
        for (int i = 0; i < Math.min(EXAMPLES, items.size()); i++) {
            out.add("  " + what + ": " + items.get(i));
        }
        if (items.size() > EXAMPLES) {
            out.add("  ... and " + (items.size() - EXAMPLES) + " more");
        }
    }
}
