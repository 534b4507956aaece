package ai.diffiml.model.diffiml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.model.diffiml.ModelCounts.Kind;
import ai.diffiml.model.diffiml.ModelCounts.Layer;
import ai.diffiml.model.diffiml.ModelCounts.Part;
import ai.diffiml.model.diffiml.ModelCounts.PartCount;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.ConvTranspose2d;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Layout;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Parameter counts against the parity reference's exact figures and the paper's; the analytic MACs against the
 * built modules (every conv and linear layer, with its parameters), against the GEMM work of real forwards
 * ({@link GemmCounter}) and against hand computations.
 */
class ModelCountsTest {
    /** b0 at 64 px with narrow widths: stage maps 16, 8, 4, 2; latent 8x8. */
    static final ModelConfig TINY = new ModelConfig("b0", 64, 32, 32, 4, 8, 1e-6f, 1e-5f, 0.0, 1000, 2, 3, 0.1f,
            0.2f, true);
    /** b1 at 96 px, other widths: stage maps 24, 12, 6, 3 (odd), reduced key grids 3x3; latent 12x12. */
    static final ModelConfig ODD = new ModelConfig("b1", 96, 48, 64, 2, 16, 1e-6f, 1e-5f, 0.0, 1000, 3, 2, 0.1f,
            0.2f, true);

    private ai.diffiml.ops.Attention.CpuPath attentionPath;

    /** The counts are checked against the GEMMs the forwards run: attention on its GEMM path, not the fused kernel. */
    @org.junit.jupiter.api.BeforeEach
    void attentionThroughGemms() {
        attentionPath = ai.diffiml.ops.Attention.cpuPath();
        ai.diffiml.ops.Attention.cpuPath(ai.diffiml.ops.Attention.CpuPath.GEMM);
    }

    @org.junit.jupiter.api.AfterEach
    void attentionAsBefore() {
        ai.diffiml.ops.Attention.cpuPath(attentionPath);
    }

    @Test
    void parityConfigParameterCountsAreExact() {
        ModelCounts c = ModelCounts.of(ParityFixture.CONFIG);
        // The reference implementation's metadata (b0 at 128 px, real UNet and LightVAE widths).
        assertEquals(3_319_392, c.part(Part.ENCODER).params());
        assertEquals(656_128, c.part(Part.HEAD).params());
        assertEquals(3_779_976, c.part(Part.UNET).params());
        assertEquals(93_412, c.part(Part.VAE_ENCODER).params());
        assertEquals(102_817, c.part(Part.VAE_DECODER).params());
        assertEquals(7_951_725, c.totalParams());
    }

    @Test
    void batchNormRunningStatisticsAreNotParameters() {
        try (DiffIml model = new DiffIml(TINY, Device.CPU)) {
            long buffers = model.namedBuffers().values().stream().mapToLong(Tensor::numel).sum();
            long state = model.stateDict().values().stream().mapToLong(Tensor::numel).sum();
            assertTrue(buffers > 0, "the model has BatchNorm buffers");
            assertEquals(state - buffers, ModelCounts.of(model).totalParams());
        }
    }

    @Test
    void paperConfigMatchesPublishedParameterFigures() {
        ModelCounts c = ModelCounts.of(ModelConfig.paper());
        assertWithin(48.8e6, c.totalParams(), 0.005, "total");
        assertWithin(44.07e6, c.part(Part.ENCODER).params(), 0.01, "MiT-b3");
        assertWithin(0.72e6, c.part(Part.HEAD).params(), 0.01, "condition head");
        assertWithin(3.78e6, c.part(Part.UNET).params(), 0.01, "UNet");
        // "0.20 M" is rounded: the LightVAE does not depend on the encoder, so the parity figures hold exactly.
        assertEquals(93_412 + 102_817, c.part(Part.VAE_ENCODER).params() + c.part(Part.VAE_DECODER).params());
        // Head by hand: four 1x1 convs (bias) from 64+128+320+512 channels to 128, a 3x3 512->128 conv, BN affine.
        assertEquals((64 + 128 + 320 + 512) * 128 + 4 * 128 + 512 * 128 * 9 + 2 * 128, c.part(Part.HEAD).params());
        assertEquals(3_779_976, c.part(Part.UNET).params(), "the UNet does not depend on the encoder");
    }

