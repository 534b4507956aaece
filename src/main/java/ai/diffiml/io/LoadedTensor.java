package ai.diffiml.io;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor read from (or about to be written to) a weight file, in host memory: a name, a row-major shape, and the
 * values, contiguous in row-major order. Floating-point tensors (F32, F16, BF16, F64 in the file) hold
 * {@code float[]}; integer tensors (I64, I32) hold {@code long[]}. {@link #storedAs()} tells which type the file
 * used. The arrays are shared, not copied: treat them as read-only.
 */
public final class LoadedTensor {
    /** Largest element count a Java array can hold (with the usual VM head-room). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final String name;
    private final int[] shape;
    private final FileDType storedAs;
    private final float[] floats;
    private final long[] longs;

    private LoadedTensor(String name, int[] shape, FileDType storedAs, float[] floats, long[] longs) {
        this.name = Objects.requireNonNull(name, "name");
        this.shape = shape.clone();
        this.storedAs = storedAs;
        this.floats = floats;
        this.longs = longs;
        long n = Shapes.numel(this.shape);
        int have = floats != null ? floats.length : longs.length;
        if (have != n) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': " + have + " values do not fill shape " + Shapes.str(this.shape));
        }
    }

    /** A float32 tensor (written as F32). The array is kept, not copied. */
    public static LoadedTensor ofFloats(String name, int[] shape, float[] data) {
        return new LoadedTensor(name, shape, FileDType.F32, Objects.requireNonNull(data, "data"), null);
    }

    /** An integer tensor (written as I64). The array is kept, not copied. */
    public static LoadedTensor ofLongs(String name, int[] shape, long[] data) {
        return new LoadedTensor(name, shape, FileDType.I64, null, Objects.requireNonNull(data, "data"));
    }

    /** A host copy of {@code tensor} (any device) under {@code name}, as F32. */
    public static LoadedTensor of(String name, Tensor tensor) {
        return ofFloats(name, tensor.shape(), tensor.toArray());
    }

    /** Used by the readers: values already decoded from {@code storedAs}. */
    static LoadedTensor decoded(String name, int[] shape, FileDType storedAs, float[] floats, long[] longs) {
        if ((floats == null) != storedAs.integer) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': " + storedAs + " values in the wrong array type");
        }
        return new LoadedTensor(name, shape, storedAs, floats, longs);
    }

    /** The same values under another name (arrays shared). */
    public LoadedTensor withName(String newName) {
        return new LoadedTensor(newName, shape, storedAs, floats, longs);
    }

    /** The tensor's name: its key in a safetensors file or its dotted path in a state dict ("" while unnamed). */
    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return floats != null ? floats.length : longs.length;
    }

    /** The element type in the file it was read from (F32 or I64 for tensors made in memory). */
    public FileDType storedAs() {
        return storedAs;
    }

    /** True when the values are integers ({@link #longs()}), false for floating point ({@link #floats()}). */
    public boolean isInteger() {
        return longs != null;
    }

    /** The float32 values in row-major order (the backing array). Throws for an integer tensor. */
    public float[] floats() {
        if (floats == null) {
            throw new IllegalStateException("tensor '" + name + "' holds " + storedAs + " integers; use longs()");
        }
        return floats;
    }

    /** The integer values in row-major order (the backing array). Throws for a floating-point tensor. */
    public long[] longs() {
        if (longs == null) {
            throw new IllegalStateException("tensor '" + name + "' holds " + storedAs + " floats; use floats()");
        }
        return longs;
    }

    /**
     * Null when every value is finite (always for integers); otherwise what is wrong, for an error message: e.g.
     * {@code "3 non-finite values (the first, NaN, at index 17)"}.
     */
    public String nonFinite() {
        if (floats == null) {
            return null;
        }
        int first = -1;
        long count = 0;
        for (int i = 0; i < floats.length; i++) {
            if (!Float.isFinite(floats[i])) {
                if (first < 0) {
                    first = i;
                }
                count++;
            }
        }
        return count == 0 ? null : count + " non-finite value" + (count == 1 ? "" : "s") + " (the first, "
                + floats[first] + ", at index " + first + ")";
    }

    /**
     * The values as float32: the backing array for a floating-point tensor, a converted copy for an integer one.
     * Throws when an integer is not exactly representable in float32 (beyond 2^24 in magnitude, unless it happens
     * to be a representable value).
     */
    public float[] toFloats() {
        if (floats != null) {
            return floats;
        }
        float[] out = new float[longs.length];
        for (int i = 0; i < longs.length; i++) {
            out[i] = longs[i];
            if ((long) out[i] != longs[i]) {
                throw new IllegalStateException("tensor '" + name + "': integer " + longs[i] + " at index " + i
                        + " is not exactly representable in float32");
            }
        }
        return out;
    }

    /**
     * A new {@link Tensor} on {@code device} with these values (integers converted exactly, see {@link #toFloats()}),
     * owned by the current scope if one is open; named after this tensor.
     */
    public Tensor toTensor(Device device) {
        return Tensor.of(device, toFloats(), shape).name(name);
    }

    @Override
    public String toString() {
        return "LoadedTensor[" + name + " " + storedAs + " " + Arrays.toString(shape) + "]";
    }
}
