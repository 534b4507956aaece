package ai.diffiml.model.diffforensics;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.model.NoiseStem;
import ai.diffiml.model.TimeEmbeddings;
import ai.diffiml.model.TimeResBlock;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.GroupNorm;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.nn.ModuleList;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Reduce;
import ai.diffiml.ops.Resize;
import ai.diffiml.tensor.Tensor;

/**
 * DiffForensics (Yu et al., CVPR 2024): a Mix Transformer encoder and a UNet-style decoder whose blocks take the
 * four encoder stages as skips and a sinusoidal time embedding, trained in two stages.
 * <ol>
 *   <li>Pretraining ({@link #predictNoise}): the decoder learns to predict the noise eps of
 *       {@code sqrt(abar_t) x0 + sqrt(1 - abar_t) eps}, eps simplex noise ({@link SimplexNoise}), the encoder frozen
 *       (its forward records nothing, so no gradient flows into it).</li>
 *   <li>Fine-tuning ({@link #fineTune}): encoder and decoder on the clean image at the fixed time t_f, three heads
 *       on the last decoder block: localization (conv, sigmoid), the edge cue enhancement on the three decoder
 *       scales ({@link EdgeCue}), and detection (average pool, linear, sigmoid).</li>
 * </ol>
 *
 * <p>Decoder (the paper gives no widths; D = {@link Config#decoderWidth}): a bottleneck block on stage 4 (1/32, 4D
 * channels), then at 1/16, 1/8 and 1/4 a block on [bilinear x2 of the previous | encoder stage] with 4D, 2D and D
 * channels. A block: GroupNorm, SiLU, 3x3 conv, plus a linear map of SiLU(time embedding) per channel, GroupNorm,
 * SiLU, 3x3 conv, plus a 1x1 shortcut. The noise head works at full resolution (so the finest octaves can be
 * predicted): a 1x1 conv of the 1/4 map to {@value #NOISE_FEATURES} channels, bilinear to the input size,
 * concatenated with the noisy input, 3x3 conv to 3 channels. The localization head is a 3x3 conv at 1/4, its logits
 * bilinear to the input size. Detection pools the same 1/4 map the localization head reads.
 *
 * <p>Weight names: {@code segformer.encoder.*} (as DiffIML and the SegFormer baseline, so MiT importers load into
 * it), {@code noise_stem.*} (optional), {@code time_embedding.linear_1/2}, {@code decoder.bottleneck},
 * {@code decoder.blocks.{0,1,2}}, {@code noise_head.{proj,conv}}, {@code seg_head}, {@code edge_heads.{0,1,2}},
 * {@code cls_head}.
 */
public final class DiffForensics extends Module {
    /** GroupNorm groups of the decoder blocks (divides every width 8 x k). */
    public static final int GROUPS = 8;
    public static final float NORM_EPS = 1e-5f;
    /** Channels of the noise head's full-resolution features. */
    public static final int NOISE_FEATURES = 16;

