package ai.diffiml.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.joml.Matrix3x2f;
import org.joml.Vector2f;

/**
 * Procedural natural-looking scenes: landscapes (sky, clouds, hazy ridges, textured ground), close-up textures
 * (rock, lichen, foliage-like value-noise mixtures) and interiors (lit walls, wood floors), with textured, shaded
 * objects that cast soft shadows; then a camera: global illumination, lens blur, white balance, a Bayer mosaic
 * with signal-dependent sensor noise and demosaicing. Colours come from one "natural" distribution for
 * backgrounds and objects alike, so neither objects nor any region differ in kind from the rest of a scene.
 */
final class SceneRenderer {
    private SceneRenderer() {}

    /** A rendered {@code size x size} scene: 8-bit-valued BGR and its objects' visible coverage. */
    static Capture render(SplittableRandom rng, int size) {
        Raster img;
        int objectCount;
        double rectangles;
        double kind = rng.nextDouble();
        Vector2f light = new Vector2f((float) rng.nextDouble(-1, 1), (float) rng.nextDouble(-1, 0.2)).normalize();
        if (kind < 0.4) {
            img = landscape(rng, size);
            objectCount = rng.nextInt(0, 5);
            rectangles = 0.1;
        } else if (kind < 0.72) {
            img = closeUp(rng, size);
            objectCount = rng.nextInt(0, 4);
            rectangles = 0.1;
        } else {
            img = interior(rng, size);
            objectCount = rng.nextInt(1, 6);
            rectangles = 0.45;
        }
        List<Raster> objects = new ArrayList<>();
        for (int k = 0; k < objectCount; k++) {
            Raster alpha = drawObject(rng, img, light, rectangles);
            for (Raster earlier : objects) {
                for (int i = 0; i < earlier.data.length; i++) {
                    earlier.data[i] *= 1 - alpha.data[i];
                }
            }
            objects.add(alpha);
        }
        illuminate(rng, img);
        camera(rng, img);
        return new Capture(img, objects);
    }

    // ---- backgrounds -------------------------------------------------------------------------------------------

    private static Raster landscape(SplittableRandom rng, int n) {
        Raster img = new Raster(n, n, 3);
        float[] top = Palette.sky(rng);
        float[] low = Palette.mix(top, new float[] {235, 235, 240}, (float) rng.nextDouble(0.25, 0.65));
        float horizon = (float) (n * rng.nextDouble(0.2, 0.6));
        for (int y = 0; y < n; y++) {
            float t = (float) Math.pow(Math.min(1, y / Math.max(1f, horizon)), 0.7);
            float[] c = Palette.mix(top, low, t);
            for (int x = 0; x < n; x++) {
                System.arraycopy(c, 0, img.data, (y * n + x) * 3, 3);
            }
        }
        if (rng.nextDouble() < 0.65) {
            Raster clouds = Noise.fractal(rng, n, n, rng.nextDouble(1.5, 4), rng.nextDouble(1, 3), 6, 0.55);
            float threshold = (float) rng.nextDouble(-0.2, 0.9), opacity = (float) rng.nextDouble(0.35, 0.9);
            float[] cloud = Palette.mix(new float[] {242, 242, 244}, top, (float) rng.nextDouble(0, 0.3));
            for (int i = 0; i < n * n; i++) {
                float a = opacity * Noise.smoothstep(threshold, threshold + 1.2f, clouds.data[i]);
                blend(img.data, i, cloud, a);
            }
        }
        int layers = rng.nextInt(1, 4);
        float base = horizon;
        Raster far = Noise.fractal(rng, n, n, rng.nextDouble(3, 8), rng.nextDouble(3, 8), 4, 0.5);
        for (int l = 0; l < layers; l++) {
            boolean nearest = l == layers - 1;
            // distant ridges: a hazed colour with soft variation; the nearest: the full ground texture
            float haze = nearest ? 0 : Math.min(0.8f, (float) ((layers - 1 - l) * rng.nextDouble(0.2, 0.35)));
            Raster profile = Noise.fractal(rng, n, 1, rng.nextDouble(2, 6), 1, 5, 0.5);
            float amplitude = (float) (n * rng.nextDouble(0.02, 0.12));
            Raster ground = nearest ? groundTexture(rng, n) : null;
            float[] tint = nearest ? null : Palette.mix(Palette.ground(rng), low, haze);
            float variation = (float) rng.nextDouble(0.03, 0.1);
            float[] c = new float[3];
            for (int x = 0; x < n; x++) {
                float edge = base + amplitude * profile.data[x];
                for (int y = Math.max(0, (int) Math.floor(edge) - 1); y < n; y++) {
                    float a = Math.min(1, Math.max(0, y - edge + 0.5f));
                    if (a <= 0) {
                        continue;
                    }
                    int i = y * n + x;
                    if (nearest) {
                        c[0] = ground.data[3 * i];
                        c[1] = ground.data[3 * i + 1];
                        c[2] = ground.data[3 * i + 2];
                    } else {
                        float v = 1 + variation * far.data[i];
                        c[0] = tint[0] * v;
                        c[1] = tint[1] * v;
                        c[2] = tint[2] * v;
                    }
                    blend(img.data, i, c, a);
                }
            }
            base += (float) ((n - base) * rng.nextDouble(0.1, 0.35));
        }
        return img;
    }

