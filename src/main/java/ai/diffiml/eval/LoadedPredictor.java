package ai.diffiml.eval;

/** A {@link MapPredictor} over a model loaded for it: it says what it runs, and {@link #close()} frees the model. */
public interface LoadedPredictor extends MapPredictor, AutoCloseable {
    /** The model and its inference settings, in words, for reports. */
    String description();

    /** The checkpoint folder the model was loaded from. */
    java.nio.file.Path checkpoint();

    /** The device the model runs on (cpu, cuda). */
    String device();

    /**
     * Whether the model samples, so that steps, ensemble and seed apply (DiffIML); false for a model that predicts
     * in one forward (the discriminative baseline).
     */
    boolean samples();

    /** What the image score is: "detection head" for a model with one (DiffForensics), else "map maximum". */
    default String imageScoreSource() {
        return "map maximum";
    }

    @Override
    void close();
}
