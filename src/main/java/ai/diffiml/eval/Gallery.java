package ai.diffiml.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The best and the worst tampered images of one dataset by pixel F1, with thumbnails, for the report. Only images
 * that could enter either end have their thumbnails made ({@link #wants}), so a large dataset costs little. Ties go
 * to the image that comes first in the dataset. An image is shown at one end only: with fewer than twice
 * {@code perEnd} tampered images, the worst end shows those not already among the best.
 */
public final class Gallery {
    /** One image of the gallery: its scores and thumbnails (uncertainty null when the model gives none). */
    public record Entry(int index, String id, double f1, double score, byte[] photoJpeg, byte[] truthPng,
            byte[] predictionJpeg, byte[] uncertaintyJpeg, float uncertaintyMax) {}

    private static final Comparator<Entry> BEST_FIRST = Comparator.comparingDouble(Entry::f1).reversed()
            .thenComparingInt(Entry::index);
    private static final Comparator<Entry> WORST_FIRST = Comparator.comparingDouble(Entry::f1)
            .thenComparingInt(Entry::index);

    private final int perEnd;
    private final int side;
    private final List<Entry> best = new ArrayList<>(), worst = new ArrayList<>();

    /**
     * @param perEnd images at each end
     * @param side longest thumbnail side in pixels
     */
    public Gallery(int perEnd, int side) {
        if (perEnd < 0 || side < 8) {
            throw new IllegalArgumentException("gallery needs perEnd >= 0 and side >= 8, got " + perEnd + ", " + side);
        }
        this.perEnd = perEnd;
        this.side = side;
    }

    /** Longest thumbnail side in pixels. */
    public int side() {
        return side;
    }

    /** Whether the image at {@code index} with pixel F1 {@code f1} would enter either end now. */
    public boolean wants(int index, double f1) {
        return perEnd > 0 && (enters(best, BEST_FIRST, index, f1) || enters(worst, WORST_FIRST, index, f1));
    }

    /** Offers an image: {@code entry} is made only when it enters an end. */
    public void offer(int index, double f1, Supplier<Entry> entry) {
        if (!wants(index, f1)) {
            return;
        }
        Entry e = entry.get();
        insert(best, BEST_FIRST, e);
        insert(worst, WORST_FIRST, e);
    }

    /** The best images, best first. */
    public List<Entry> best() {
        return List.copyOf(best);
    }

    /** The worst images not among {@link #best()}, worst first. */
    public List<Entry> worst() {
        return worst.stream().filter(w -> best.stream().noneMatch(b -> b.index() == w.index())).toList();
    }

    private boolean enters(List<Entry> end, Comparator<Entry> order, int index, double f1) {
        if (end.size() < perEnd) {
            return true;
        }
        Entry probe = new Entry(index, "", f1, 0, null, null, null, null, 0);
        return order.compare(probe, end.get(end.size() - 1)) < 0;
    }

    private void insert(List<Entry> end, Comparator<Entry> order, Entry e) {
        if (end.size() < perEnd || order.compare(e, end.get(end.size() - 1)) < 0) {
            end.add(e);
            end.sort(order);
            if (end.size() > perEnd) {
                end.remove(end.size() - 1);
            }
        }
    }
}