    /** Ground: two natural colours mixed by low-frequency noise, with fine multiplicative detail. */
    private static Raster groundTexture(SplittableRandom rng, int n) {
        float[] c1 = Palette.ground(rng), c2 = Palette.ground(rng);
        Raster mix = Noise.fractal(rng, n, n, rng.nextDouble(2, 6), rng.nextDouble(2, 8), 5, 0.55);
        Raster detail = Noise.fractal(rng, n, n, rng.nextDouble(12, 40), rng.nextDouble(12, 40), 3, 0.6);
        float amount = (float) rng.nextDouble(0.06, 0.22);
        Raster out = new Raster(n, n, 3);
        for (int i = 0; i < n * n; i++) {
            float t = Noise.smoothstep(-1.2f, 1.2f, mix.data[i]);
            float d = 1 + amount * detail.data[i];
            for (int c = 0; c < 3; c++) {
                out.data[3 * i + c] = (c1[c] + (c2[c] - c1[c]) * t) * d;
            }
        }
        return out;
    }

    private static Raster closeUp(SplittableRandom rng, int n) {
        Raster img = groundTexture(rng, n);
        if (rng.nextDouble() < 0.6) {
            float[] patch = rng.nextBoolean() ? Palette.ground(rng) : Palette.any(rng);
            Raster f = Noise.fractal(rng, n, n, rng.nextDouble(3, 10), rng.nextDouble(3, 10), 5, 0.6);
            float t0 = (float) rng.nextDouble(0, 1.2), width = (float) rng.nextDouble(0.05, 0.4);
            Raster detail = Noise.fractal(rng, n, n, rng.nextDouble(20, 50), rng.nextDouble(20, 50), 2, 0.5);
            for (int i = 0; i < n * n; i++) {
                float a = Noise.smoothstep(t0, t0 + width, f.data[i]);
                float d = 1 + 0.12f * detail.data[i];
                for (int k = 0; k < 3; k++) {
                    img.data[3 * i + k] += (patch[k] * d - img.data[3 * i + k]) * a;
                }
            }
        }
        return img;
    }

