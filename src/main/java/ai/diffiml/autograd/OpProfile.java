package ai.diffiml.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Wall time per recorded op, forward and backward, on this thread's tape: a profiling aid, off unless switched on
 * ({@link #enable}, or {@code -Ddiffiml.profile=true}). The forward time of an op is the time since the previous
 * record (or {@link #mark}, or {@link #lap}) on this thread, so it includes any unrecorded work in between; a caller
 * names such work (data loading, no-grad targets, the optimizer) with {@link #lap}. The backward time is that of its
 * backward function. Ops are keyed by name and, where set, the caller's label ({@link #label}).
 */
public final class OpProfile {
    private OpProfile() {}

    private static volatile boolean enabled = Boolean.getBoolean("diffiml.profile");
    private static final ThreadLocal<long[]> LAST = ThreadLocal.withInitial(() -> new long[] {System.nanoTime()});
    private static final ThreadLocal<String> LABEL = new ThreadLocal<>();
    private static final Map<String, long[]> FORWARD = new TreeMap<>();
    private static final Map<String, long[]> BACKWARD = new TreeMap<>();

    public static boolean enabled() {
        return enabled;
    }

    public static void enable(boolean on) {
        enabled = on;
        mark();
    }

    /** Starts the next forward interval now (call before the first op of a pass). */
    public static void mark() {
        LAST.get()[0] = System.nanoTime();
    }

    /**
     * Books the time since the previous record on this thread as forward time of {@code name} (under the current
     * label): unrecorded work, such as no-grad passes, that would otherwise be charged to the next recorded op.
     */
    public static void lap(String name) {
        if (enabled) {
            forward(key(name));
        }
    }

    /** Prefixes the keys of the ops recorded from now on by this thread (null: none). */
    public static void label(String label) {
        LABEL.set(label);
    }

    static String key(String op) {
        String l = LABEL.get();
        return l == null ? op : l + "/" + op;
    }

    static void forward(String key) {
        long now = System.nanoTime();
        long[] last = LAST.get();
        add(FORWARD, key, now - last[0]);
        last[0] = now;
    }

    static void backward(String key, long nanos) {
        add(BACKWARD, key, nanos);
        mark();
    }

    private static synchronized void add(Map<String, long[]> m, String key, long nanos) {
        long[] v = m.computeIfAbsent(key, k -> new long[2]);
        v[0] += nanos;
        v[1]++;
    }

    public static synchronized void reset() {
        FORWARD.clear();
        BACKWARD.clear();
        mark();
    }

    /** A table of total ms and calls per op, forward and backward, largest first, divided by {@code steps}. */
    public static synchronized String report(int steps) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Map<String, long[]>> part : Map.of("forward", FORWARD, "backward", BACKWARD)
                .entrySet()) {
            List<Map.Entry<String, long[]>> rows = new ArrayList<>(part.getValue().entrySet());
            rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
            long total = rows.stream().mapToLong(e -> e.getValue()[0]).sum();
            sb.append(String.format(Locale.ROOT, "%s: %.1f ms per step%n", part.getKey(), total / 1e6 / steps));
            for (Map.Entry<String, long[]> e : rows) {
                sb.append(String.format(Locale.ROOT, "  %9.2f ms %6d calls  %s%n", e.getValue()[0] / 1e6 / steps,
                        e.getValue()[1] / steps, e.getKey()));
            }
        }
        return sb.toString();
    }
}
