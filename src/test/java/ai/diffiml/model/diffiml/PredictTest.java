package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Close;
import ai.diffiml.testing.CudaTest;
import ai.diffiml.testing.Rand;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The prediction pipeline on a small random-weight model (b0, 64 px): determinism, TTA fusion, shapes. */
class PredictTest {
    static final ModelConfig SMALL = new ModelConfig("b0", 64, 128, 128, 4, 32, 1e-6f, 1e-5f, 0.0, 1000, 3, 2,
            0.1f, 0.2f, true);

    @Test
    void sameSeedSameMapAndOtherSeedOtherMap() {
        try (DiffIml model = new DiffIml(SMALL, Device.CPU).init(1); Scope s = Scope.open()) {
            model.train(false);
            Tensor image = new Rand(2).tensor(1, 3, 64, 64);
            float[] a = model.predict(image, new DiffIml.Sampling(3, 2, false, 42)).toArray();
            float[] b = model.predict(image, new DiffIml.Sampling(3, 2, false, 42)).toArray();
            float[] c = model.predict(image, new DiffIml.Sampling(3, 2, false, 43)).toArray();
            assertEquals(64 * 64, a.length);
            assertArrayEquals(a, b);
            assertFalse(Arrays.equals(a, c), "a different seed must give different noise");
            for (float p : a) {
                assertTrue(p > 0 && p < 1, "probabilities lie in (0, 1)");
            }
            assertEquals(0, Tape.size(), "prediction records nothing");
        }
    }

    @Test
    void flipTtaIsTheMaxOfTheMapAndTheMirroredMap() {
        try (DiffIml model = new DiffIml(SMALL, Device.CPU).init(3); Scope s = Scope.open()) {
            model.train(false);
            Tensor image = new Rand(4).tensor(2, 3, 64, 64);
            DiffIml.Sampling plain = new DiffIml.Sampling(2, 1, false, 7);
            float[] direct = model.predict(image, plain).toArray();
            float[] mirrored = Layout.flip(model.predict(Layout.flip(image, 3), plain), 3).toArray();
            float[] fused = model.predict(image, new DiffIml.Sampling(2, 1, true, 7)).toArray();
            float[] expected = new float[direct.length];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = Math.max(direct[i], mirrored[i]);
            }
            assertArrayEquals(expected, fused);
        }
    }

    @Test
    void stagedPredictionOfOneImageIsPredictAndTimesEveryStage() {
        try (DiffIml model = new DiffIml(SMALL, Device.CPU).init(8); Scope s = Scope.open()) {
            model.train(false);
            Tensor image = new Rand(9).tensor(1, 3, 64, 64);
            DiffIml.Sampling sampling = new DiffIml.Sampling(2, 3, true, 5);
            long[] ns = new long[3];
            DiffIml.Prediction staged = model.predictStaged(image, sampling, true,
                    (stage, nanos) -> ns[stage.ordinal()] += nanos);
            assertArrayEquals(model.predict(image, sampling).toArray(), staged.probability().toArray());
            for (long n : ns) {
                assertTrue(n > 0, "every stage timed");
            }
            assertArrayEquals(new int[] {3, 1, 64, 64}, staged.memberProbabilities().shape());
            assertEquals(null, model.predictStaged(image, sampling, false, null).memberProbabilities());
            assertEquals(0, Tape.size(), "prediction records nothing");
        }
    }

    @Test
    void memberMapsAreEachChainDecodedAndTheirLatentMeanIsTheMethod() {
        try (DiffIml model = new DiffIml(SMALL, Device.CPU).init(10); Scope s = Scope.open();
                GradMode.Guard g = GradMode.disabled()) {
            model.train(false);
            Tensor image = new Rand(11).tensor(1, 3, 64, 64);
            DiffIml.Sampling sampling = new DiffIml.Sampling(2, 2, false, 6);
            DiffIml.Prediction staged = model.predictStaged(image, sampling, true, null);
            Tensor chains = model.sampleChains(model.condition(image), model.noisePerImage(1, 2, 8, 8, 6), 2, 2,
                    null);
            float[] members = ai.diffiml.ops.Activations.sigmoid(model.decodeMaskLogits(chains)).toArray();
            assertArrayEquals(members, staged.memberProbabilities().toArray());
            float[] mean = ai.diffiml.ops.Activations.sigmoid(model.decodeMaskLogits(
                    DiffIml.meanOfChains(chains, 2))).toArray();
            assertArrayEquals(mean, staged.probability().toArray());
        }
    }

    @Test
    void stagedPredictionGivesEveryImageOfABatchItsOwnSeededNoise() {
        try (DiffIml model = new DiffIml(SMALL, Device.CPU).init(12); Scope s = Scope.open()) {
            model.train(false);
            Rand r = new Rand(13);
            Tensor a = r.tensor(1, 3, 64, 64), b = r.tensor(1, 3, 64, 64);
            DiffIml.Sampling sampling = new DiffIml.Sampling(2, 2, false, 7);
            float[] alone = model.predictStaged(a, sampling, false, null).probability().toArray();
            float[] pair = model.predictStaged(Layout.concat(0, b, a), sampling, false, null).probability()
                    .toArray();
            float[] second = Arrays.copyOfRange(pair, 64 * 64, 2 * 64 * 64);
            Close.assertClose("image a in second place of a batch", second, alone, 1e-5);
            float[] noise = model.noisePerImage(2, 3, 4, 4, 1).toArray();
            int chain = 8 * 4 * 4;
            float[] one = DiffIml.gaussian(1, 3, 8, 4, 4);
            for (int m = 0; m < 3; m++) {
                for (int i = 0; i < 2; i++) {
                    assertArrayEquals(Arrays.copyOfRange(one, m * chain, (m + 1) * chain),
                            Arrays.copyOfRange(noise, (m * 2 + i) * chain, (m * 2 + i + 1) * chain));
                }
            }
        }
    }

    @Test
    void badSamplingSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DiffIml.Sampling(0, 1, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new DiffIml.Sampling(8, 0, false, 0));
    }

    @CudaTest
    void cudaPredictionMatchesCpu() {
        try (DiffIml cpu = new DiffIml(SMALL, Device.CPU).init(5); DiffIml gpu = new DiffIml(SMALL, Device.CUDA);
                Scope s = Scope.open()) {
            cpu.train(false);
            gpu.train(false);
            cpu.stateDict().forEach((name, t) -> gpu.stateDict().get(name).copyFrom(t));
            Tensor image = new Rand(6).tensor(1, 3, 64, 64);
            DiffIml.Sampling sampling = new DiffIml.Sampling(3, 2, true, 9);
            float[] want = cpu.predict(image, sampling).toArray();
            float[] got = gpu.predict(image.to(Device.CUDA), sampling).toArray();
            Close.assertClose("prediction CUDA vs CPU", got, want, 1e-4);
        }
    }
}
