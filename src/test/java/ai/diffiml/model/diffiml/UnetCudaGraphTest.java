package ai.diffiml.model.diffiml;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.nn.Init;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** {@link DenoisingUnet#useCudaGraphs}: replayed calls compute what eager calls compute, one graph per shape. */
class UnetCudaGraphTest {
    private static final int LAT = 4, CH = 32, COND = 16, H = 8;

    private static float[] call(DenoisingUnet unet, Device device, float[] y, float[] cond, int[] t) {
        int b = t.length;
        try (Scope s = Scope.open()) {
            return unet.forward(Tensor.of(device, y, b, 2 * LAT, H, H), t, Tensor.of(device, cond, b, COND, H, H))
                    .toArray();
        }
    }

    @Test
    void graphsAreANoOpOnTheCpu() {
        Rand r = new Rand(31);
        float[] y = r.uniform(2L * 2 * LAT * H * H, -1, 1), cond = r.uniform(2L * COND * H * H, -1, 1);
        try (GradMode.Guard g = GradMode.disabled(); DenoisingUnet unet = new DenoisingUnet(Device.CPU, LAT, CH, COND)) {
            unet.init(new Init(1));
            float[] eager = call(unet, Device.CPU, y, cond, new int[] {10, 900});
            unet.useCudaGraphs(true);
            assertArrayEquals(eager, call(unet, Device.CPU, y, cond, new int[] {10, 900}));
            assertEquals(0, unet.cudaGraphs());
        }
    }

    @CudaTest
    void replayedCallsMatchEagerCallsOnFreshInputs() {
        Rand r = new Rand(32);
        try (GradMode.Guard g = GradMode.disabled();
                DenoisingUnet eager = new DenoisingUnet(Device.CUDA, LAT, CH, COND);
                DenoisingUnet graphed = new DenoisingUnet(Device.CUDA, LAT, CH, COND)) {
            eager.init(new Init(2));
            graphed.init(new Init(2));
            graphed.useCudaGraphs(true);
            int[][] steps = {{999, 999}, {750, 750}, {1, 1}, {500, 20, 7}};
            for (int[] t : steps) {
                int b = t.length;
                float[] y = r.uniform((long) b * 2 * LAT * H * H, -1, 1), cond = r.uniform((long) b * COND * H * H, -1, 1);
                Tensor.poisonAllocations(true);
                try {
                    float[] expected = call(eager, Device.CUDA, y, cond, t);
                    assertClose("graph replay, batch " + b + ", t " + t[0], call(graphed, Device.CUDA, y, cond, t),
                            expected, 1e-6);
                } finally {
                    Tensor.poisonAllocations(false);
                }
            }
            assertEquals(2, graphed.cudaGraphs(), "one graph per input shape (batch 2 and batch 3)");
        }
    }
}
