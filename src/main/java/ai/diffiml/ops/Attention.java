package ai.diffiml.ops;

import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Blas;
import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Shapes;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;

/**
 * Multi-head scaled-dot-product attention on token layout, built from batched GEMMs and the softmax kernel.
 *
 * <p>Head h of a [B, L, C] tensor is the column block [h*D, (h+1)*D) of every token (D = C / heads): a
 * row-major L x D matrix with leading dimension C, and consecutive heads are D floats apart. So every
 * per-head product is one {@link Blas#gemmBatched} call per sample (batch = heads, matrix stride D, leading
 * dimension C) and no permute is needed.
 *
 * <p>Memory: the attention probabilities, B * heads * Lq * Lk floats, are materialised. With the tape
 * recording they are kept from the forward to the backward, and the backward allocates one more buffer of the
 * same size (the score gradient) while it runs; without the tape they are freed before the forward returns.
 * E.g. the Mix Transformer's first stage at 512 x 512 (Lq = 128 * 128, spatial reduction 8, Lk = 256, one
 * head) keeps 4 Mi floats = 16 MiB per image.
 */
public final class Attention {
    private Attention() {}

    /**
     * {@code out_h = softmax(q_h k_h^T / sqrt(D)) v_h} for every head h, heads concatenated back along C.
     * q: [B, Lq, C]; k, v: [B, Lk, C] (Lk may differ from Lq, as in spatial-reduction attention); out:
     * [B, Lq, C]; C must be divisible by {@code heads}. Gradients for q, k and v.
     */
    public static Tensor multiHead(Tensor q, Tensor k, Tensor v, int heads) {
        Dims dm = Dims.of(q, k, v, heads);
        Device device = q.device();
        Blas blas = Backends.blas(device);
        String what = "multiHead q " + q.describe() + " k " + k.describe() + " v " + v.describe() + " heads " + heads;
        float scale = (float) (1.0 / Math.sqrt(dm.d));
        Tensor probs = Tensor.empty(device, dm.b, heads, dm.lq, dm.lk);
        Tensor out = Tensor.empty(device, dm.b, dm.lq, dm.c);
        for (int i = 0; i < dm.b; i++) {
            // S_h = scale * Q_h K_h^T: [Lq, Lk] per head.
            blas.gemmBatched(false, true, dm.lq, dm.lk, dm.d, scale, q.address() + dm.q(i), dm.c, dm.d,
                    k.address() + dm.kv(i), dm.c, dm.d, 0f, probs.address() + dm.p(i), dm.lk, dm.pStride(), heads);
        }
        Softmax.forward(device, probs.address(), probs.address(), dm.rows(), dm.lk, what);
        for (int i = 0; i < dm.b; i++) {
            // O_h = P_h V_h: [Lq, D] per head, written into the head's columns of out.
            blas.gemmBatched(false, false, dm.lq, dm.d, dm.lk, 1f, probs.address() + dm.p(i), dm.lk, dm.pStride(),
                    v.address() + dm.kv(i), dm.c, dm.d, 0f, out.address() + dm.q(i), dm.c, dm.d, heads);
        }
        if (!Tape.wants(q, k, v)) {
            probs.close();
            return out;
        }
        Tape.record("multiHead", out, new Tensor[] {q, k, v}, (dOut, grads) -> {
            NormSupport.GradBuffers g = new NormSupport.GradBuffers(grads, q, k, v);
            Tensor dq = g.get(0), dk = g.get(1), dv = g.get(2);
            Tensor ds = dq != null || dk != null ? Tensor.empty(device, dm.b, heads, dm.lq, dm.lk) : null;
            for (int i = 0; i < dm.b; i++) {
                long p = probs.address() + dm.p(i), go = dOut.address() + dm.q(i);
                if (dv != null) {
                    // dV_h = P_h^T dO_h: [Lk, D].
                    blas.gemmBatched(true, false, dm.lk, dm.d, dm.lq, 1f, p, dm.lk, dm.pStride(), go, dm.c, dm.d, 0f,
                            dv.address() + dm.kv(i), dm.c, dm.d, heads);
                }
                if (ds != null) {
                    // dP_h = dO_h V_h^T: [Lq, Lk].
                    blas.gemmBatched(false, true, dm.lq, dm.lk, dm.d, 1f, go, dm.c, dm.d, v.address() + dm.kv(i),
                            dm.c, dm.d, 0f, ds.address() + dm.p(i), dm.lk, dm.pStride(), heads);
                }
            }
            if (ds != null) {
                // dS = P * (dP - rowsum(dP * P)), in place.
                Softmax.backward(device, probs.address(), ds.address(), ds.address(), dm.rows(), dm.lk,
                        what + " backward");
                for (int i = 0; i < dm.b; i++) {
                    long s = ds.address() + dm.p(i);
                    if (dq != null) {
                        // dQ_h = scale * dS_h K_h: [Lq, D].
                        blas.gemmBatched(false, false, dm.lq, dm.d, dm.lk, scale, s, dm.lk, dm.pStride(),
                                k.address() + dm.kv(i), dm.c, dm.d, 0f, dq.address() + dm.q(i), dm.c, dm.d, heads);
                    }
                    if (dk != null) {
                        // dK_h = scale * dS_h^T Q_h: [Lk, D].
                        blas.gemmBatched(true, false, dm.lk, dm.d, dm.lq, scale, s, dm.lk, dm.pStride(),
                                q.address() + dm.q(i), dm.c, dm.d, 0f, dk.address() + dm.kv(i), dm.c, dm.d, heads);
                    }
                }
                ds.close();
            }
            g.deliver();
        });
        return out;
    }

    /** Sizes of one call and the byte offsets of sample i in q/out, k/v and the probabilities. */
    private record Dims(int b, int lq, int lk, int c, int heads, int d) {
        static Dims of(Tensor q, Tensor k, Tensor v, int heads) {
            Shapes.requireRank("multiHead q", q, 3);
            Shapes.requireRank("multiHead k", k, 3);
            Shapes.requireRank("multiHead v", v, 3);
            Shapes.requireSameDevice("multiHead", q, k, v);
            if (!Arrays.equals(k.shape(), v.shape()) || k.dim(0) != q.dim(0) || k.dim(2) != q.dim(2)) {
                throw new IllegalArgumentException("multiHead: expected q [B, Lq, C] and k, v [B, Lk, C], got q "
                        + q.describe() + ", k " + k.describe() + ", v " + v.describe());
            }
            int c = q.dim(2);
            if (heads < 1 || c % heads != 0) {
                throw new IllegalArgumentException("multiHead: " + c + " channels of q " + q.describe()
                        + " cannot be split into " + heads + " heads");
            }
            if (q.numel() == 0 || k.numel() == 0) {
                throw new IllegalArgumentException("multiHead: empty input, q " + q.describe() + ", k " + k.describe());
            }
            return new Dims(q.dim(0), q.dim(1), k.dim(1), c, heads, c / heads);
        }

        long q(int i) {
            return 4L * i * lq * c;
        }

        long kv(int i) {
            return 4L * i * lk * c;
        }

        long pStride() {
            return (long) lq * lk;
        }

        long p(int i) {
            return 4L * i * heads * pStride();
        }

        /** Rows of the probabilities: one softmax over Lk per (sample, head, query). */
        long rows() {
            return (long) b * heads * lq;
        }
    }
}
