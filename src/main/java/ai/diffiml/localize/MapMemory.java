package ai.diffiml.localize;

import java.util.Locale;

/**
 * The Java heap a localization holds for an image of a given size, and the refusal of an image this JVM's heap
 * cannot hold (one line, before any map is allocated, instead of an {@link OutOfMemoryError} part-way through).
 *
 * <p>Per image pixel: the probability map (a float, 4 bytes), the uncertainty map when it is measured (4 more; a
 * tiled localization stitches each map in place in that one array), and while the pictures are made 4 bytes of
 * transient arrays (the mask, one grey picture and its PNG bytes at a time; the overlay is blended in bands of rows
 * into native memory). The image itself is native memory (3 bytes a pixel, decoded by OpenCV), outside the Java heap
 * and outside this bound; so are the model's tensors, which depend on its resolution, not on the image's size.
 * The limit is the JVM's maximum heap ({@code -Xmx}; by default a quarter of the machine's memory), or the system
 * property {@value #LIMIT_PROPERTY} (bytes) where set.
 */
public final class MapMemory {
    /** System property overriding the heap bytes a localization may use (for tests and for capping it lower). */
    public static final String LIMIT_PROPERTY = "diffiml.mapHeapLimit";
    /** Heap bytes per pixel: probability map and transient picture arrays. */
    public static final int BYTES_PER_PIXEL = 8;
    /** Heap bytes per pixel added by the uncertainty map. */
    public static final int UNCERTAINTY_BYTES_PER_PIXEL = 4;

    private MapMemory() {}

    /** The heap bytes a localization of a {@code width x height} image holds at most. */
    public static long heapBytes(long width, long height, boolean uncertainty) {
        return width * height * (BYTES_PER_PIXEL + (uncertainty ? UNCERTAINTY_BYTES_PER_PIXEL : 0));
    }

    /** The heap bytes a localization may hold: {@value #LIMIT_PROPERTY} where set, else the JVM's maximum heap. */
    public static long limit() {
        Long set = Long.getLong(LIMIT_PROPERTY);
        return set != null && set > 0 ? set : Runtime.getRuntime().maxMemory();
    }

    /**
     * Null when a {@code width x height} image fits in {@code limit} heap bytes; otherwise the reason it does not
     * (one line: the size, the memory needed, the limit and what to change).
     */
    public static String refusal(int width, int height, boolean uncertainty, long limit) {
        long need = heapBytes(width, height, uncertainty);
        if (need <= limit) {
            return null;
        }
        long gib = (need + (1L << 30) - 1) >> 30; // the -Xmx that would do, in whole GiB
        return String.format(Locale.ROOT, "%d x %d pixels: its maps need %s of Java heap (%d bytes a pixel%s),"
                + " more than the %s this JVM allows; run java with -Xmx%dg or more%s", width, height, size(need),
                need / ((long) width * height), uncertainty ? ", with the uncertainty map" : "", size(limit), gib + 1,
                uncertainty ? ", or leave the uncertainty map out (predict --no-uncertainty)" : "");
    }

    /** {@link #refusal(int, int, boolean, long)} against {@link #limit()}. */
    public static String refusal(int width, int height, boolean uncertainty) {
        return refusal(width, height, uncertainty, limit());
    }

    private static String size(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        return bytes >= 1L << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }
}