    @Test
    void everyBuiltConvAndLinearLayerIsCountedWithItsParameters() {
        for (ModelConfig cfg : List.of(TINY, ODD, ParityFixture.CONFIG, ModelConfig.paper())) {
            Map<String, Module> built = new TreeMap<>();
            try (DiffIml model = new DiffIml(cfg, Device.CPU)) {
                collectLeaves("", model, built);
                Map<String, Layer> counted = new TreeMap<>();
                for (Layer l : ModelCounts.layers(cfg)) {
                    if (l.kind() != Kind.ATTENTION_MATMUL) {
                        counted.put(l.name(), l);
                    }
                }
                assertEquals(built.keySet(), counted.keySet(), cfg.variant() + ": counted layers vs built modules");
                for (Map.Entry<String, Module> e : built.entrySet()) {
                    Layer l = counted.get(e.getKey());
                    Module m = e.getValue();
                    assertEquals(m.parameterCount(), l.params(), l.name() + " parameters");
                    assertEquals(Part.of(l.name() + ".weight"), l.part(), l.name() + " part");
                    Kind kind = m instanceof Linear ? Kind.LINEAR : m instanceof ConvTranspose2d ? Kind.CONV_TRANSPOSE
                            : ((Conv2d) m).groups > 1 && ((Conv2d) m).groups == ((Conv2d) m).in ? Kind.DEPTHWISE_CONV
                            : Kind.CONV;
                    assertEquals(kind, l.kind(), l.name() + " kind");
                }
                // One attention per MiT block and one in the UNet's mid block.
                long attentions = ModelCounts.layers(cfg).stream().filter(l -> l.kind() == Kind.ATTENTION_MATMUL)
                        .count();
                assertEquals(cfg.mitVariant().totalDepth() + 1, attentions);
            }
        }
    }

    private static void collectLeaves(String prefix, Module m, Map<String, Module> out) {
        if (m instanceof Conv2d || m instanceof Linear || m instanceof ConvTranspose2d) {
            out.put(prefix.substring(0, prefix.length() - 1), m);
            return;
        }
        m.children().forEach((name, child) -> collectLeaves(prefix + name + ".", child, out));
    }

    @Test
    void macsEqualTheGemmWorkOfRealForwardsPerPart() {
        for (ModelConfig cfg : List.of(TINY, ODD)) {
            Map<Part, GemmCounter.Tally> measured = new EnumMap<>(Part.class);
            int r = cfg.resolution();
            try (DiffIml model = new DiffIml(cfg, Device.CPU).init(7); GradMode.Guard g = GradMode.disabled();
                    Scope scope = Scope.open(); GemmCounter counter = GemmCounter.install()) {
                model.train(false);
                Tensor image = Tensor.full(Device.CPU, 0.25f, 1, 3, r, r);
                counter.take();
                Tensor[] stages = model.encoder().forward(image);
                measured.put(Part.ENCODER, counter.take());
                Tensor cond = model.conditionHead().forward(stages);
                measured.put(Part.HEAD, counter.take());
                Tensor latent = model.vae().encode(Tensor.full(Device.CPU, 0.5f, 1, 1, r, r));
                measured.put(Part.VAE_ENCODER, counter.take());
                Tensor y = Layout.concat(1, latent, latent); // [z_mask | z_edge]
                counter.take();
                model.unet().forward(y, new int[] {500}, cond);
                measured.put(Part.UNET, counter.take());
                model.vae().decode(latent);
                measured.put(Part.VAE_DECODER, counter.take());
            }
            List<Layer> layers = ModelCounts.layers(cfg);
            for (Part p : Part.values()) {
                long gemm = 0, attention = 0;
                for (Layer l : layers) {
                    if (l.part() == p) {
                        switch (l.kind()) {
                            case ATTENTION_MATMUL -> attention += l.macs();
                            case DEPTHWISE_CONV -> { } // a direct kernel: checked by hand below
                            default -> gemm += l.macs();
                        }
                    }
                }
                GemmCounter.Tally t = measured.get(p);
                assertEquals(gemm, t.weightMacs(), cfg.variant() + " " + p + ": conv/linear MACs vs GEMM work");
                assertEquals(attention, t.attentionMacs(), cfg.variant() + " " + p + ": attention MACs vs GEMM work");
            }
            assertTrue(measured.get(Part.ENCODER).biasBroadcasts() > 0, "bias broadcasts are told apart");
        }
    }

    @Test
    void truePredictionCostIsTheGemmWorkOfConditionSamplingAndDecode() {
        ModelConfig cfg = TINY;
        int r = cfg.resolution(), members = cfg.ensemble(), h = ModelCounts.latentSize(r);
        long measured;
        try (DiffIml model = new DiffIml(cfg, Device.CPU).init(11); GradMode.Guard g = GradMode.disabled();
                Scope scope = Scope.open(); GemmCounter counter = GemmCounter.install()) {
            model.train(false);
            Tensor image = Tensor.full(Device.CPU, 0.25f, 1, 3, r, r);
            Tensor noise = Tensor.full(Device.CPU, 0.1f, members, 2 * cfg.latentChannels(), h, h);
            counter.take();
            Tensor cond = model.condition(image);
            Tensor latent = model.sampleLatents(cond, noise, cfg.sampleSteps(), members, null);
            model.decodeMaskLogits(latent);
            GemmCounter.Tally t = counter.take();
            measured = t.weightMacs() + t.attentionMacs();
        }
        ModelCounts c = ModelCounts.of(cfg);
        long depthwise = c.layers().stream().filter(l -> l.kind() == Kind.DEPTHWISE_CONV).mapToLong(Layer::macs).sum();
        assertEquals(c.trueMacs() - depthwise, measured, "one prediction: encoder + head, steps x N UNet, decode");
        PartCount unet = c.part(Part.UNET);
        assertEquals((long) cfg.sampleSteps() * members, unet.trueCalls());
        assertEquals(members, unet.paperCalls());
    }

