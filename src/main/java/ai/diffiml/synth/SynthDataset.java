package ai.diffiml.synth;

import java.nio.file.Path;

/**
 * A complete synthetic dataset on disk: {@code dir} holds {@code Tp/} (tampered images), {@code Gt/} (their
 * masks, same name stem, PNG), {@code Au/} (authentic images), the BenCo JSON list {@code list.json}
 * ({@code [[image, mask | "Negative"], ...]}, paths relative to {@code dir}) and {@code synth.json} (the options and
 * what was done to each image). {@code synth.json} is written last and the folder appears by an atomic rename, so a
 * folder with it is complete.
 */
public record SynthDataset(Path dir, int tampered, int authentic, SynthOptions options) {
    public static final String LIST = "list.json";
    public static final String MANIFEST = "synth.json";

    public Path list() {
        return dir.resolve(LIST);
    }

    public int count() {
        return tampered + authentic;
    }
}
