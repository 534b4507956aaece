package ai.diffiml.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Warm-up and cosine values against hand-computed ones. */
class LrScheduleTest {
    private static final double TOL = 1e-15;

    @Test
    void linearWarmupThenCosineToZero() {
        LrSchedule s = new LrSchedule(1e-4, 4, 12);
        assertEquals(0, s.at(0), TOL); // BenCo/MAE: the first iteration runs at lr 0
        assertEquals(0.25e-4, s.at(1), TOL);
        assertEquals(0.5e-4, s.at(2), TOL);
        assertEquals(1e-4, s.at(4), TOL); // the peak, where the cosine starts
        assertEquals(1e-4 * 0.5 * (1 + Math.cos(Math.PI / 8)), s.at(5), TOL);
        assertEquals(0.5e-4, s.at(8), TOL); // half way through the cosine
        assertEquals(1e-4 * 0.5 * (1 - Math.sqrt(0.5)), s.at(10), TOL);
        assertEquals(0, s.at(12), TOL);
        assertEquals(0, s.at(20), TOL); // past the end stays at 0
        for (long i = 4; i < 12; i++) {
            assertTrue(s.at(i + 1) < s.at(i), "not decreasing at " + i);
        }
    }

    @Test
    void cosineEndsAtTheFloor() {
        LrSchedule s = new LrSchedule(1e-3, 2, 10, 0.1);
        assertEquals(1e-3, s.at(2), TOL);
        assertEquals(1e-4 + 0.9e-3 * 0.5, s.at(6), 1e-12); // half way: the middle of peak and floor
        assertEquals(1e-4, s.at(10), 1e-12);
        assertEquals(1e-4, s.at(15), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-3, 2, 10, 1.5));
    }

    @Test
    void epochsConvertToIterations() {
        LrSchedule s = LrSchedule.ofEpochs(1e-4, 2, 10, 5);
        assertEquals(new LrSchedule(1e-4, 10, 50), s);
        assertEquals(new LrSchedule(1e-4, 3, 50), LrSchedule.ofEpochs(1e-4, 0.5, 10, 5)); // 2.5 rounds to 3
    }

    @Test
    void noWarmupStartsAtThePeakAndAllWarmupNeverDecays() {
        assertEquals(1e-4, new LrSchedule(1e-4, 0, 10).at(0), TOL);
        LrSchedule warm = new LrSchedule(1e-4, 10, 5);
        assertEquals(0.2e-4, warm.at(2), TOL);
        assertEquals(1e-4, new LrSchedule(1e-4, 5, 5).at(7), TOL);
    }

    @Test
    void refusesBadValues() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(-1, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-4, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-4, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.ofEpochs(1e-4, 2, 0, 5));
    }
}
