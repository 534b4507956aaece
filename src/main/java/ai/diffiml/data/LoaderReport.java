package ai.diffiml.data;

import java.nio.file.Path;
import java.util.List;

/**
 * What a {@link DataLoader}'s scan of its dataset found: the unreadable files it skipped (with the reason), the
 * masks it resized to their image, and the tampered samples whose mask is empty or full. {@link #summary()} is the
 * end-of-run text.
 *
 * @param dataset      the dataset's name
 * @param samples      the number of samples in the dataset
 * @param unreadable   the skipped samples, in dataset order
 * @param resizedMasks masks whose size differed from their image's
 * @param emptyMasks   masks of tampered samples with no pixel set
 * @param fullMasks    masks of tampered samples with every pixel set
 */
public record LoaderReport(String dataset, int samples, List<Skipped> unreadable, List<Path> resizedMasks,
                           List<Path> emptyMasks, List<Path> fullMasks) {
    /** How many files may be listed per category in {@link #summary()}. */
    private static final int LISTED = 20;

    /** A skipped sample: its id, the file that could not be read and why. */
    public record Skipped(String id, Path file, String reason) {
        @Override
        public String toString() {
            return file + ": " + reason;
        }
    }

    public LoaderReport {
        unreadable = List.copyOf(unreadable);
        resizedMasks = List.copyOf(resizedMasks);
        emptyMasks = List.copyOf(emptyMasks);
        fullMasks = List.copyOf(fullMasks);
    }

    /** Samples the loader uses. */
    public int used() {
        return samples - unreadable.size();
    }

    /** Whether anything was skipped, resized or looks wrong. */
    public boolean hasIssues() {
        return !unreadable.isEmpty() || !resizedMasks.isEmpty() || !emptyMasks.isEmpty() || !fullMasks.isEmpty();
    }

    /** A few lines: the counts, then the files concerned (at most 20 per category). */
    public String summary() {
        StringBuilder s = new StringBuilder();
        s.append("dataset ").append(dataset).append(": ").append(samples).append(" samples, ").append(used())
                .append(" used, ").append(unreadable.size()).append(" unreadable (skipped); ")
                .append(resizedMasks.size()).append(" masks resized to their image, ").append(emptyMasks.size())
                .append(" empty and ").append(fullMasks.size()).append(" full masks of tampered images");
        list(s, "unreadable (skipped)", unreadable);
        list(s, "masks resized", resizedMasks);
        list(s, "empty masks", emptyMasks);
        list(s, "full masks", fullMasks);
        return s.toString();
    }

    private static void list(StringBuilder s, String title, List<?> items) {
        if (items.isEmpty()) {
            return;
        }
        s.append(System.lineSeparator()).append("  ").append(title).append(':');
        for (int i = 0; i < Math.min(LISTED, items.size()); i++) {
            s.append(System.lineSeparator()).append("    ").append(items.get(i));
        }
        if (items.size() > LISTED) {
            s.append(System.lineSeparator()).append("    ... and ").append(items.size() - LISTED).append(" more");
        }
    }
}
