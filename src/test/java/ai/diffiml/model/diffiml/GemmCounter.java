package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Blas;
import ai.diffiml.backend.Device;
import java.lang.reflect.Field;

/**
 * A brute-force MAC counter: while installed, the CPU backend's BLAS is wrapped so that every GEMM the ops issue on
 * this thread adds m x n x k x batch to a tally, by who called it: an attention matmul ({@code ops.Attention}), a
 * bias broadcast ({@code Gemm.broadcastBias}, a rank-1 product of ones by the bias, not a MAC of the layer), or
 * anything else (the weight products of convolutions, transposed convolutions and linear layers). Depthwise
 * convolutions run on a direct kernel and never reach BLAS; so would the direct 3x3 and 7x7 kernels of convolutions
 * with few channels, which are therefore switched off while a counter is installed.
 *
 * <p>Installed by reflection on {@code Backends.cpuBlas} (tests only; the GEMMs still run, on the real BLAS).
 */
final class GemmCounter implements Blas, AutoCloseable {
    private static final StackWalker WALKER = StackWalker.getInstance();

    private final Blas delegate;
    private final Field field;
    private final Thread owner = Thread.currentThread();
    private long weight, attention, biasCalls;
    private final ai.diffiml.ops.Conv.Direct direct = ai.diffiml.ops.Conv.direct();

    /** What was counted since the last {@link #take()}. */
    record Tally(long weightMacs, long attentionMacs, long biasBroadcasts) {}

    private GemmCounter(Blas delegate, Field field) {
        this.delegate = delegate;
        this.field = field;
    }

    static GemmCounter install() {
        Blas real = Backends.blas(Device.CPU);
        try {
            Field f = Backends.class.getDeclaredField("cpuBlas");
            f.setAccessible(true);
            GemmCounter counter = new GemmCounter(real, f);
            f.set(null, counter);
            ai.diffiml.ops.Conv.direct(ai.diffiml.ops.Conv.Direct.OFF);
            return counter;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot wrap Backends.cpuBlas (renamed?): " + e, e);
        }
    }

    /** Returns the tally since the last call and starts a new one. */
    Tally take() {
        Tally t = new Tally(weight, attention, biasCalls);
        weight = attention = biasCalls = 0;
        return t;
    }

    private void count(long m, long n, long k, long batch) {
        if (Thread.currentThread() != owner) {
            return;
        }
        String who = WALKER.walk(frames -> frames
                .filter(f -> f.getClassName().equals("ai.diffiml.ops.Attention")
                        || f.getClassName().equals("ai.diffiml.ops.Gemm") && f.getMethodName().equals("broadcastBias"))
                .map(f -> f.getClassName().endsWith("Attention") ? "attention" : "bias")
                .findFirst().orElse("weight"));
        switch (who) {
            case "attention" -> attention += m * n * k * batch;
            case "bias" -> biasCalls++;
            default -> weight += m * n * k * batch;
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        count(m, n, k, 1);
        delegate.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
            long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        count(m, n, k, batch);
        delegate.gemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
                batch);
    }

    @Override
    public String describe() {
        return "counting " + delegate.describe();
    }

    @Override
    public void close() {
        ai.diffiml.ops.Conv.direct(direct);
        try {
            field.set(null, delegate);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
