package ai.diffiml.model.diffiml;

import ai.diffiml.backend.Device;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.nn.Module;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parameters and multiply-accumulates (MACs) of a DiffIML model, per part, for one image (batch 1).
 *
 * <p>Parameters are counted on an actually built model ({@link Module#namedParameters()}: trainable tensors only;
 * BatchNorm running statistics are buffers and do not count). MACs are analytic: {@link #layers(ModelConfig)}
 * walks the same structure the model classes build, layer by layer, at the configured resolution. A MAC is one
 * multiply-add of a weight product: a convolution costs out-pixels x out-channels x in-channels/groups x k x k
 * (padding taps included, as im2col + GEMM computes them), a transposed convolution in-pixels x in-channels x
 * out-channels x k x k (GEMM + col2im), a linear layer tokens x in x out, and an attention QK^T plus AV over N
 * queries and Nr keys of C channels 2 N Nr C. Bias adds, normalisations, activations, softmax and resizes are not
 * counted.
 *
 * <p>Two accountings of one prediction (one image, no flip TTA):
 * <ul>
 *   <li><b>true</b>: what inference runs: the encoder and the condition head once, {@code sampleSteps x ensemble}
 *       UNet calls, one LightVAE decode; every convolution, linear layer and attention matmul (QK^T, AV);</li>
 *   <li><b>paper</b>: what the paper's Table 4 counts as FLOPs (they are MACs): encoder + head + one UNet call per
 *       ensemble member + decode, convolutions and linear layers only (no attention matmuls).</li>
 * </ul>
 * The LightVAE encoder is listed with its own figures but takes part in neither (a prediction never encodes).
 *
 * <p>The paper's model (MiT-b3, 512 px, 8 steps) comes to 48.77 M parameters (paper: 48.51 M) and, in the paper
 * accounting, 47.14 GMACs at N = 1 and 96.03 at N = 5 (paper: 53.01 and 102.36). Adding the MiT's attention matmuls
 * (5.91 GMACs) but not the UNet's gives 53.05 and 101.94: the paper's counter apparently saw the encoder's explicit
 * matmuls and not the UNet's fused attention. Its implied cost of one more member, 12.34 GMACs, is 1% above the
 * 12.22 counted here (conv and linear of one UNet call at 64x64).
 */
public final class ModelCounts {
    /** The parts of the model, by the weight-name prefix their parameters carry. */
    public enum Part {
        ENCODER("MiT encoder", "segformer."),
        HEAD("condition head", "cond."),
        UNET("UNet", "unet."),
        VAE_ENCODER("LightVAE encoder", "vae.encoder."),
        VAE_DECODER("LightVAE decoder", "vae.decoder.");

        private final String label;
        private final String prefix;

        Part(String label, String prefix) {
            this.label = label;
            this.prefix = prefix;
        }

        /** Human-readable name, as the table prints it. */
        public String label() {
            return label;
        }

        /** The weight-name prefix of this part's parameters (e.g. {@code unet.}). */
        public String prefix() {
            return prefix;
        }

        /** The part a weight name belongs to; an unknown prefix is an error, never silently dropped. */
        public static Part of(String weightName) {
            for (Part p : values()) {
                if (weightName.startsWith(p.prefix)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("weight '" + weightName + "' belongs to no known model part");
        }
    }

    /** What a counted layer computes. */
    public enum Kind {
        /** A dense or grouped (not depthwise) convolution: im2col + GEMM. */
        CONV,
        /** A depthwise convolution (groups = in = out channels): a direct kernel, no GEMM. */
        DEPTHWISE_CONV,
        /** A transposed convolution: GEMM + col2im. */
        CONV_TRANSPOSE,
        /** A linear layer over tokens. */
        LINEAR,
        /** The two attention matmuls QK^T and AV (no weights); left out of the paper's accounting. */
        ATTENTION_MATMUL
    }

    /**
     * One counted layer for one image and one call of its part.
     *
     * @param part the model part
     * @param name the module's dotted weight-name prefix (e.g. {@code unet.conv_in}); attention matmuls are named
     *     after their attention module with the suffix {@code " (QK^T, AV)"}
     * @param kind what it computes
     * @param params its weight and bias scalars (0 for attention matmuls)
     * @param macs multiply-accumulates of one call for one image
     */
    public record Layer(Part part, String name, Kind kind, long params, long macs) {
        /** Whether the paper's accounting counts this layer (everything but attention matmuls). */
        public boolean inPaperAccounting() {
            return kind != Kind.ATTENTION_MATMUL;
        }
    }

    /**
     * One part's figures.
     *
     * @param part the part
     * @param params trainable parameters of the built model under this part's prefix
     * @param trueMacsPerCall MACs of one call, attention matmuls included
     * @param paperMacsPerCall MACs of one call, convolutions and linear layers only
     * @param trueCalls calls per prediction in the true accounting
     * @param paperCalls calls per prediction in the paper's accounting
     */
    public record PartCount(Part part, long params, long trueMacsPerCall, long paperMacsPerCall, long trueCalls,
            long paperCalls) {
        /** MACs of one prediction in the true accounting. */
        public long trueMacs() {
            return trueMacsPerCall * trueCalls;
        }

        /** MACs of one prediction in the paper's accounting. */
        public long paperMacs() {
            return paperMacsPerCall * paperCalls;
        }
    }

    private final ModelConfig config;
    private final List<Layer> layers;
    private final List<PartCount> parts;

    private ModelCounts(ModelConfig config, List<Layer> layers, Map<Part, Long> params) {
        this.config = config;
        this.layers = layers;
        List<PartCount> list = new ArrayList<>();
        long unetCalls = (long) config.sampleSteps() * config.ensemble();
        for (Part p : Part.values()) {
            long trueMacs = 0, paperMacs = 0;
            for (Layer l : layers) {
                if (l.part() == p) {
                    trueMacs += l.macs();
                    paperMacs += l.inPaperAccounting() ? l.macs() : 0;
                }
            }
            long trueCalls = switch (p) {
                case ENCODER, HEAD, VAE_DECODER -> 1;
                case UNET -> unetCalls;
                case VAE_ENCODER -> 0;
            };
            long paperCalls = switch (p) {
                case ENCODER, HEAD, VAE_DECODER -> 1;
                case UNET -> config.ensemble();
                case VAE_ENCODER -> 0;
            };
            list.add(new PartCount(p, params.getOrDefault(p, 0L), trueMacs, paperMacs, trueCalls, paperCalls));
        }
        this.parts = Collections.unmodifiableList(list);
    }

    /**
     * Counts for {@code config}: builds the model on the CPU to count its parameters (the weights stay
     * uninitialised; nothing runs), frees it, and adds the analytic MACs.
     */
    public static ModelCounts of(ModelConfig config) {
        try (DiffIml model = new DiffIml(config, Device.CPU)) {
            return of(model);
        }
    }

    /** Counts for a built model (its parameters as built or loaded, MACs from its config). */
    public static ModelCounts of(DiffIml model) {
        return new ModelCounts(model.config(), layers(model.config()), parameters(model));
    }

    /** Trainable parameters of {@code model} per part (by weight-name prefix). */
    public static Map<Part, Long> parameters(Module model) {
        Map<Part, Long> out = new EnumMap<>(Part.class);
        model.namedParameters().forEach((name, t) -> out.merge(Part.of(name), t.numel(), Long::sum));
        return out;
    }

    public ModelConfig config() {
        return config;
    }

    /** Every counted layer, in forward order, per part. */
    public List<Layer> layers() {
        return layers;
    }

    /** The parts in {@link Part} order. */
    public List<PartCount> parts() {
        return parts;
    }

    public PartCount part(Part p) {
        return parts.get(p.ordinal());
    }

    /** All trainable parameters (every part, the LightVAE encoder included). */
    public long totalParams() {
        return parts.stream().mapToLong(PartCount::params).sum();
    }

    /** MACs of one prediction, true accounting. */
    public long trueMacs() {
        return parts.stream().mapToLong(PartCount::trueMacs).sum();
    }

    /** MACs of one prediction, the paper's accounting. */
    public long paperMacs() {
        return parts.stream().mapToLong(PartCount::paperMacs).sum();
    }

    /** The table {@code info --model} prints: one row per part, totals, and what each accounting counts. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        ModelConfig c = config;
        int latent = latentSize(c.resolution());
        line(sb, "model        MiT-%s, %dx%d input, condition %d ch, UNet %d ch, latent %dx%dx%d, LightVAE base %d",
                c.mitVariant().id(), c.resolution(), c.resolution(), c.condChannels(), c.unetChannels(),
                2 * c.latentChannels(), latent, latent, c.vaeBase());
        line(sb, "sampling     %d DDIM steps x %d ensemble members, one image, no flip TTA", c.sampleSteps(),
                c.ensemble());
        line(sb, "%-17s %12s | %-31s | %-31s", "", "", "true accounting", "paper accounting");
        line(sb, "%-17s %12s | %10s %6s %13s | %10s %6s %13s", "part", "params", "GMACs/call", "calls", "GMACs",
                "GMACs/call", "calls", "GMACs");
        for (PartCount p : parts) {
            line(sb, "%-17s %,12d | %10.3f %6d %13.3f | %10.3f %6d %13.3f", p.part().label(), p.params(),
                    g(p.trueMacsPerCall()), p.trueCalls(), g(p.trueMacs()), g(p.paperMacsPerCall()), p.paperCalls(),
                    g(p.paperMacs()));
        }
        line(sb, "%-17s %,12d | %10s %6s %13.3f | %10s %6s %13.3f", "total", totalParams(), "", "", g(trueMacs()), "",
                "", g(paperMacs()));
        line(sb, "params       %.2f M trainable (BatchNorm running statistics excluded)", totalParams() / 1e6);
        line(sb, "true         %.2f GMACs: encoder + head once, %d x %d UNet calls, one LightVAE decode; every conv,"
                + " linear and attention matmul (QK^T, AV)", g(trueMacs()), c.sampleSteps(), c.ensemble());
        line(sb, "paper        %.2f GMACs: encoder + head + %d x UNet (one call per ensemble member) + LightVAE"
                + " decode; conv and linear only", g(paperMacs()), c.ensemble());
        line(sb, "MACs count weight products only (no bias adds, norms, activations, softmax or resizes);"
                + " 1 GMAC = 1e9 MACs, what the paper calls GFLOPs.");
        return sb.toString();
    }

    /** Appends one formatted line without trailing blanks. */
    private static void line(StringBuilder sb, String format, Object... args) {
        sb.append(String.format(Locale.ROOT, format, args).stripTrailing()).append('\n');
    }

    private static double g(long macs) {
        return macs / 1e9;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The analytic walk. It mirrors MixTransformer, ConditionHead, DenoisingUnet and LightVae; ModelCountsTest
    // holds it to the built modules (names and parameter counts) and to the GEMM work of a real forward.

    /** Every conv, linear and attention-matmul layer of the model with its MACs for one image and one call. */
    public static List<Layer> layers(ModelConfig c) {
        Walk w = new Walk();
        int[] stages = encoder(w, c);
        head(w, c, stages);
        int latent = vaeEncoder(w, c);
        if (latent != stages[1]) {
            throw new IllegalStateException("latent grid " + latent + " differs from the condition grid " + stages[1]
                    + " at resolution " + c.resolution());
        }
        unet(w, c, latent);
        vaeDecoder(w, c, latent);
        return Collections.unmodifiableList(w.layers);
    }

    /** Side of the latent (and condition) grid at {@code resolution}: three stride-2 convolutions. */
    static int latentSize(int resolution) {
        int s = resolution;
        for (int i = 0; i < 3; i++) {
            s = convOut(s, 3, 2, 1);
        }
        return s;
    }

    /** Returns the sides of the four stage maps (1/4, 1/8, 1/16, 1/32). */
    private static int[] encoder(Walk w, ModelConfig c) {
        MitVariant v = c.mitVariant();
        int[] dims = v.dims(), depths = v.depths();
        String root = "segformer.encoder.";
        int size = c.resolution(), in = 3;
        int[] sizes = new int[4];
        for (int s = 0; s < 4; s++) {
            int k = MitVariant.PATCH_KERNELS[s];
            size = w.conv(Part.ENCODER, root + "patch_embeddings." + s + ".proj", in, dims[s], k,
                    MitVariant.PATCH_STRIDES[s], k / 2, 1, true, size);
            sizes[s] = size;
            int dim = dims[s], r = MitVariant.SR_RATIOS[s];
            long n = (long) size * size;
            for (int j = 0; j < depths[s]; j++) {
                String b = root + "block." + s + "." + j + ".";
                w.linear(Part.ENCODER, b + "attention.self.query", dim, dim, n);
                long nr = n;
                if (r > 1) {
                    int reduced = w.conv(Part.ENCODER, b + "attention.self.sr", dim, dim, r, r, 0, 1, true, size);
                    nr = (long) reduced * reduced;
                }
                w.linear(Part.ENCODER, b + "attention.self.key", dim, dim, nr);
                w.linear(Part.ENCODER, b + "attention.self.value", dim, dim, nr);
                w.attention(Part.ENCODER, b + "attention.self", n, nr, dim);
                w.linear(Part.ENCODER, b + "attention.output.dense", dim, dim, n);
                int hidden = dim * MitVariant.MLP_RATIO;
                w.linear(Part.ENCODER, b + "mlp.dense1", dim, hidden, n);
                w.conv(Part.ENCODER, b + "mlp.dwconv.dwconv", hidden, hidden, 3, 1, 1, hidden, true, size);
                w.linear(Part.ENCODER, b + "mlp.dense2", hidden, dim, n);
            }
            in = dim;
        }
        return sizes;
    }

    /** 1x1 convolutions on the stage maps, then the fuse convolution on the 1/8 grid (stage 2's). */
    private static void head(Walk w, ModelConfig c, int[] stages) {
        int[] dims = c.mitVariant().dims();
        int ch = c.condChannels();
        for (int s = 0; s < 4; s++) {
            w.conv(Part.HEAD, "cond.linear_c" + (s + 1), dims[s], ch, 1, 1, 0, 1, true, stages[s]);
        }
        w.conv(Part.HEAD, "cond.linear_fuse.0", 4 * ch, ch, 3, 1, 1, 1, false, stages[1]);
    }

    private static void unet(Walk w, ModelConfig c, int size) {
        int ch = c.unetChannels(), temb = 4 * ch, lat2 = 2 * c.latentChannels();
        w.linear(Part.UNET, "unet.time_embedding.linear_1", DenoisingUnet.TIME_DIM, temb, 1);
        w.linear(Part.UNET, "unet.time_embedding.linear_2", temb, temb, 1);
        w.conv(Part.UNET, "unet.conv_in", lat2, ch, 3, 1, 1, 1, true, size);
        w.conv(Part.UNET, "unet.concat", ch + c.condChannels(), ch, 3, 1, 1, 1, false, size);
        for (int i = 0; i < 2; i++) {
            resnet(w, "unet.down_blocks.0.resnets." + i, ch, ch, temb, size);
        }
        resnet(w, "unet.mid_block.resnets.0", ch, ch, temb, size);
        long n = (long) size * size;
        String a = "unet.mid_block.attentions.0";
        w.linear(Part.UNET, a + ".to_q", ch, ch, n);
        w.linear(Part.UNET, a + ".to_k", ch, ch, n);
        w.linear(Part.UNET, a + ".to_v", ch, ch, n);
        w.attention(Part.UNET, a, n, n, ch);
        w.linear(Part.UNET, a + ".to_out.0", ch, ch, n);
        resnet(w, "unet.mid_block.resnets.1", ch, ch, temb, size);
        for (int i = 0; i < 3; i++) {
            resnet(w, "unet.up_blocks.0.resnets." + i, 2 * ch, ch, temb, size);
        }
        w.conv(Part.UNET, "unet.conv_out", ch, lat2, 3, 1, 1, 1, true, size);
    }

    private static void resnet(Walk w, String name, int in, int out, int temb, int size) {
        w.conv(Part.UNET, name + ".conv1", in, out, 3, 1, 1, 1, true, size);
        w.linear(Part.UNET, name + ".time_emb_proj", temb, out, 1);
        w.conv(Part.UNET, name + ".conv2", out, out, 3, 1, 1, 1, true, size);
        if (in != out) {
            w.conv(Part.UNET, name + ".conv_shortcut", in, out, 1, 1, 0, 1, true, size);
        }
    }

    /** Returns the latent side. */
    private static int vaeEncoder(Walk w, ModelConfig c) {
        int b = c.vaeBase(), size = c.resolution(), in = 1;
        int[] widths = {b, 2 * b, 4 * b};
        for (int i = 0; i < 3; i++) {
            size = w.conv(Part.VAE_ENCODER, "vae.encoder." + (3 * i), in, widths[i], 3, 2, 1, 1, false, size);
            in = widths[i];
        }
        w.conv(Part.VAE_ENCODER, "vae.encoder.9", in, c.latentChannels(), 1, 1, 0, 1, true, size);
        return size;
    }

    private static void vaeDecoder(Walk w, ModelConfig c, int size) {
        int b = c.vaeBase();
        w.conv(Part.VAE_DECODER, "vae.decoder.0", c.latentChannels(), 4 * b, 1, 1, 0, 1, true, size);
        int[] ups = {4 * b, 2 * b, b, b};
        for (int i = 0; i < 3; i++) {
            size = w.convTranspose(Part.VAE_DECODER, "vae.decoder." + (3 * i + 3), ups[i], ups[i + 1], 3, 2, 1, 1,
                    size);
        }
        w.conv(Part.VAE_DECODER, "vae.decoder.12", b, 1, 3, 1, 1, 1, true, size);
    }

    static int convOut(int size, int kernel, int stride, int padding) {
        return (size + 2 * padding - kernel) / stride + 1;
    }

    /** Collects layers; each method returns the output side where there is one. */
    private static final class Walk {
        final List<Layer> layers = new ArrayList<>();

        int conv(Part part, String name, int in, int out, int k, int stride, int pad, int groups, boolean bias,
                int size) {
            int o = convOut(size, k, stride, pad);
            long perOutput = (long) (in / groups) * k * k;
            Kind kind = groups > 1 && groups == in && in == out ? Kind.DEPTHWISE_CONV : Kind.CONV;
            layers.add(new Layer(part, name, kind, out * perOutput + (bias ? out : 0), (long) o * o * out * perOutput));
            return o;
        }

        /** Transposed convolution without bias. */
        int convTranspose(Part part, String name, int in, int out, int k, int stride, int pad, int outPad, int size) {
            int o = (size - 1) * stride - 2 * pad + k + outPad;
            long weights = (long) in * out * k * k;
            layers.add(new Layer(part, name, Kind.CONV_TRANSPOSE, weights, (long) size * size * weights));
            return o;
        }

        void linear(Part part, String name, int in, int out, long tokens) {
            layers.add(new Layer(part, name, Kind.LINEAR, (long) in * out + out, tokens * in * out));
        }

        void attention(Part part, String name, long n, long nr, int channels) {
            layers.add(new Layer(part, name + " (QK^T, AV)", Kind.ATTENTION_MATMUL, 0, 2 * n * nr * channels));
        }
    }
}
