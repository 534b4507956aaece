package ai.diffiml.ops;

import ai.diffiml.autograd.Grads;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Native;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;

/** Checks and gradient bookkeeping shared by the normalisation and attention ops. */
final class NormSupport {
    private NormSupport() {}

    /** Address for an optional native argument: 0 (NULL) when {@code t} is null. */
    static long address(Tensor t) {
        return t == null ? 0 : t.address();
    }

    /** gamma and beta must be [channels] and on x's device. */
    static void requireAffine(String op, Tensor x, int channels, Tensor gamma, Tensor beta) {
        requireChannels(op, x, channels, "gamma", gamma, "beta", beta);
    }

    /** Two per-channel vectors (named for the message) must be [channels] and on x's device. */
    static void requireChannels(String op, Tensor x, int channels, String nameA, Tensor a, String nameB, Tensor b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException(op + ": " + nameA + " and " + nameB + " are required");
        }
        for (Tensor p : new Tensor[] {a, b}) {
            if (p.rank() != 1 || p.dim(0) != channels) {
                throw new IllegalArgumentException(op + ": " + nameA + " " + a.describe() + " and " + nameB + " "
                        + b.describe() + " must both be [" + channels + "] for x " + x.describe());
            }
        }
        Shapes.requireSameDevice(op, x, a, b);
    }

    static void requireEps(String op, float eps) {
        if (!(eps >= 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }

    /** A normalisation's backward kernel call: gradient addresses in, status out (0 for an unwanted gradient). */
    @FunctionalInterface
    interface AffineBackward {
        int run(long dy, long dx, long dgamma, long dbeta);
    }

    /**
     * Records a normalisation y = norm(x) * gamma + beta on the tape: its backward allocates the wanted gradients
     * of x, gamma and beta, runs {@code kernel} and hands them over.
     */
    static void recordAffine(String op, String what, Tensor y, Tensor x, Tensor gamma, Tensor beta,
            AffineBackward kernel) {
        Tape.record(op, y, new Tensor[] {x, gamma, beta}, (dy, grads) -> {
            GradBuffers g = new GradBuffers(grads, x, gamma, beta);
            Native.check(kernel.run(dy.address(), g.address(0), g.address(1), g.address(2)), what + " backward");
            g.deliver();
        });
    }

    /**
     * Gradient tensors of a backward step, one per recorded input, allocated only for the inputs the tape needs;
     * {@link #deliver} hands them to the tape.
     */
    static final class GradBuffers {
        private final Grads grads;
        private final Tensor[] buffers;

        GradBuffers(Grads grads, Tensor... inputs) {
            this.grads = grads;
            this.buffers = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                if (grads.needs(i)) {
                    buffers[i] = Tensor.empty(inputs[i].device(), inputs[i].shape());
                }
            }
        }

        /** The gradient of input i, or null when it is not needed. */
        Tensor get(int i) {
            return buffers[i];
        }

        /** Address of input i's gradient, or 0 (NULL) when it is not needed. */
        long address(int i) {
            return NormSupport.address(buffers[i]);
        }

        void deliver() {
            for (int i = 0; i < buffers.length; i++) {
                if (buffers[i] != null) {
                    grads.add(i, buffers[i]);
                }
            }
        }
    }
}
