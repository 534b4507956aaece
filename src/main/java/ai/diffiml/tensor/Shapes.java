package ai.diffiml.tensor;

import java.util.Arrays;

/** Shape arithmetic and the checks every op makes, with messages that name the op and the shapes. */
public final class Shapes {
    private Shapes() {}

    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape);
    }

    /** Product of dims [from, to). */
    public static long prod(int[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            n *= shape[i];
        }
        return n;
    }

    public static void requireSame(String op, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": shapes differ: " + str(a.shape()) + " vs " + str(b.shape()));
        }
        requireSameDevice(op, a, b);
    }

    public static void requireSameDevice(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.device() != ts[0].device()) {
                throw new IllegalArgumentException(op + ": tensors on different devices: " + ts[0].device() + " and "
                        + t.device());
            }
        }
    }

    public static void requireRank(String op, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": expected a rank-" + rank + " tensor, got " + str(t.shape()));
        }
    }
}
