package ai.diffiml.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void valuesRoundTripThroughNativeMemory() {
        try (Scope s = Scope.open()) {
            float[] data = {1.5f, -2f, 3.25f, 0.125f, 7f, -0f};
            Tensor t = Tensor.of(Device.CPU, data, 2, 3);
            assertArrayEquals(data, t.toArray());
            assertArrayEquals(new int[] {2, 3}, t.shape());
            assertEquals(6, t.numel());
            assertArrayEquals(data, t.copy().toArray());
            assertEquals(3.25f, t.hostBuffer().get(2));
        }
    }

    @Test
    void viewSharesMemoryAndDiesWithItsBase() {
        Tensor base = Tensor.zeros(Device.CPU, 2, 6);
        Tensor v = base.view(3, 4);
        v.fill(4f);
        assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}, base.toArray());
        base.close();
        assertThrows(IllegalStateException.class, v::toArray);
    }

    @Test
    void errorsNameTheShapes() {
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.zeros(Device.CPU, 2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.view(4, 2));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(Device.CPU, new float[5], 2, 3));
            assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Shapes.requireSame("add", t, Tensor.zeros(Device.CPU, 3, 2)));
            assertTrue(e.getMessage().startsWith("add:"), e.getMessage());
        }
    }

    @Test
    void poisonedAllocationsAreNaN() {
        Tensor.poisonAllocations(true);
        try (Scope s = Scope.open()) {
            for (float f : Tensor.empty(Device.CPU, 17).toArray()) {
                assertTrue(Float.isNaN(f));
            }
        } finally {
            Tensor.poisonAllocations(false);
        }
    }
}
