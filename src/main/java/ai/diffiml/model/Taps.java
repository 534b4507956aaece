package ai.diffiml.model;

import ai.diffiml.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named intermediate values of a forward pass, captured on request (parity tests, debugging). Outside
 * {@link #capture()} a tap costs one thread-local read and copies nothing.
 */
public final class Taps {
    private static final ThreadLocal<Map<String, float[]>> ACTIVE = new ThreadLocal<>();

    private Taps() {}

    /** Starts capturing on this thread; the returned map fills as the model runs. Close with {@link #stop()}. */
    public static Map<String, float[]> capture() {
        Map<String, float[]> m = new LinkedHashMap<>();
        ACTIVE.set(m);
        return m;
    }

    public static void stop() {
        ACTIVE.remove();
    }

    public static void tap(String name, Tensor t) {
        Map<String, float[]> m = ACTIVE.get();
        if (m != null && !m.containsKey(name)) {
            m.put(name, t.toArray());
        }
    }
}
