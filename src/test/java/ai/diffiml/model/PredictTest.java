package ai.diffiml.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