    private static Raster interior(SplittableRandom rng, int n) {
        Raster img = new Raster(n, n, 3);
        float[] wall = rng.nextDouble() < 0.6 ? Palette.neutral(rng) : Palette.any(rng);
        float floorY = (float) (n * rng.nextDouble(0.5, 0.85));
        float gx = (float) rng.nextDouble(-0.35, 0.35), gy = (float) rng.nextDouble(-0.25, 0.25);
        Raster plaster = Noise.fractal(rng, n, n, rng.nextDouble(20, 60), rng.nextDouble(20, 60), 2, 0.5);
        float[] wood1 = Palette.ground(rng), wood2 = Palette.mix(wood1, Palette.ground(rng), 0.5f);
        Raster grain = Noise.fractal(rng, n, n, rng.nextDouble(1, 3), rng.nextDouble(16, 48), 4, 0.55);
        Raster fine = Noise.fractal(rng, n, n, rng.nextDouble(30, 60), rng.nextDouble(30, 60), 2, 0.5);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int i = y * n + x;
                float light = 1 + gx * (x / (float) n - 0.5f) + gy * (y / (float) n - 0.5f);
                float a = Math.min(1, Math.max(0, y - floorY + 0.5f));
                float w = light * (1 + 0.03f * plaster.data[i]);
                float t = Noise.smoothstep(-1.5f, 1.5f, grain.data[i]);
                float d = light * (1 + 0.06f * fine.data[i]);
                for (int k = 0; k < 3; k++) {
                    float wallK = wall[k] * w, floorK = (wood1[k] + (wood2[k] - wood1[k]) * t) * d;
                    img.data[3 * i + k] = wallK + (floorK - wallK) * a;
                }
            }
        }
        return img;
    }

    // ---- objects -----------------------------------------------------------------------------------------------

    /** A textured, shaded object (maybe with a soft shadow) drawn into {@code img}; returns its coverage. */
    private static Raster drawObject(SplittableRandom rng, Raster img, Vector2f light, double rectangles) {
        int n = img.width;
        double area = n * (double) n * Math.exp(rng.nextDouble(Math.log(0.006), Math.log(0.14)));
        List<Vector2f> shape = rng.nextDouble() < rectangles ? Regions.shape(rng, Regions.Kind.RECTANGLE, area)
                : Regions.shape(rng, area);
        Vector2f centre = new Vector2f((float) rng.nextDouble(0, n), (float) rng.nextDouble(0.15 * n, n));
        List<Vector2f> outline = Regions.transform(shape, new Matrix3x2f().translate(centre));
        float r = Regions.radius(shape);
        if (rng.nextDouble() < 0.5) {
            Vector2f offset = new Vector2f(light).mul(-r * (float) rng.nextDouble(0.05, 0.2));
            Raster shadow = Cv.gaussianBlur(Cv.fillPolygon(Regions.transform(outline,
                    new Matrix3x2f().translate(offset)), n, n, true), 1 + r * rng.nextDouble(0.05, 0.2));
            float depth = (float) rng.nextDouble(0.2, 0.5);
            for (int i = 0; i < n * n; i++) {
                float f = 1 - depth * shadow.data[i];
                img.data[3 * i] *= f;
                img.data[3 * i + 1] *= f;
                img.data[3 * i + 2] *= f;
            }
        }
        Raster alpha = Cv.fillPolygon(outline, n, n, true);
        int x0 = clamp((int) Math.floor(centre.x - r) - 1, n), x1 = clamp((int) Math.ceil(centre.x + r) + 2, n);
        int y0 = clamp((int) Math.floor(centre.y - r) - 1, n), y1 = clamp((int) Math.ceil(centre.y + r) + 2, n);
        if (x1 - x0 < 2 || y1 - y0 < 2) {
            return alpha;
        }
        int bw = x1 - x0, bh = y1 - y0;
        float[] c1 = Palette.any(rng);
        float[] c2 = rng.nextDouble() < 0.4 ? Palette.any(rng) : c1;
        double cells = Math.max(2, bw / rng.nextDouble(6, 30));
        Raster tone = Noise.fractal(rng, bw, bh, cells / 4, cells / 4, 3, 0.5);
        Raster texture = Noise.fractal(rng, bw, bh, cells, cells * Math.exp(rng.nextDouble(-1, 1)), 3, 0.6);
        float amount = (float) rng.nextDouble(0.04, 0.25), shading = (float) rng.nextDouble(0.1, 0.4);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                int i = y * n + x;
                float a = alpha.data[i];
                if (a <= 0) {
                    continue;
                }
                int j = (y - y0) * bw + (x - x0);
                float t = Noise.smoothstep(-1, 1, tone.data[j]);
                float s = 1 + shading * ((x - centre.x) * light.x + (y - centre.y) * light.y) / -r;
                float d = Math.max(0.4f, s) * (1 + amount * texture.data[j]);
                for (int k = 0; k < 3; k++) {
                    float v = (c1[k] + (c2[k] - c1[k]) * t) * d;
                    img.data[3 * i + k] += (v - img.data[3 * i + k]) * a;
                }
            }
        }
        return alpha;
    }

    private static int clamp(int v, int n) {
        return Math.max(0, Math.min(n, v));
    }

    private static void blend(float[] img, int pixel, float[] c, float a) {
        for (int k = 0; k < 3; k++) {
            img[3 * pixel + k] += (c[k] - img[3 * pixel + k]) * a;
        }
    }

    // ---- light and camera --------------------------------------------------------------------------------------

    /** Uneven illumination (low-frequency gain field) and, sometimes, vignetting. */
    private static void illuminate(SplittableRandom rng, Raster img) {
        int n = img.width;
        Raster field = Noise.fractal(rng, n, n, rng.nextDouble(1, 2.5), rng.nextDouble(1, 2.5), 2, 0.5);
        float strength = (float) rng.nextDouble(0.03, 0.18);
        float vignette = rng.nextDouble() < 0.4 ? (float) rng.nextDouble(0.1, 0.4) : 0;
        float exposure = (float) Math.exp(rng.nextDouble(-0.25, 0.25));
        float[] vx = new float[n];
        for (int x = 0; x < n; x++) {
            float d = (x - n / 2f) / n;
            vx[x] = 2 * vignette * d * d;
        }
        for (int y = 0; y < n; y++) {
            float vy = vx[y];
            for (int x = 0; x < n; x++) {
                int i = y * n + x;
                float g = exposure * (1 + strength * field.data[i]) * (1 - vx[x] - vy);
                img.data[3 * i] *= g;
                img.data[3 * i + 1] *= g;
                img.data[3 * i + 2] *= g;
            }
        }
    }

    /**
     * Optics and sensor: lens blur, white balance, then (usually) a Bayer mosaic whose samples get shot and read
     * noise before demosaicing (bilinear or edge-aware), else per-channel noise; 8-bit quantisation.
     */
    private static void camera(SplittableRandom rng, Raster img) {
        int n = img.width;
        Raster optics = rng.nextDouble() < 0.85 ? Cv.gaussianBlur(img, rng.nextDouble(0.3, 0.9)) : img;
        float[] wb = {(float) rng.nextDouble(0.93, 1.07), 1f, (float) rng.nextDouble(0.93, 1.07)};
        // Exposure index from base ISO to high ISO: shot-noise gain and read-noise sigma log-uniform, so two
        // captures (host and donor) often differ in noise level by a factor of two or more, as two cameras do.
        double gain = Math.exp(rng.nextDouble(Math.log(0.005), Math.log(0.4)));
        double readSigma = Math.exp(rng.nextDouble(Math.log(0.3), Math.log(6.0))), read = readSigma * readSigma;
        if (rng.nextDouble() < 0.7) {
            Raster mosaic = new Raster(n, n, 1);
            float[] sigma = new float[n * n];
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int ch = (y & 1) == 0 ? ((x & 1) == 0 ? 2 : 1) : ((x & 1) == 0 ? 1 : 0);
                    float v = optics.data[3 * (y * n + x) + ch] * wb[ch];
                    mosaic.data[y * n + x] = v;
                    sigma[y * n + x] = (float) Math.sqrt(gain * Math.max(v, 0) + read);
                }
            }
            Noise.addGaussian(rng, mosaic.data, sigma, 0);
            Raster rgb = Cv.demosaic(mosaic, rng.nextDouble() < 0.4);
            System.arraycopy(rgb.data, 0, img.data, 0, img.data.length);
        } else {
            float[] sigma = new float[img.data.length];
            for (int i = 0; i < img.data.length; i++) {
                float v = optics.data[i] * wb[i % 3];
                img.data[i] = v;
                sigma[i] = (float) Math.sqrt(gain * Math.max(v, 0) + read);
            }
            Noise.addGaussian(rng, img.data, sigma, 0);
        }
        img.quantize();
    }
}