    @Test
    void mitBlockByHand() {
        // TINY, stage 0, block 0: C = 32 on a 16x16 map (N = 256), reduction 8 -> 2x2 (Nr = 4), hidden 128.
        long n = 256, nr = 4, c = 32, hidden = 128;
        long query = n * c * c, sr = nr * c * c * 8 * 8, keyValue = 2 * nr * c * c, attention = 2 * n * nr * c;
        long out = n * c * c, mlp = 2 * n * c * hidden, dwconv = n * hidden * 9;
        long block = 0, dw = 0;
        for (Layer l : ModelCounts.layers(TINY)) {
            if (l.name().startsWith("segformer.encoder.block.0.0.")) {
                block += l.macs();
            }
            if (l.name().equals("segformer.encoder.block.0.0.mlp.dwconv.dwconv")) {
                dw = l.macs();
            }
        }
        assertEquals(294_912, dwconv);
        assertEquals(dwconv, dw);
        assertEquals(query + sr + keyValue + attention + out + mlp + dwconv, block);
        assertEquals(3_252_224, block);
    }

    @Test
    void paperConfigUnetHeadAndDecoderByHand() {
        ModelCounts c = ModelCounts.of(ModelConfig.paper());
        long p = 64 * 64; // latent and condition grid at 512 px
        long conv3 = 128L * 128 * 9 * p;
        long unet = 8L * 128 * 9 * p // conv_in
                + 256L * 128 * 9 * p // concat (condition injection)
                + 4 * (2 * conv3 + 512 * 128) // 2 down + 2 mid resnets: two 3x3 convs and the time projection
                + 3 * (256L * 128 * 9 * p + conv3 + 256L * 128 * p + 512 * 128) // 3 up resnets with 1x1 shortcut
                + 4 * 128L * 128 * p // mid attention q, k, v, out
                + 128L * 8 * 9 * p // conv_out
                + 128L * 512 + 512L * 512; // time MLP
        assertEquals(unet, c.part(Part.UNET).paperMacsPerCall());
        assertEquals(unet + 2 * p * p * 128, c.part(Part.UNET).trueMacsPerCall(), "plus QK^T and AV over 4096 tokens");
        assertWithin(12.2e9, unet, 0.005, "the method doc's 'about 12.2 GMACs' per UNet call");
        long head = (64L * 128 * 128 * 128) + (128L * 128 * 64 * 64) + (320L * 128 * 32 * 32) + (512L * 128 * 16 * 16)
                + 512L * 128 * 9 * p;
        assertEquals(head, c.part(Part.HEAD).paperMacsPerCall());
        long decoder = 4L * 128 * p + 128L * 64 * 9 * p + 64L * 32 * 9 * (4 * p) + 32L * 32 * 9 * (16 * p)
                + 32L * 9 * (64 * p);
        assertEquals(decoder, c.part(Part.VAE_DECODER).trueMacs());
        // Accountings: true = encoder + head + 8 x 5 UNet + decode; paper = encoder + head + 5 UNet + decode.
        PartCount enc = c.part(Part.ENCODER);
        assertEquals(enc.trueMacs() + head + 40 * (unet + 2 * p * p * 128) + decoder, c.trueMacs());
        assertEquals(enc.paperMacs() + head + 5 * unet + decoder, c.paperMacs());
        assertEquals(0, c.part(Part.VAE_ENCODER).trueMacs() + c.part(Part.VAE_ENCODER).paperMacs());
        assertTrue(enc.trueMacsPerCall() > enc.paperMacsPerCall(), "MiT attention matmuls count in the true figure");
    }

    @Test
    void tableNamesPartsTotalsAndAccountings() {
        ModelCounts c = ModelCounts.of(TINY);
        List<String> lines = List.of(c.table().split("\n"));
        assertTrue(lines.get(0).contains("MiT-b0, 64x64 input"), lines::toString);
        assertTrue(lines.get(1).contains("2 DDIM steps x 3 ensemble members"), lines::toString);
        List<String> rows = new ArrayList<>();
        for (String l : lines) {
            for (Part p : Part.values()) {
                if (l.startsWith(p.label() + " ")) {
                    rows.add(l);
                }
            }
        }
        assertEquals(Part.values().length, rows.size(), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("total ")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("true ")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("paper ")), lines::toString);
    }

    @Test
    void unknownWeightPrefixIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Part.of("head.weight"));
        assertTrue(e.getMessage().contains("head.weight"));
        assertEquals(Part.VAE_DECODER, Part.of("vae.decoder.12.bias"));
    }

    static void assertWithin(double expected, double actual, double rel, String what) {
        assertTrue(Math.abs(actual - expected) <= rel * expected,
                () -> what + ": " + actual + " not within " + rel * 100 + "% of " + expected);
    }
}
