package ai.diffiml.eval;

/** A {@link MapPredictor} over a model loaded for it: it says what it runs, and {@link #close()} frees the model. */
public interface LoadedPredictor extends MapPredictor, AutoCloseable {
    /** The model and its inference settings, in words, for reports. */
    String description();

    /** The device the model runs on (cpu, cuda). */
    String device();

    @Override
    void close();
}