    /**
     * Shape of a DiffForensics model and the weights of its fine-tuning loss.
     *
     * @param variant Mix Transformer variant (b0..b5)
     * @param resolution square input size (a multiple of 32)
     * @param decoderWidth D: the decoder blocks have 4D, 4D, 2D, D channels (a multiple of {@value #GROUPS})
     * @param blockEps LayerNorm eps of MiT blocks and stage norms
     * @param embedEps LayerNorm eps of MiT patch-embedding and reduction norms
     * @param dropPath MiT stochastic-depth rate (fine-tuning)
     * @param noiseStem the encoder's {@link NoiseStem} (none, srm, srm+bayar)
     * @param diffusionSteps T of the linear 1e-4..0.02 schedule (1000)
     * @param fineTuneStep t_f, the time of fine-tuning and inference (5)
     * @param tamperedWeight BCE weight of tampered pixels (paper 2)
     * @param authenticWeight BCE weight of authentic pixels (paper 0.5)
     * @param forgedImageWeight detection BCE weight of forged images (paper 0.7; set from the training share)
     * @param realImageWeight detection BCE weight of real images (paper 0.3)
     */
    public record Config(String variant, int resolution, int decoderWidth, float blockEps, float embedEps,
            double dropPath, String noiseStem, int diffusionSteps, int fineTuneStep, float tamperedWeight,
            float authenticWeight, float forgedImageWeight, float realImageWeight) {
        public Config {
            noiseStem = noiseStem == null ? NoiseStem.Kind.NONE.label : NoiseStem.Kind.parse(noiseStem).label;
            MitVariant.parse(variant);
            if (resolution < 32 || resolution % 32 != 0) {
                throw new IllegalArgumentException("diffforensics config: resolution must be a positive multiple of"
                        + " 32, got " + resolution);
            }
            if (decoderWidth < GROUPS || decoderWidth % GROUPS != 0) {
                throw new IllegalArgumentException("diffforensics config: decoderWidth must be a positive multiple"
                        + " of " + GROUPS + ", got " + decoderWidth);
            }
            if (!(blockEps > 0) || !(embedEps > 0) || !(dropPath >= 0 && dropPath < 1)) {
                throw new IllegalArgumentException("diffforensics config: bad eps " + blockEps + "/" + embedEps
                        + " or dropPath " + dropPath);
            }
            if (diffusionSteps < 2 || fineTuneStep < 0 || fineTuneStep >= diffusionSteps) {
                throw new IllegalArgumentException("diffforensics config: need diffusionSteps >= 2 and 0 <="
                        + " fineTuneStep < diffusionSteps, got " + diffusionSteps + ", " + fineTuneStep);
            }
            for (float w : new float[] {tamperedWeight, authenticWeight, forgedImageWeight, realImageWeight}) {
                if (!(w > 0) || !Float.isFinite(w)) {
                    throw new IllegalArgumentException("diffforensics config: BCE weights must be > 0, got "
                            + tamperedWeight + "/" + authenticWeight + " (pixels), " + forgedImageWeight + "/"
                            + realImageWeight + " (images)");
                }
            }
        }

        /**
         * The paper's model on MiT-{@code variant}: decoder width 64, the encoder settings of DiffIML's paper
         * config (eps, drop-path 0.1), no noise stem, T = 1000, t_f = 5, pixel weights 2 / 0.5, image weights
         * 0.7 / 0.3.
         */
        public static Config paper(String variant, int resolution) {
            return new Config(variant, resolution, 64, MixTransformer.PAPER_BLOCK_EPS, MixTransformer.PAPER_EMBED_EPS,
                    MixTransformer.PAPER_DROP_PATH, null, 1000, 5, 2f, 0.5f, 0.7f, 0.3f);
        }

        public MitVariant mitVariant() {
            return MitVariant.parse(variant);
        }

        public Config withDecoderWidth(int d) {
            return new Config(variant, resolution, d, blockEps, embedEps, dropPath, noiseStem, diffusionSteps,
                    fineTuneStep, tamperedWeight, authenticWeight, forgedImageWeight, realImageWeight);
        }

        public Config withNoiseStem(String stem) {
            return new Config(variant, resolution, decoderWidth, blockEps, embedEps, dropPath, stem, diffusionSteps,
                    fineTuneStep, tamperedWeight, authenticWeight, forgedImageWeight, realImageWeight);
        }

        /** The same model with these BCE weights of tampered and authentic pixels. */
        public Config withPixelWeights(float tampered, float authentic) {
            return new Config(variant, resolution, decoderWidth, blockEps, embedEps, dropPath, noiseStem,
                    diffusionSteps, fineTuneStep, tampered, authentic, forgedImageWeight, realImageWeight);
        }

        /** The same model with these detection BCE weights of forged and real images. */
        public Config withImageWeights(float forged, float real) {
            return new Config(variant, resolution, decoderWidth, blockEps, embedEps, dropPath, noiseStem,
                    diffusionSteps, fineTuneStep, tamperedWeight, authenticWeight, forged, real);
        }
    }

    /** The fine-tuning loss, 0.8 (seg + edge) + 0.1 clf, and its terms (one-element tensors). */
    public record Loss(Tensor total, Tensor seg, Tensor segBce, Tensor segDice, Tensor edge, Tensor clf) {}

    /** Inference outputs: tampering probability [B, 1, R, R] and detection score [B]. */
    public record Prediction(Tensor probability, Tensor detection) {}

    /** What the heads read: the 1/4 decoder map, the three decoder scales (1/16, 1/8, 1/4), the noisy input. */
    private record Decoded(Tensor last, Tensor[] scales) {}

    private final Config config;
    private final Device device;
    private final MixTransformer encoder;
    private final NoiseStem stem;
    private final Linear time1, time2;
    private final TimeResBlock bottleneck;
    private final ModuleList<TimeResBlock> blocks;
    private final Conv2d noiseProj, noiseConv, segHead;
    private final ModuleList<Conv2d> edgeHeads;
    private final Linear clsHead;
    private boolean encoderFrozen;

