package ai.diffiml.autograd;

/**
 * Whether ops record onto the tape on this thread. Inference runs inside {@link #disabled()}: nothing is recorded
 * and no gradient memory is allocated.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean enabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned handle is closed (nests). */
    public static Guard disabled() {
        return set(false);
    }

    public static Guard enabled(boolean on) {
        return set(on);
    }

    private static Guard set(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = on;
        return () -> flag[0] = previous;
    }

    /** Restores the previous mode on close. */
    public interface Guard extends AutoCloseable {
        @Override
        void close();
    }
}
