package ai.diffiml.spark;

import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The localizers of this JVM (an executor, or the driver in local mode): one per model and settings, loaded by the
 * first task that needs it and shared by every later task of the executor ({@link Localizer} is thread-safe;
 * concurrent tasks queue for its model thread while they decode and post-process in parallel). Closed when the
 * JVM exits.
 */
final class ExecutorLocalizers {
    private record Key(String model, LocalizerOptions options) {
    }

    private static final Map<Key, Localizer> LOADED = new HashMap<>();
    private static int loads;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorLocalizers::closeAll, "diffiml-localizers"));
    }

    private ExecutorLocalizers() {
    }

    /** The localizer of {@code model} with {@code options}, loaded on first use. */
    static synchronized Localizer get(String model, LocalizerOptions options) throws IOException {
        Key k = new Key(model, options);
        Localizer l = LOADED.get(k);
        if (l == null) {
            l = Localizer.load(Path.of(model), options);
            LOADED.put(k, l);
            loads++;
        }
        return l;
    }

    /** How many localizers this JVM has loaded (for tests: one per executor, not one per task). */
    static synchronized int loads() {
        return loads;
    }

    private static synchronized void closeAll() {
        LOADED.values().forEach(Localizer::close);
        LOADED.clear();
    }
}