    public DiffForensics(Config config, Device device) {
        this.config = config;
        this.device = device;
        MitVariant v = config.mitVariant();
        int[] dims = v.dims();
        int d = config.decoderWidth(), temb = 4 * d;
        encoder = child("segformer", new Container()).add("encoder",
                new MixTransformer(device, v, config.blockEps(), config.embedEps(), config.dropPath()));
        NoiseStem.Kind kind = NoiseStem.Kind.parse(config.noiseStem());
        stem = kind == NoiseStem.Kind.NONE ? null : child("noise_stem", new NoiseStem(device, kind, dims[0]));
        Container timeEmbedding = child("time_embedding", new Container());
        time1 = timeEmbedding.add("linear_1", new Linear(device, TimeEmbeddings.DIM, temb, true));
        time2 = timeEmbedding.add("linear_2", new Linear(device, temb, temb, true));
        Container decoder = child("decoder", new Container());
        bottleneck = decoder.add("bottleneck", decoderBlock(device, dims[3], 4 * d, temb));
        blocks = decoder.add("blocks", new ModuleList<>());
        blocks.add(decoderBlock(device, 4 * d + dims[2], 4 * d, temb));
        blocks.add(decoderBlock(device, 4 * d + dims[1], 2 * d, temb));
        blocks.add(decoderBlock(device, 2 * d + dims[0], d, temb));
        Container noise = child("noise_head", new Container());
        noiseProj = noise.add("proj", new Conv2d(device, d, NOISE_FEATURES, 1, 1, 0, 1, true));
        noiseConv = noise.add("conv", new Conv2d(device, NOISE_FEATURES + 3, 3, 3, 1, 1, 1, true));
        segHead = child("seg_head", new Conv2d(device, d, 1, 3, 1, 1, 1, true));
        edgeHeads = child("edge_heads", new ModuleList<>());
        for (int c : scaleWidths()) {
            edgeHeads.add(new Conv2d(device, c, 1, 3, 1, 1, 1, true));
        }
        clsHead = child("cls_head", new Linear(device, d, 1, true));
    }

    /** Channels of the three decoder scales the edge cue reads (1/16, 1/8, 1/4). */
    private int[] scaleWidths() {
        int d = config.decoderWidth();
        return new int[] {4 * d, 2 * d, d};
    }

    /** Seeded initialisation: the encoder as the original MiT, the rest PyTorch's layer defaults. */
    public DiffForensics init(long seed) {
        Init init = new Init(seed);
        encoder.init(init);
        if (stem != null) {
            stem.init(init);
        }
        time1.init(init);
        time2.init(init);
        bottleneck.init(init);
        for (TimeResBlock b : blocks.items()) {
            b.init(init);
        }
        noiseProj.init(init);
        noiseConv.init(init);
        segHead.init(init);
        for (Conv2d c : edgeHeads.items()) {
            c.init(init);
        }
        clsHead.init(init);
        encoder.seedDropPath(seed);
        return this;
    }

    public Config config() {
        return config;
    }

    public Device device() {
        return device;
    }

    public MixTransformer encoder() {
        return encoder;
    }

    /** The noise stem, or null. */
    public NoiseStem noiseStem() {
        return stem;
    }

    /**
     * Freezes the encoder (and the noise stem): it stays in inference mode and its forward records nothing, so
     * pretraining trains the decoder only.
     */
    public void freezeEncoder(boolean frozen) {
        this.encoderFrozen = frozen;
        train(isTraining());
    }

    public boolean encoderFrozen() {
        return encoderFrozen;
    }

    @Override
    public void train(boolean on) {
        super.train(on);
        if (encoderFrozen) {
            encoder.train(false);
            if (stem != null) {
                stem.train(false);
            }
        }
    }

