package ai.diffiml.model.diffforensics;

import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Tensor;

/**
 * The edge cue of DiffForensics' Edge Cue Enhancement Module: {@code g = | V * | H * d | |} per channel of a
 * feature map d [B, C, h, w], with H = [1, -1] (horizontal neighbour difference) and V = [1, -1]^T (vertical).
 * Composed from the native ops on the tape (slice, concat, add, scale, relu) rather than a kernel of its own:
 * {@code (H * d)[x] = d[x] - d[x + 1]}, 0 in the last column (no difference across the border, as the edge labels
 * have no edge along the image border); the same down the rows for V; {@code |a| = relu(a) + relu(-a)} (gradient
 * sign(a), 0 at 0).
 */
public final class EdgeCue {
    private EdgeCue() {}

    /** {@code | V * | H * d | |}, the shape of d. */
    public static Tensor gradientMagnitude(Tensor d) {
        if (d.rank() != 4) {
            throw new IllegalArgumentException("edge cue: expected a feature map [B, C, h, w], got " + d.describe());
        }
        return abs(difference(abs(difference(d, 3)), 2));
    }

    /** {@code x[i] - x[i + 1]} along {@code axis}, 0 at the last index. */
    static Tensor difference(Tensor x, int axis) {
        int n = x.dim(axis);
        if (n < 2) {
            return Tensor.zeros(x.device(), x.shape());
        }
        Tensor diff = Arithmetic.add(Layout.slice(x, axis, 0, n - 1),
                Arithmetic.scale(Layout.slice(x, axis, 1, n - 1), -1f));
        int[] edge = x.shape();
        edge[axis] = 1;
        return Layout.concat(axis, diff, Tensor.zeros(x.device(), edge));
    }

    static Tensor abs(Tensor x) {
        return Arithmetic.add(Activations.relu(x), Activations.relu(Arithmetic.scale(x, -1f)));
    }
}
