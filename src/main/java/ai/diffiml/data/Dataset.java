package ai.diffiml.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A named, ordered list of samples as a reader found them (see {@link DatasetReaders}), with the layout the reader
 * recognised and what it could not use: files named like masks that belong to no image ({@code unmatchedMasks},
 * never read as photos) and images that should have had a mask but have none ({@code missingMasks}, e.g. a
 * {@code Tp/} image without its {@code _gt} file; left out, they have no ground truth).
 */
public record Dataset(String name, List<Sample> samples, String layout, List<Path> unmatchedMasks,
        List<Path> missingMasks) {
    public Dataset {
        samples = List.copyOf(samples);
        unmatchedMasks = List.copyOf(unmatchedMasks);
        missingMasks = List.copyOf(missingMasks);
    }

    /** Samples a caller assembled itself (layout "samples"), nothing unmatched. */
    public Dataset(String name, List<Sample> samples) {
        this(name, samples, "samples", List.of(), List.of());
    }

    public int size() {
        return samples.size();
    }

    /** Number of samples with a mask. */
    public int tamperedCount() {
        return (int) samples.stream().filter(Sample::tampered).count();
    }

    @Override
    public String toString() {
        return name + " (" + size() + " samples: " + tamperedCount() + " tampered, " + (size() - tamperedCount())
                + " authentic)";
    }
}
