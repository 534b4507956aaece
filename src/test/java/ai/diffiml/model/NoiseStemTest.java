package ai.diffiml.model;

import static ai.diffiml.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Preprocess;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.nn.Init;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.GradCheck;
import ai.diffiml.testing.Rand;
import org.junit.jupiter.api.Test;

/** The noise stem: its residuals against a direct computation, the Bayar constraint, gradients, imports. */
class NoiseStemTest {
    @Test
    void imagenetStdMatchesThePreprocessing() {
        assertArrayEquals(Preprocess.STD, NoiseStem.IMAGENET_STD);
    }

    @Test
    void kindsParseAndUnknownOnesAreRefused() {
        assertEquals(NoiseStem.Kind.SRM_BAYAR, NoiseStem.Kind.parse("SRM+Bayar"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseStem.Kind.parse("sobel"));
        assertEquals("unknown noise stem 'sobel' (expected none, srm or srm+bayar)", e.getMessage());
    }

    /**
     * The stem's log energies, computed here directly in double from the grey levels of a random image: SRM kernel
     * j on channel c at (y, x), squared, box-averaged over 5x5 with zero padding, log1p. Checked through the
     * projection by giving it one-hot weights.
     */
    @Test
    void logEnergyOfSrmResidualsMatchesADirectComputation() {
        int h = 9, w = 11;
        try (Scope s = Scope.open(); NoiseStem stem = new NoiseStem(Device.CPU, NoiseStem.Kind.SRM, 18)) {
            float[] grey = new Rand(3).uniform(3 * h * w, 0, 255);
            float[] normalised = new float[grey.length];
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < h * w; i++) {
                    normalised[c * h * w + i] = (grey[c * h * w + i] / 255f - Preprocess.MEAN[c]) / Preprocess.STD[c];
                }
            }
            Tensor image = Tensor.of(Device.CPU, normalised, 1, 3, h, w);
            float[] features = stem.features(image).toArray(); // [1, 18, h, w]
            float[] k = NoiseStem.srmWeights();
            double[] expected = new double[9 * h * w];
            double[] residual = new double[9 * h * w];
            for (int c = 0; c < 3; c++) {
                for (int j = 0; j < 3; j++) {
                    int o = c * 3 + j;
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            double r = 0;
                            for (int dy = -2; dy <= 2; dy++) {
                                for (int dx = -2; dx <= 2; dx++) {
                                    int yy = y + dy, xx = x + dx;
                                    double v = yy < 0 || yy >= h || xx < 0 || xx >= w ? 0
                                            : normalised[c * h * w + yy * w + xx];
                                    r += k[o * 25 + (dy + 2) * 5 + dx + 2] * v;
                                }
                            }
                            residual[o * h * w + y * w + x] = r;
                        }
                    }
                }
            }
            for (int o = 0; o < 9; o++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double e = 0;
                        for (int dy = -2; dy <= 2; dy++) {
                            for (int dx = -2; dx <= 2; dx++) {
                                int yy = y + dy, xx = x + dx;
                                if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                    double r = residual[o * h * w + yy * w + xx];
                                    e += r * r;
                                }
                            }
                        }
                        expected[o * h * w + y * w + x] = Math.log1p(e / 25);
                    }
                }
            }
            float[] energies = java.util.Arrays.copyOfRange(features, 9 * h * w, 18 * h * w);
            assertClose("log energy", energies, expected, 1e-4);
            // the first feature channel is channel 0's first residual, divided by the scale
            double[] firstResidual = new double[h * w];
            for (int i = 0; i < h * w; i++) {
                firstResidual[i] = residual[i] / NoiseStem.RESIDUAL_SCALE;
            }
            assertClose("residual", java.util.Arrays.copyOfRange(features, 0, h * w), firstResidual, 1e-4);
        }
    }

    @Test
    void srmKernelsAreInGreyLevels() {
        float[] k = NoiseStem.srmWeights();
        // the third kernel of channel 1: [1, -2, 1] / 2 in the middle row, times 255 x std
        float unit = 255f * Preprocess.STD[1];
        assertEquals(0.5f * unit, k[(3 + 2) * 25 + 11], 1e-4f);
        assertEquals(-1f * unit, k[(3 + 2) * 25 + 12], 1e-4f);
        double sum = 0;
        for (int i = 0; i < 25; i++) {
            sum += k[4 * 25 + i]; // every SRM kernel is high-pass: its taps sum to 0
        }
        assertEquals(0, sum, 1e-3);
    }

    @Test
    void bayarKernelKeepsItsConstraint() {
        try (Scope s = Scope.open(); NoiseStem stem = new NoiseStem(Device.CPU, NoiseStem.Kind.SRM_BAYAR, 8)) {
            stem.init(new Init(5));
            float[] k = stem.bayarKernel().toArray(); // [3, 3, 5, 5]
            for (int o = 0; o < 3; o++) {
                for (int i = 0; i < 3; i++) {
                    float unit = 255f * Preprocess.STD[i];
                    double free = 0;
                    for (int t = 0; t < 25; t++) {
                        if (t != 12) {
                            free += k[(o * 3 + i) * 25 + t];
                        }
                    }
                    assertEquals(-unit, k[(o * 3 + i) * 25 + 12], 1e-3, "centre of " + o + "," + i);
                    assertEquals(unit, free, 1e-2, "free taps of " + o + "," + i);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (Scope s = Scope.open(); NoiseStem stem = new NoiseStem(Device.CPU, NoiseStem.Kind.SRM_BAYAR, 4)) {
            stem.init(new Init(2));
            Tensor image = new Rand(4).tensorIn(-0.05, 0.05, 1, 3, 8, 8);
            Tensor bayar = stem.namedParameters().get("bayar_weight");
            new GradCheck().eps(1e-3).tolerance(5e-2).samples(24).check("noise stem bayar",
                    in -> stem.forward(image), bayar);
            Tensor x = new Rand(6).tensorIn(-0.05, 0.05, 1, 3, 8, 8).requiresGrad(true);
            new GradCheck().eps(1e-3).tolerance(5e-2).samples(24).check("noise stem input", in -> stem.forward(in[0]),
                    x);
        }
    }

    @Test
    void diffImlWithoutStemHasNoStemWeightsAndImportsStayLoadable() {
        ModelConfig plain = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 2, 1, 0.1f, 0.2f, true);
        try (DiffIml a = new DiffIml(plain, Device.CPU);
                DiffIml b = new DiffIml(plain.withTraining("srm", 1f, 2f, 0.5f, false), Device.CPU)) {
            assertNull(a.noiseStem());
            assertEquals(0, a.stateDict().keySet().stream().filter(n -> n.startsWith("noise_stem.")).count());
            // the encoder's own weights are the same set with and without a stem: MiT imports load either way
            assertEquals(a.encoder().stateDict().keySet(), b.encoder().stateDict().keySet());
            assertEquals(new java.util.TreeSet<>(java.util.List.of("noise_stem.norm.weight", "noise_stem.norm.bias",
                    "noise_stem.conv1.weight", "noise_stem.norm1.weight", "noise_stem.norm1.bias",
                    "noise_stem.conv2.weight", "noise_stem.norm2.weight", "noise_stem.norm2.bias",
                    "noise_stem.proj.weight", "noise_stem.proj.bias")),
                    new java.util.TreeSet<>(b.namedParameters().keySet().stream()
                            .filter(n -> n.startsWith("noise_stem.")).toList()));
            b.noiseStem().zeroProjection();
            try (Scope s = Scope.open()) {
                b.noiseStem().children().get("proj").namedParameters().values().forEach(t -> {
                    for (float v : t.toArray()) {
                        assertEquals(0f, v);
                    }
                });
                Tensor e = b.noiseStem().forward(new Rand(1).tensorIn(-1, 1, 1, 3, 32, 32));
                for (float v : e.toArray()) {
                    assertEquals(0f, v); // a zeroed stem adds nothing to the patch embedding
                }
            }
        }
    }

    @Test
    void theStemWidthIsAConfigSettingThatOlderConfigsReadAsThirtyTwo() {
        ModelConfig plain = new ModelConfig("b0", 32, 32, 32, 4, 8, 1e-6f, 1e-5f, 0, 1000, 2, 1, 0.1f, 0.2f, true)
                .withTraining("srm", 1f, 2f, 0.5f, false);
        assertEquals(NoiseStem.DEFAULT_WIDTH, plain.stemWidth()); // as in files written before the setting
        ModelConfig narrow = plain.withAnchor(false, ai.diffiml.model.diffiml.AnchorForm.RESIDUAL, true)
                .withStemWidth(8);
        try (DiffIml m = new DiffIml(narrow, Device.CPU).init(2); Scope s = Scope.open()) {
            java.util.Map<String, Tensor> p = m.namedParameters();
            assertArrayEquals(new int[] {8, 18, 3, 3}, p.get("noise_stem.conv1.weight").shape());
            assertArrayEquals(new int[] {8, 8, 3, 3}, p.get("noise_stem.conv2.weight").shape());
            assertArrayEquals(new int[] {32, 8, 7, 7}, p.get("noise_stem.proj.weight").shape());
            assertArrayEquals(new int[] {1, 8, 1, 1}, p.get("aux_detail.weight").shape()); // reads the stem's features
            assertEquals(8, m.noiseStem().width());
            assertArrayEquals(new int[] {1, 8, 32, 32},
                    m.noiseStem().hidden(new Rand(1).tensorIn(-1, 1, 1, 3, 32, 32)).shape());
        }
        for (int bad : new int[] {0, NoiseStem.MAX_WIDTH + 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plain.withStemWidth(bad));
            assertEquals("model config: stemWidth must be in [1, " + NoiseStem.MAX_WIDTH + "], got " + bad,
                    e.getMessage());
        }
    }
}
