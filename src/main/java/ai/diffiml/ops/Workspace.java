package ai.diffiml.ops;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Tensor;

/**
 * Scratch memory of the linear-algebra ops, kept per thread and per device and reused from call to call: the
 * im2col buffer of {@link Conv} (at most {@link Conv#colBudget()} floats, or one band row of a larger image) and a
 * vector of ones for bias broadcasts. Allocating and freeing them per call costs more than the im2col itself on
 * the CPU (fresh pages of a buffer of tens of MB) and, on CUDA, a device synchronisation in every cudaFree.
 * Reuse is safe because a thread's ops run in order: synchronously on the CPU, on one stream on CUDA.
 * The buffers live until {@link #release()} on the same thread (they belong to no scope).
 */
public final class Workspace {
    private static final ThreadLocal<Workspace> CURRENT = ThreadLocal.withInitial(Workspace::new);

    private final Tensor[] scratch = new Tensor[Device.values().length];
    private final Tensor[] ones = new Tensor[Device.values().length];

    private Workspace() {}

    /**
     * Runs {@code body} with this thread's buffers replaced by those of {@code own} (a private workspace, e.g. one
     * whose buffers a CUDA graph has baked in, which must not be freed or regrown by later calls of other shapes),
     * then puts the thread's own buffers back.
     */
    static <T> T using(Workspace own, java.util.function.Supplier<T> body) {
        Workspace previous = CURRENT.get();
        CURRENT.set(own);
        try {
            return body.get();
        } finally {
            CURRENT.set(previous);
        }
    }

    /** A workspace of its own, empty until used through {@link #using}; {@link #free()} releases it. */
    static Workspace detached() {
        return new Workspace();
    }

    /** Frees this workspace's buffers. */
    void free() {
        for (Tensor[] slots : new Tensor[][] {scratch, ones}) {
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] != null) {
                    slots[i].close();
                    slots[i] = null;
                }
            }
        }
    }

    /** At least {@code floats} floats of uninitialised memory on {@code device}, valid until the next call. */
    static Tensor scratch(Device device, long floats) {
        Tensor[] slot = CURRENT.get().scratch;
        return grow(slot, device, floats, false);
    }

    /** A tensor of at least {@code floats} ones on {@code device}. */
    static Tensor ones(Device device, long floats) {
        Tensor[] slot = CURRENT.get().ones;
        return grow(slot, device, floats, true);
    }

    private static Tensor grow(Tensor[] slot, Device device, long floats, boolean fillOnes) {
        int i = device.ordinal();
        Tensor t = slot[i];
        if (t == null || t.isClosed() || t.numel() < floats) {
            if (t != null) {
                t.close();
            }
            t = Tensor.detachedEmpty(device, Math.toIntExact(Math.max(floats, 1)));
            if (fillOnes) {
                t.fill(1f);
            }
            slot[i] = t;
        }
        return t;
    }

    /** Frees this thread's buffers on every device (the next op allocates them again). */
    public static void release() {
        CURRENT.get().free();
    }
}
