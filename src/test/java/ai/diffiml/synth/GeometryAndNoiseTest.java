package ai.diffiml.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.data.OpenCv;
import java.util.List;
import java.util.SplittableRandom;
import org.joml.Matrix3x2f;
import org.joml.Vector2f;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The building blocks: region outlines and moves (JOML), the Gaussian table, fractal noise. */
class GeometryAndNoiseTest {
    @BeforeAll
    static void load() {
        OpenCv.load();
    }

    @Test
    void outlinesHaveTheRequestedAreaAndRasteriseToIt() {
        SplittableRandom rng = new SplittableRandom(1);
        for (Regions.Kind kind : Regions.Kind.values()) {
            for (int k = 0; k < 5; k++) {
                double area = 400 + 300 * k;
                List<Vector2f> shape = Regions.shape(rng, kind, area);
                assertEquals(area, Math.abs(Regions.area(shape)), 1e-3 * area, kind + " polygon area");
                List<Vector2f> placed = Regions.transform(shape, new Matrix3x2f().translate(64, 64));
                double pixels = Cv.fillPolygon(placed, 128, 128, false).mean() * 128 * 128;
                assertEquals(area, pixels, 0.08 * area + 2 * Math.sqrt(area), kind + " rasterised area");
            }
        }
    }

    @Test
    void moveMapsTheSourceCentreToTheTargetAndScalesDistances() {
        Vector2f from = new Vector2f(10, 20), to = new Vector2f(50, 70);
        Matrix3x2f m = Regions.move(from, to, 1.5f, (float) Math.toRadians(30), true);
        Vector2f c = m.transformPosition(new Vector2f(from));
        assertEquals(50, c.x, 1e-4);
        assertEquals(70, c.y, 1e-4);
        Vector2f p = m.transformPosition(new Vector2f(14, 23));
        assertEquals(7.5, p.distance(to), 1e-4, "5 px at scale 1.5");
        assertEquals(-2.25, m.determinant(), 1e-4, "scale 1.5 squared, mirrored: negative");
    }

    @Test
    void gaussianSamplesAreStandardNormal() {
        assertEquals(1.959964, Noise.inverseNormal(0.975), 1e-6);
        assertEquals(-2.326348, Noise.inverseNormal(0.01), 1e-6);
        assertEquals(0, Noise.inverseNormal(0.5), 1e-6);
        float[] v = new float[200_000];
        Noise.addGaussian(new SplittableRandom(3), v, null, 2f);
        double sum = 0, sq = 0, beyond = 0;
        for (float x : v) {
            sum += x;
            sq += x * x;
            beyond += Math.abs(x) > 2 * 1.959964 ? 1 : 0;
        }
        double mean = sum / v.length, sd = Math.sqrt(sq / v.length - mean * mean);
        assertEquals(0, mean, 0.02);
        assertEquals(2, sd, 0.02);
        assertEquals(0.05, beyond / v.length, 0.003, "two-sided 5% tail");
    }

    @Test
    void fractalNoiseIsStandardisedAndSmooth() {
        Raster f = Noise.fractal(new SplittableRandom(4), 96, 80, 3, 3, 4, 0.5);
        assertEquals(96, f.width);
        assertEquals(80, f.height);
        double sum = 0, sq = 0, step = 0;
        for (int y = 0; y < 80; y++) {
            for (int x = 0; x < 96; x++) {
                float v = f.data[y * 96 + x];
                sum += v;
                sq += v * v;
                if (x > 0) {
                    step += Math.abs(v - f.data[y * 96 + x - 1]);
                }
            }
        }
        int n = 96 * 80;
        assertEquals(0, sum / n, 1e-4);
        assertEquals(1, Math.sqrt(sq / n), 1e-3);
        assertTrue(step / (80 * 95) < 0.25, "neighbouring values close: mean step " + step / (80 * 95));
    }
}
