package ai.diffiml.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import org.junit.jupiter.api.Test;

class ScopeTest {
    @Test
    void closingAScopeFreesWhatWasCreatedInIt() {
        Tensor t;
        try (Scope s = Scope.open()) {
            t = Tensor.zeros(Device.CPU, 3, 4);
            assertEquals(1, s.size());
        }
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, t::address);
    }

    @Test
    void keptTensorMovesToTheEnclosingScope() {
        Tensor kept;
        try (Scope outer = Scope.open()) {
            try (Scope inner = Scope.open()) {
                kept = inner.keep(Tensor.full(Device.CPU, 2f, 5));
                assertEquals(0, inner.size());
            }
            assertFalse(kept.isClosed());
            assertEquals(1, outer.size());
            assertArrayEquals(new float[] {2, 2, 2, 2, 2}, kept.toArray());
        }
        assertTrue(kept.isClosed());
    }

    @Test
    void tensorKeptFromTheOutermostScopeBelongsToTheCaller() {
        Tensor kept;
        try (Scope s = Scope.open()) {
            kept = s.keep(Tensor.zeros(Device.CPU, 2));
        }
        assertFalse(kept.isClosed());
        kept.close();
        assertTrue(kept.isClosed());
        kept.close(); // idempotent
    }

    @Test
    void detachedTensorsOutliveTheScope() {
        Tensor d;
        try (Scope s = Scope.open()) {
            d = Tensor.detachedEmpty(Device.CPU, 3);
            assertEquals(0, s.size());
        }
        assertFalse(d.isClosed());
        d.close();
    }

    @Test
    void scopesMustCloseInReverseOrder() {
        Scope outer = Scope.open();
        Scope inner = Scope.open();
        assertThrows(IllegalStateException.class, outer::close);
        inner.close();
        outer.close();
    }
}