    /** Parameters outside the encoder and the noise stem, by name. */
    public java.util.Map<String, Tensor> decoderParameters() {
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            if (!name.startsWith("segformer.") && !name.startsWith("noise_stem.")) {
                out.put(name, p);
            }
        });
        return out;
    }

    /** Sinusoidal embedding of one timestep per image through the two-layer MLP: [B, 4D]. */
    Tensor timeEmbedding(int[] t) {
        Tensor s = Tensor.of(device, TimeEmbeddings.sinusoid(t), t.length, TimeEmbeddings.DIM);
        return time2.forward(Activations.silu(time1.forward(s)));
    }

    private Tensor[] encode(Tensor input) {
        try (GradMode.Guard g = GradMode.enabled(GradMode.enabled() && !encoderFrozen)) {
            return encoder.forward(input, stem == null ? null : stem.forward(input));
        }
    }

    private Decoded decode(Tensor input, int[] t) {
        if (t.length != input.dim(0)) {
            throw new IllegalArgumentException("diffforensics: " + t.length + " timesteps for a batch of "
                    + input.dim(0));
        }
        Tensor[] stages = encode(input);
        Tensor temb = timeEmbedding(t);
        Tensor h = bottleneck.forward(stages[3], temb);
        Tensor[] scales = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            Tensor skip = stages[2 - i];
            Tensor up = Resize.bilinear(h, skip.dim(2), skip.dim(3));
            h = blocks.get(i).forward(Layout.concat(1, up, skip), temb);
            scales[i] = h;
        }
        return new Decoded(h, scales);
    }

    private int[] constantSteps(int batch, int t) {
        int[] steps = new int[batch];
        java.util.Arrays.fill(steps, t);
        return steps;
    }

    /** Stage 1: the predicted noise [B, 3, R, R] of noisy images x_t [B, 3, R, R] at timesteps {@code t}. */
    public Tensor predictNoise(Tensor noisy, int[] t) {
        Decoded d = decode(noisy, t);
        Tensor f = noiseProj.forward(Activations.silu(d.last()));
        f = Resize.bilinear(f, noisy.dim(2), noisy.dim(3));
        return noiseConv.forward(Layout.concat(1, Activations.silu(f), noisy));
    }

    /** The three heads of stage 2 on clean images at t_f. */
    private record Heads(Tensor segLogits, Tensor[] edgeProbabilities, Tensor clsLogits) {}

    private Heads heads(Tensor image, boolean withEdges) {
        int b = image.dim(0), r = image.dim(2), c = image.dim(3);
        Decoded d = decode(image, constantSteps(b, config.fineTuneStep()));
        Tensor seg = Resize.bilinear(segHead.forward(d.last()), r, c);
        Tensor[] edges = null;
        if (withEdges) {
            edges = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                Tensor dk = d.scales()[i];
                Tensor enhanced = Arithmetic.add(dk, Arithmetic.scale(EdgeCue.gradientMagnitude(dk), -1f));
                edges[i] = Resize.bilinear(Activations.sigmoid(edgeHeads.get(i).forward(enhanced)), r, c);
            }
        }
        Tensor last = d.last();
        int ch = last.dim(1);
        Tensor pooled = Reduce.mean(Layout.reshape(last, b, ch, last.dim(2) * last.dim(3)), 2);
        Tensor cls = Layout.reshape(clsHead.forward(pooled), b);
        return new Heads(seg, edges, cls);
    }

    /** Edge-loss weights of the scales 1/16, 1/8, 1/4 (the last, finest output weighs most). */
    static final float[] EDGE_WEIGHTS = {0.25f, 0.5f, 1f};

    /**
     * Stage 2's loss on ImageNet-normalised images [B, 3, R, R], {0,1} masks and edge labels [B, 1, R, R] and
     * the image labels (tampered or not):
     * {@code 0.8 (L_seg + L_edg) + 0.1 L_clf}, L_seg = 0.1 wBCE + 0.9 Dice (squared denominators), L_edg the
     * weighted Dice of the three edge maps, L_clf the class-weighted BCE of the detection logit.
     */
    public Loss fineTune(Tensor image, Tensor mask01, Tensor edge01, boolean[] tampered) {
        Heads h = heads(image, true);
        Tensor bce = ForensicsLosses.weightedBce(h.segLogits(), mask01, config.tamperedWeight(),
                config.authenticWeight());
        Tensor dice = ForensicsLosses.squaredDice(Activations.sigmoid(h.segLogits()), mask01);
        Tensor seg = Arithmetic.add(Arithmetic.scale(bce, 0.1f), Arithmetic.scale(dice, 0.9f));
        Tensor edge = null;
        for (int i = 0; i < 3; i++) {
            Tensor term = Arithmetic.scale(ForensicsLosses.squaredDice(h.edgeProbabilities()[i], edge01),
                    EDGE_WEIGHTS[i]);
            edge = edge == null ? term : Arithmetic.add(edge, term);
        }
        float[] labels = new float[tampered.length];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = tampered[i] ? 1f : 0f;
        }
        Tensor clf = ForensicsLosses.weightedBce(h.clsLogits(), Tensor.of(device, labels, labels.length),
                config.forgedImageWeight(), config.realImageWeight());
        Tensor total = Arithmetic.add(Arithmetic.scale(Arithmetic.add(seg, edge), 0.8f), Arithmetic.scale(clf, 0.1f));
        return new Loss(total, seg, bce, dice, edge, clf);
    }

    /** Tampering probability and detection score of ImageNet-normalised images; records nothing. */
    public Prediction predict(Tensor image) {
        try (GradMode.Guard g = GradMode.disabled()) {
            Heads h = heads(image, false);
            return new Prediction(Activations.sigmoid(h.segLogits()), Activations.sigmoid(h.clsLogits()));
        }
    }

    /**
     * A decoder block; its input norm has {@value #GROUPS} groups where they divide the channels (encoder widths such
     * as 160 do), else 1.
     */
    private static TimeResBlock decoderBlock(Device device, int in, int out, int temb) {
        return new TimeResBlock(device, in, out, temb, in % GROUPS == 0 ? GROUPS : 1, GROUPS, NORM_EPS);
    }
}
