package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.backend.jni.ShapeKernels;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;

/**
 * Layout of contiguous row-major tensors: {@link #reshape} (a view, no copy), {@link #permute} and
 * {@link #transpose} (a native permuted copy, rank up to {@value #MAX_PERMUTE_RANK}), and {@link #concat},
 * {@link #slice}, {@link #split}. The last three and all their backwards are one native mechanism: a block copy
 * between two tensors viewed as [outer, axis, inner] ({@code dml_copy_block}). Axes may be negative (counted from
 * the end).
 */
public final class Layout {
    public static final int MAX_PERMUTE_RANK = 6;

    private Layout() {}

    /**
     * {@code x} seen with another shape of the same element count, sharing its memory (a {@link Tensor#view}).
     * One dimension may be -1: it is inferred. The gradient is the output gradient viewed back to x's shape.
     */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] target = inferShape(x, shape);
        Tensor y = x.view(target);
        if (Tape.wants(x)) {
            int[] xs = x.shape();
            Tape.record("reshape", y, new Tensor[] {x}, (dy, grads) -> grads.add(0, dy.view(xs)));
        }
        return y;
    }

    private static int[] inferShape(Tensor x, int[] shape) {
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1 && inferred < 0) {
                inferred = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException("reshape: bad target shape " + Shapes.str(shape) + " for "
                        + x.describe() + " (dimensions must be >= 0, with at most one -1)");
            } else {
                known *= shape[i];
            }
        }
        int[] out = shape.clone();
        if (inferred >= 0) {
            if (known == 0 || x.numel() % known != 0) {
                throw new IllegalArgumentException(
                        "reshape: cannot infer the -1 of " + Shapes.str(shape) + " for " + x.describe());
            }
            out[inferred] = Math.toIntExact(x.numel() / known);
        }
        if (Shapes.numel(out) != x.numel()) {
            throw new IllegalArgumentException("reshape: cannot reshape " + x.describe() + " (" + x.numel()
                    + " elements) to " + Shapes.str(shape));
        }
        return out;
    }

    /**
     * Reorders axes: output dim j is x's dim {@code dims[j]} (as torch.permute). A copy in the new order. The
     * gradient is the output gradient permuted by the inverse permutation.
     */
    public static Tensor permute(Tensor x, int... dims) {
        int rank = x.rank();
        if (dims.length != rank || rank < 1 || rank > MAX_PERMUTE_RANK) {
            throw new IllegalArgumentException("permute: dims " + Arrays.toString(dims) + " for " + x.describe()
                    + " (need one entry per axis, rank 1.." + MAX_PERMUTE_RANK + ")");
        }
        int[] perm = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int j = 0; j < rank; j++) {
            int d = dims[j] < 0 ? dims[j] + rank : dims[j];
            if (d < 0 || d >= rank || seen[d]) {
                throw new IllegalArgumentException(
                        "permute: dims " + Arrays.toString(dims) + " are not a permutation of the axes of " + x.describe());
            }
            seen[d] = true;
            perm[j] = d;
        }
        Tensor y = permuted("permute", x, perm);
        if (Tape.wants(x)) {
            int[] inverse = new int[rank];
            for (int j = 0; j < rank; j++) {
                inverse[perm[j]] = j;
            }
            Tape.record("permute", y, new Tensor[] {x}, (dy, grads) -> grads.add(0, permuted("permute backward", dy,
                    inverse)));
        }
        return y;
    }

    /** x reversed along {@code axis} (e.g. axis 3 of NCHW: a horizontal flip). Its gradient is the flipped gradient. */
    public static Tensor flip(Tensor x, int axis) {
        int rank = x.rank();
        int ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank) {
            throw new IllegalArgumentException("flip: axis " + axis + " out of range for " + x.describe());
        }
        int[] s = x.shape();
        long outer = Shapes.prod(s, 0, ax), inner = Shapes.prod(s, ax + 1, rank);
        Tensor y = flipped(x, outer, s[ax], inner);
        if (Tape.wants(x)) {
            Tape.record("flip", y, new Tensor[] {x}, (dy, grads) -> grads.add(0, flipped(dy, outer, s[ax], inner)));
        }
        return y;
    }

    private static Tensor flipped(Tensor x, long outer, long len, long inner) {
        Tensor y = Tensor.empty(x.device(), x.shape());
        Native.check(ShapeKernels.dml_flip(x.device().code, x.address(), y.address(), outer, len, inner),
                "flip " + x.describe());
        return y;
    }

    /** Swaps axes a and b (a {@link #permute}). */
    public static Tensor transpose(Tensor x, int a, int b) {
        int[] dims = new int[x.rank()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = i;
        }
        int aa = axis("transpose", x, a), bb = axis("transpose", x, b);
        dims[aa] = bb;
        dims[bb] = aa;
        return permute(x, dims);
    }

    private static Tensor permuted(String what, Tensor x, int[] perm) {
        int rank = perm.length;
        int[] xs = x.shape();
        int[] ys = new int[rank];
        long[] shape = new long[rank], p = new long[rank];
        for (int j = 0; j < rank; j++) {
            ys[j] = xs[perm[j]];
            shape[j] = xs[j];
            p[j] = perm[j];
        }
        Tensor y = Tensor.empty(x.device(), ys);
        Native.check(ShapeKernels.dml_permute(x.device().code, x.address(), y.address(), rank, shape, p),
                what + " " + x.describe() + " by " + Arrays.toString(perm));
        return y;
    }

    /**
     * Joins tensors along {@code axis}; all have the same rank, device and dims except along the axis. Each
     * input's gradient is its block of the output gradient.
     */
    public static Tensor concat(int axis, Tensor... xs) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("concat: no tensors");
        }
        Tensor first = xs[0];
        int ax = axis("concat", first, axis);
        Shapes.requireSameDevice("concat", xs);
        int[] shape = first.shape();
        int total = 0;
        int[] offsets = new int[xs.length];
        for (int k = 0; k < xs.length; k++) {
            int[] s = xs[k].shape();
            boolean compatible = s.length == shape.length;
            for (int d = 0; compatible && d < s.length; d++) {
                compatible = d == ax || s[d] == shape[d];
            }
            if (!compatible) {
                throw new IllegalArgumentException("concat along axis " + axis + ": " + xs[k].describe()
                        + " does not match " + first.describe() + " outside the axis");
            }
            offsets[k] = total;
            total = Math.addExact(total, s[ax]);
        }
        shape[ax] = total;
        long outer = Shapes.prod(shape, 0, ax), inner = Shapes.prod(shape, ax + 1, shape.length);
        Tensor y = Tensor.empty(first.device(), shape);
        for (int k = 0; k < xs.length; k++) {
            int len = xs[k].dim(ax);
            copyBlock("concat", xs[k], len, 0, y, total, offsets[k], outer, len, inner);
        }
        if (Tape.wants(xs)) {
            int size = total;
            Tensor[] inputs = xs.clone();
            Tape.record("concat", y, inputs, (dy, grads) -> {
                for (int k = 0; k < inputs.length; k++) {
                    if (grads.needs(k)) {
                        int len = inputs[k].dim(ax);
                        Tensor dx = Tensor.empty(dy.device(), inputs[k].shape());
                        copyBlock("concat backward", dy, size, offsets[k], dx, len, 0, outer, len, inner);
                        grads.add(k, dx);
                    }
                }
            });
        }
        return y;
    }

    /**
     * Elements {@code [start, start + length)} of x along {@code axis} (a copy). The gradient is zero outside the
     * slice and the output gradient inside it.
     */
    public static Tensor slice(Tensor x, int axis, int start, int length) {
        int ax = axis("slice", x, axis);
        int[] s = x.shape();
        if (start < 0 || length < 0 || (long) start + length > s[ax]) {
            throw new IllegalArgumentException("slice: [" + start + ", " + ((long) start + length) + ") is outside axis "
                    + axis + " (length " + s[ax] + ") of " + x.describe());
        }
        long outer = Shapes.prod(s, 0, ax), inner = Shapes.prod(s, ax + 1, s.length);
        int axisLen = s[ax];
        int[] ys = s.clone();
        ys[ax] = length;
        Tensor y = Tensor.empty(x.device(), ys);
        copyBlock("slice", x, axisLen, start, y, length, 0, outer, length, inner);
        if (Tape.wants(x)) {
            Tape.record("slice", y, new Tensor[] {x}, (dy, grads) -> {
                Tensor dx = Tensor.zeros(x.device(), s);
                copyBlock("slice backward", dy, length, 0, dx, axisLen, start, outer, length, inner);
                grads.add(0, dx);
            });
        }
        return y;
    }

    /** Consecutive {@link #slice}s of the given sizes along {@code axis}; the sizes add up to the axis length. */
    public static Tensor[] split(Tensor x, int axis, int... sizes) {
        int ax = axis("split", x, axis);
        long sum = 0;
        for (int size : sizes) {
            if (size < 0) {
                throw new IllegalArgumentException("split: negative size in " + Arrays.toString(sizes));
            }
            sum += size;
        }
        if (sum != x.dim(ax)) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " do not add up to axis "
                    + axis + " of " + x.describe());
        }
        Tensor[] parts = new Tensor[sizes.length];
        int start = 0;
        for (int k = 0; k < sizes.length; k++) {
            parts[k] = slice(x, ax, start, sizes[k]);
            start += sizes[k];
        }
        return parts;
    }

    /** {@code axis} of x as an index in [0, rank), accepting negative axes; names {@code op} when invalid. */
    static int axis(String op, Tensor x, int axis) {
        int ax = axis < 0 ? axis + x.rank() : axis;
        if (ax < 0 || ax >= x.rank()) {
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for " + x.describe());
        }
        return ax;
    }

    private static void copyBlock(String what, Tensor src, int srcAxis, int srcStart, Tensor dst, int dstAxis,
            int dstStart, long outer, int len, long inner) {
        Native.check(ShapeKernels.dml_copy_block(src.device().code, src.address(), srcAxis, srcStart, dst.address(),
                dstAxis, dstStart, outer, len, inner), what + " " + src.describe() + " -> " + dst.describe());
    }
}
