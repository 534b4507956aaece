package ai.diffiml.data;

import java.util.List;

/** A named, ordered list of samples as a reader found them (see {@link DatasetReaders}). */
public record Dataset(String name, List<Sample> samples) {
    public Dataset {
        samples = List.copyOf(samples);
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
