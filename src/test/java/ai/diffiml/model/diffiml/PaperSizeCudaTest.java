package ai.diffiml.model.diffiml;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.Rand;
import java.util.Map;

/**
 * CUDA against the CPU reference at the paper's sizes, where the toy-size parity tests do not reach: one UNet call
 * at 512 px (64 x 64 latents, width 128, so the mid-block attention is 16 heads x 4096 x 4096 through the fused
 * kernel on CUDA and the GEMM path on the CPU) and the MiT-b3 encoder on a 512 x 512 image (its first stage runs
 * attention over 16384 queries). The same weights on both devices (copied), CUDA allocations NaN-poisoned.
 */
class PaperSizeCudaTest {
    private static final ModelConfig PAPER = ModelConfig.paper();
    /** Norm-wise relative error allowed: float32 with different summation orders and FMA contraction on CUDA. */
    private static final double TOL = 1e-4;

    private static void copyWeights(Module from, Module to) {
        for (Map<String, Tensor>[] pair : pairs(from, to)) {
            assertEquals(pair[0].keySet(), pair[1].keySet());
            pair[0].forEach((name, t) -> pair[1].get(name).copyFrom(t));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Tensor>[][] pairs(Module from, Module to) {
        return new Map[][] {{from.namedParameters(), to.namedParameters()}, {from.namedBuffers(), to.namedBuffers()}};
    }

    @CudaTest
    void unetCallAtPaperSizeMatchesCpu() {
        int h = PAPER.resolution() / 8, ch = PAPER.unetChannels(), lat = PAPER.latentChannels();
        Rand r = new Rand(21);
        float[] y = r.uniform(2L * lat * h * h, -1, 1), cond = r.uniform((long) PAPER.condChannels() * h * h, -1, 1);
        int[] t = {601};
        try (GradMode.Guard g = GradMode.disabled();
                DenoisingUnet cpu = new DenoisingUnet(Device.CPU, lat, ch, PAPER.condChannels());
                DenoisingUnet cuda = new DenoisingUnet(Device.CUDA, lat, ch, PAPER.condChannels())) {
            cpu.init(new Init(3));
            copyWeights(cpu, cuda);
            float[] expected;
            try (Scope s = Scope.open()) {
                expected = cpu.forward(Tensor.of(Device.CPU, y, 1, 2 * lat, h, h), t,
                        Tensor.of(Device.CPU, cond, 1, PAPER.condChannels(), h, h)).toArray();
            }
            Tensor.poisonAllocations(true);
            try (Scope s = Scope.open()) {
                float[] actual = cuda.forward(Tensor.of(Device.CUDA, y, 1, 2 * lat, h, h), t,
                        Tensor.of(Device.CUDA, cond, 1, PAPER.condChannels(), h, h)).toArray();
                assertClose("UNet call at 512 px (CUDA vs CPU)", actual, expected, TOL);
            } finally {
                Tensor.poisonAllocations(false);
            }
        }
    }

    @CudaTest
    void mitB3EncoderAt512MatchesCpu() {
        int res = PAPER.resolution();
        float[] image = new Rand(22).uniform(3L * res * res, -2, 2);
        try (GradMode.Guard g = GradMode.disabled();
                DiffIml cpu = new DiffIml(PAPER, Device.CPU).init(5);
                DiffIml cuda = new DiffIml(PAPER, Device.CUDA)) {
            copyWeights(cpu.encoder(), cuda.encoder());
            cpu.train(false);
            cuda.train(false);
            float[][] expected;
            try (Scope s = Scope.open()) {
                Tensor[] stages = cpu.encoder().forward(Tensor.of(Device.CPU, image, 1, 3, res, res));
                expected = new float[stages.length][];
                for (int i = 0; i < stages.length; i++) {
                    expected[i] = stages[i].toArray();
                }
            }
            Tensor.poisonAllocations(true);
            try (Scope s = Scope.open()) {
                Tensor[] stages = cuda.encoder().forward(Tensor.of(Device.CUDA, image, 1, 3, res, res));
                assertEquals(expected.length, stages.length);
                for (int i = 0; i < stages.length; i++) {
                    assertClose("MiT-b3 stage " + (i + 1) + " at 512 px (CUDA vs CPU)", stages[i].toArray(),
                            expected[i], TOL);
                }
            } finally {
                Tensor.poisonAllocations(false);
            }
        }
    }
}
