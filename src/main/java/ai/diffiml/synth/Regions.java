package ai.diffiml.synth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.joml.Matrix3x2f;
import org.joml.Vector2f;

/**
 * Region outlines, as polygons in pixel coordinates (JOML vectors), and the affine maps that place them. The
 * same shapes serve as the objects of procedural scenes and as the regions that are spliced, copied or inpainted,
 * so a region's outline says nothing about whether it was manipulated.
 */
final class Regions {
    private Regions() {}

    /** The kinds of outline {@link #shape} draws from. */
    enum Kind { BLOB, POLYGON, ELLIPSE, RECTANGLE }

    /** A random outline around the origin with about {@code area} square pixels. */
    static List<Vector2f> shape(SplittableRandom rng, double area) {
        double u = rng.nextDouble();
        Kind kind = u < 0.45 ? Kind.BLOB : u < 0.75 ? Kind.POLYGON : u < 0.9 ? Kind.ELLIPSE : Kind.RECTANGLE;
        return shape(rng, kind, area);
    }

    static List<Vector2f> shape(SplittableRandom rng, Kind kind, double area) {
        List<Vector2f> unit = switch (kind) {
            case BLOB -> blob(rng);
            case POLYGON -> polygon(rng);
            case ELLIPSE -> ellipse();
            case RECTANGLE -> rectangle();
        };
        float aspect = (float) Math.exp(rng.nextDouble(-0.5, 0.5));
        Matrix3x2f m = new Matrix3x2f().rotate((float) rng.nextDouble(0, 2 * Math.PI)).scale(aspect, 1f / aspect);
        List<Vector2f> placed = transform(unit, m);
        float s = (float) Math.sqrt(area / Math.abs(area(placed)));
        return transform(placed, new Matrix3x2f().scale(s));
    }

    /** A smooth star-shaped outline: radius 1 plus a few random harmonics (an object-like silhouette). */
    private static List<Vector2f> blob(SplittableRandom rng) {
        int harmonics = 5;
        double[] amp = new double[harmonics];
        double[] phase = new double[harmonics];
        for (int k = 0; k < harmonics; k++) {
            amp[k] = rng.nextDouble(0, 0.32 / Math.pow(k + 1, 0.9));
            phase[k] = rng.nextDouble(0, 2 * Math.PI);
        }
        int n = 96;
        List<Vector2f> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double t = 2 * Math.PI * i / n;
            double r = 1;
            for (int k = 0; k < harmonics; k++) {
                r += amp[k] * Math.cos((k + 2) * t + phase[k]);
            }
            r = Math.max(r, 0.25);
            out.add(new Vector2f((float) (r * Math.cos(t)), (float) (r * Math.sin(t))));
        }
        return out;
    }

    /** A star-shaped polygon with 3 to 8 vertices at sorted random angles and radii. */
    private static List<Vector2f> polygon(SplittableRandom rng) {
        int n = rng.nextInt(3, 9);
        double[] angles = new double[n];
        double offset = rng.nextDouble(0, 2 * Math.PI);
        for (int i = 0; i < n; i++) {
            // jittered even spacing keeps every vertex gap above a third of the mean gap (no slivers)
            angles[i] = offset + 2 * Math.PI * (i + rng.nextDouble(-0.33, 0.33)) / n;
        }
        Arrays.sort(angles);
        List<Vector2f> out = new ArrayList<>(n);
        for (double a : angles) {
            double r = rng.nextDouble(0.55, 1.0);
            out.add(new Vector2f((float) (r * Math.cos(a)), (float) (r * Math.sin(a))));
        }
        return out;
    }

    private static List<Vector2f> ellipse() {
        int n = 72;
        List<Vector2f> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double t = 2 * Math.PI * i / n;
            out.add(new Vector2f((float) Math.cos(t), (float) Math.sin(t)));
        }
        return out;
    }

    private static List<Vector2f> rectangle() {
        return new ArrayList<>(List.of(new Vector2f(-1, -1), new Vector2f(1, -1), new Vector2f(1, 1),
                new Vector2f(-1, 1)));
    }

    static List<Vector2f> transform(List<Vector2f> polygon, Matrix3x2f m) {
        List<Vector2f> out = new ArrayList<>(polygon.size());
        for (Vector2f p : polygon) {
            out.add(m.transformPosition(new Vector2f(p)));
        }
        return out;
    }

    /** Signed area (shoelace formula). */
    static double area(List<Vector2f> polygon) {
        double sum = 0;
        for (int i = 0, n = polygon.size(); i < n; i++) {
            Vector2f a = polygon.get(i), b = polygon.get((i + 1) % n);
            sum += (double) a.x * b.y - (double) b.x * a.y;
        }
        return sum / 2;
    }

    /** The largest distance of a vertex from the origin. */
    static float radius(List<Vector2f> polygon) {
        float r = 0;
        for (Vector2f p : polygon) {
            r = Math.max(r, p.length());
        }
        return r;
    }

    /**
     * The forward map source -> target of a region moved from {@code from} to {@code to}: rotation by
     * {@code angle} radians and scale {@code scale} about the region's centre ({@code mirror} flips it
     * horizontally first).
     */
    static Matrix3x2f move(Vector2f from, Vector2f to, float scale, float angle, boolean mirror) {
        return new Matrix3x2f().translate(to).rotate(angle).scale(mirror ? -scale : scale, scale)
                .translate(-from.x, -from.y);
    }
}
