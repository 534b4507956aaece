package ai.diffiml.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one tolerance rule of the suite: the error of {@code actual} against {@code expected} is the largest
 * absolute difference divided by the largest magnitude of {@code expected} (norm-wise relative error, so values
 * near zero do not dominate). NaN anywhere fails.
 */
public final class Close {
    private Close() {}

    public static double relError(float[] actual, double[] expected) {
        assertEquals(expected.length, actual.length, "length");
        double maxDiff = 0, maxRef = 1e-12;
        for (int i = 0; i < actual.length; i++) {
            if (Float.isNaN(actual[i]) || Double.isNaN(expected[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxDiff / maxRef;
    }

    public static double relError(float[] actual, float[] expected) {
        return relError(actual, toDouble(expected));
    }

    public static void assertClose(String what, float[] actual, double[] expected, double tol) {
        double err = relError(actual, expected);
        assertTrue(err <= tol, () -> what + ": relative error " + err + " > " + tol);
    }

    public static void assertClose(String what, float[] actual, float[] expected, double tol) {
        assertClose(what, actual, toDouble(expected), tol);
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
