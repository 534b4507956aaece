package ai.diffiml.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

class TapeTest {
    @Test
    void inferenceModeRecordsNothingAndAllocatesNoGradient() {
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            Tensor w = new Rand(1).param(4);
            Tensor y = Activations.tanh(Arithmetic.mul(w, w));
            assertEquals(0, Tape.size());
            assertFalse(y.requiresGrad());
            assertNull(w.grad());
        }
        assertTrue(GradMode.enabled(), "the guard restores grad mode");
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilCleared() {
        Tensor w = Tensor.of(Device.CPU, new float[] {1, 2, 3}, 3).requiresGrad(true);
        try (Scope s = Scope.open()) {
            for (int i = 0; i < 2; i++) {
                Tensor y = Arithmetic.scale(w, 3f);
                Tape.backward(y, Tensor.full(Device.CPU, 1f, 3));
            }
            assertArrayEquals(new float[] {6, 6, 6}, w.grad().toArray());
            assertEquals(0, Tape.size(), "backward clears the tape");
        }
        assertFalse(w.grad().isClosed(), "leaf gradients outlive the step scope");
        w.close();
        assertTrue(w.isClosed());
    }

    @Test
    void aTensorUsedTwiceGetsBothContributions() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(Device.CPU, new float[] {1, -2}, 2).requiresGrad(true);
            Tensor h = Activations.tanh(x); // an intermediate used by two ops
            Tensor y = Arithmetic.add(Arithmetic.add(h, h), Arithmetic.scale(h, 0.5f));
            Tape.backward(y, Tensor.full(Device.CPU, 1f, 2));
            float[] g = x.grad().toArray();
            for (int i = 0; i < 2; i++) {
                double t = Math.tanh(new float[] {1, -2}[i]);
                assertEquals(2.5 * (1 - t * t), g[i], 1e-6);
            }
        }
    }

    @Test
    void chainedOpsMatchFiniteDifferences() {
        try (Scope s = Scope.open()) {
            Rand r = new Rand(2);
            Tensor x = r.param(3, 5), v = r.param(5);
            new GradCheck().check("silu(x*v)+tanh(x)", in -> Arithmetic.add(
                    Activations.silu(Arithmetic.mulAlong(in[0], in[1], 1)), Activations.tanh(in[0])), x, v);
        }
    }

    @Test
    void backwardNeedsAScalarOrAMatchingGradient() {
        try (Scope s = Scope.open()) {
            Tensor x = new Rand(3).param(2, 2);
            Tensor y = Activations.relu(x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tape.backward(y));
            assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
            Tape.clear();
        }
    }
}
