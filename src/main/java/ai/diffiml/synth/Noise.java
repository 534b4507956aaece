package ai.diffiml.synth;

import java.util.SplittableRandom;

/** Fractal value noise and fast Gaussian samples. */
final class Noise {
    /** Standard normal quantiles at (i + 1/2) / 65536: a table Gaussian samples are drawn from uniformly. */
    private static final float[] NORMAL = normalTable(1 << 16);

    private Noise() {}

    /**
     * A {@code width x height} field of zero mean and unit standard deviation: {@code octaves} value-noise layers,
     * the first with about {@code cellsX x cellsY} cells, each next one twice as fine and {@code persistence} times
     * as strong; octaves finer than 3 pixels per cell are left out. The layers are summed at 4 samples per cell of
     * the finest one (at most the output size) and the sum upsampled bicubically.
     */
    static Raster fractal(SplittableRandom rng, int width, int height, double cellsX, double cellsY, int octaves,
            double persistence) {
        int[] gx = new int[octaves], gy = new int[octaves];
        int used = 0;
        for (int o = 0; o < octaves; o++) {
            double scale = Math.pow(2, o);
            gx[o] = Math.max(2, (int) Math.ceil(cellsX * scale)) + 1;
            gy[o] = height == 1 ? 1 : Math.max(2, (int) Math.ceil(cellsY * scale)) + 1;
            if (o > 0 && (gx[o] > width / 3 + 1 || (height > 1 && gy[o] > height / 3 + 1))) {
                break;
            }
            used++;
        }
        int w = Math.min(width, 4 * gx[used - 1]), h = Math.min(height, 4 * gy[used - 1]);
        float[] acc = new float[w * h];
        double amplitude = 1;
        for (int o = 0; o < used; o++) {
            float[] grid = new float[gx[o] * gy[o]];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = (float) rng.nextDouble(-1, 1);
            }
            Raster layer = Cv.upsample(grid, gx[o], gy[o], w, h);
            float a = (float) amplitude;
            for (int i = 0; i < acc.length; i++) {
                acc[i] += a * layer.data[i];
            }
            amplitude *= persistence;
        }
        Raster field = new Raster(w, h, 1, acc);
        if (w != width || h != height) {
            field = Cv.upsample(acc, w, h, width, height);
        }
        double sum = 0, sq = 0;
        for (float v : field.data) {
            sum += v;
            sq += v * v;
        }
        int n = field.data.length;
        float mean = (float) (sum / n), inv = (float) (1 / Math.sqrt(Math.max(1e-12, sq / n - (sum / n) * (sum / n))));
        for (int i = 0; i < n; i++) {
            field.data[i] = (field.data[i] - mean) * inv;
        }
        return field;
    }

    /** 0 below {@code a}, 1 above {@code b}, a smooth cubic step between. */
    static float smoothstep(float a, float b, float x) {
        float t = Math.max(0, Math.min(1, (x - a) / (b - a)));
        return t * t * (3 - 2 * t);
    }

    /**
     * Adds {@code sigma[i]} x a standard normal sample to {@code values[i]} for each i with {@code sigma} non-null,
     * or {@code scale} x a sample otherwise; samples are drawn uniformly from a 65536-quantile table (two per
     * random int), which is fast and, for image noise, indistinguishable from exact sampling.
     */
    static void addGaussian(SplittableRandom rng, float[] values, float[] sigma, float scale) {
        int bits = 0;
        for (int i = 0; i < values.length; i++) {
            int k;
            if ((i & 1) == 0) {
                bits = rng.nextInt();
                k = bits >>> 16;
            } else {
                k = bits & 0xffff;
            }
            values[i] += (sigma != null ? sigma[i] : scale) * NORMAL[k];
        }
    }

    private static float[] normalTable(int n) {
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = (float) inverseNormal((i + 0.5) / n);
        }
        return t;
    }

    /** The standard normal quantile function (Acklam's rational approximation, refined by one Halley step). */
    static double inverseNormal(double p) {
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double x;
        if (p < 0.02425) {
            double q = Math.sqrt(-2 * Math.log(p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        } else if (p > 1 - 0.02425) {
            double q = Math.sqrt(-2 * Math.log(1 - p));
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        } else {
            double q = p - 0.5, r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                    / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        double e = 0.5 * erfc(-x / Math.sqrt(2)) - p;
        double u = e * Math.sqrt(2 * Math.PI) * Math.exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    /** Complementary error function (Numerical Recipes' erfcc, relative error below 1.2e-7). */
    private static double erfc(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
