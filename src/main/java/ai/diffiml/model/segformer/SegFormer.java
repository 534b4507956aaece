package ai.diffiml.model.segformer;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.model.DiceLoss;
import ai.diffiml.model.NoiseStem;
import ai.diffiml.model.SegmentationLoss;
import ai.diffiml.model.TokenMaps;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;
import ai.diffiml.nn.BatchNorm2d;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Linear;
import ai.diffiml.nn.Module;
import ai.diffiml.nn.ModuleList;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Losses;
import ai.diffiml.ops.Resize;
import ai.diffiml.tensor.Tensor;

/**
 * The discriminative baseline of the paper: the same Mix Transformer encoder as DiffIML with SegFormer's
 * all-MLP decode head, predicting one channel of tampering logits. Head (HuggingFace {@code SegformerDecodeHead}):
 * per stage a linear layer to a common width D on the tokens, bilinear resize (align_corners false) to the 1/4 grid,
 * concat [c4, c3, c2, c1], 1x1 fuse conv (no bias), BatchNorm, ReLU, 1x1 classifier conv to 1 channel; the logits
 * are resized bilinearly to the input size. SegFormer's classifier dropout (0.1) is left out. Trained with
 * BCE-with-logits plus {@code diceWeight} x {@link DiceLoss}.
 *
 * <p>Weight names: {@code segformer.encoder.*} (as in DiffIml, so MiT weights import the same way) and
 * HuggingFace's {@code decode_head.linear_c.{i}.proj}, {@code decode_head.linear_fuse},
 * {@code decode_head.batch_norm}, {@code decode_head.classifier}.
 */
public final class SegFormer extends Module {
    /**
     * Shape and loss of a SegFormer.
     *
     * @param variant Mix Transformer variant (b0..b5)
     * @param resolution square input size in pixels (a multiple of 32)
     * @param decoderWidth D, the head's common width (SegFormer: 256 for b0/b1, 768 for b2..b5)
     * @param blockEps LayerNorm eps of MiT blocks and stage norms
     * @param embedEps LayerNorm eps of MiT patch-embedding and reduction norms
     * @param dropPath MiT stochastic-depth rate (training)
     * @param diceWeight weight of the Dice term next to BCE
     * @param posWeight 0 for the paper's loss (plain BCE + Dice per image over all images); a positive number for
     *     {@link SegmentationLoss}: BCE whose tampered pixels weigh this much + Dice over the tampered images
     */
    public record Config(String variant, int resolution, int decoderWidth, float blockEps, float embedEps,
            double dropPath, float diceWeight, float posWeight, String noiseStem) {
        /** Components added after the first checkpoints, with what a file without them means (see ModelConfig). */
        public static final java.util.Map<String, Object> ADDED_COMPONENTS = java.util.Map.of("posWeight", 0f,
                "noiseStem", "none");

        /** The paper's loss (no positive weight, Dice over all images), no noise stem. */
        public Config(String variant, int resolution, int decoderWidth, float blockEps, float embedEps,
                double dropPath, float diceWeight) {
            this(variant, resolution, decoderWidth, blockEps, embedEps, dropPath, diceWeight, 0f, null);
        }

        public Config {
            noiseStem = noiseStem == null ? NoiseStem.Kind.NONE.label : NoiseStem.Kind.parse(noiseStem).label;
            if (!(posWeight >= 0 && Float.isFinite(posWeight))) {
                throw new IllegalArgumentException("segformer config: posWeight must be >= 0 (0: the paper's loss),"
                        + " got " + posWeight);
            }
            MitVariant.parse(variant);
            if (resolution < 32 || resolution % 32 != 0) {
                throw new IllegalArgumentException("segformer config: resolution must be a positive multiple of 32,"
                        + " got " + resolution);
            }
            if (decoderWidth < 1 || !(blockEps > 0) || !(embedEps > 0) || !(dropPath >= 0 && dropPath < 1)
                    || !(diceWeight >= 0)) {
                throw new IllegalArgumentException("segformer config: bad decoderWidth " + decoderWidth + ", eps "
                        + blockEps + "/" + embedEps + ", dropPath " + dropPath + " or diceWeight " + diceWeight);
            }
        }

        /**
         * SegFormer's head width for the variant, the paper's encoder settings ({@link MixTransformer#PAPER_BLOCK_EPS}
         * and the others, as DiffIML's paper config: eps, drop-path 0.1) and BCE + 1 x Dice.
         */
        public static Config of(String variant, int resolution) {
            MitVariant v = MitVariant.parse(variant);
            int width = v == MitVariant.B0 || v == MitVariant.B1 ? 256 : 768;
            return new Config(variant, resolution, width, MixTransformer.PAPER_BLOCK_EPS,
                    MixTransformer.PAPER_EMBED_EPS, MixTransformer.PAPER_DROP_PATH, 1f);
        }

        public MitVariant mitVariant() {
            return MitVariant.parse(variant);
        }

        /** The same model trained with {@link SegmentationLoss} at this positive weight. */
        public Config withPosWeight(float w) {
            return new Config(variant, resolution, decoderWidth, blockEps, embedEps, dropPath, diceWeight, w,
                    noiseStem);
        }

        /** The same model with this {@link NoiseStem} (label none, srm or srm+bayar). */
        public Config withNoiseStem(String stem) {
            return new Config(variant, resolution, decoderWidth, blockEps, embedEps, dropPath, diceWeight, posWeight,
                    stem);
        }
    }

    /** The training loss and its two terms (each a one-element tensor). */
    public record Loss(Tensor total, Tensor bce, Tensor dice) {}

    private final Config config;
    private final Device device;
    private final MixTransformer encoder;
    private final ModuleList<Container> linearC;
    private final Conv2d fuse;
    private final BatchNorm2d norm;
    private final Conv2d classifier;
    private final NoiseStem stem;

    public SegFormer(Config config, Device device) {
        this.config = config;
        this.device = device;
        MitVariant v = config.mitVariant();
        encoder = child("segformer", new Container()).add("encoder",
                new MixTransformer(device, v, config.blockEps(), config.embedEps(), config.dropPath()));
        Container head = child("decode_head", new Container());
        linearC = head.add("linear_c", new ModuleList<>());
        int d = config.decoderWidth();
        for (int dim : v.dims()) {
            linearC.add(new Container()).add("proj", new Linear(device, dim, d, true));
        }
        fuse = head.add("linear_fuse", new Conv2d(device, 4 * d, d, 1, 1, 0, 1, false));
        norm = head.add("batch_norm", new BatchNorm2d(device, d));
        classifier = head.add("classifier", new Conv2d(device, d, 1, 1, 1, 0, 1, true));
        NoiseStem.Kind kind = NoiseStem.Kind.parse(config.noiseStem());
        stem = kind == NoiseStem.Kind.NONE ? null : child("noise_stem", new NoiseStem(device, kind, v.dims()[0]));
    }

    /** The noise stem, or null when the config has none. */
    public NoiseStem noiseStem() {
        return stem;
    }

    /**
     * Random initialisation, seeded (the encoder as the original Mix Transformer, the head PyTorch layer defaults);
     * drop-path seeded from the same seed.
     */
    public SegFormer init(long seed) {
        Init init = new Init(seed);
        encoder.init(init);
        for (Container c : linearC.items()) {
            proj(c).init(init);
        }
        fuse.init(init);
        classifier.init(init);
        if (stem != null) {
            stem.init(init);
        }
        encoder.seedDropPath(seed);
        return this;
    }

    private static Linear proj(Container c) {
        return (Linear) c.children().get("proj");
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

    /** Tampering logits [B, 1, H, W] of an ImageNet-normalised image [B, 3, H, W]. */
    public Tensor forward(Tensor image) {
        Tensor[] stages = encoder.forward(image, stem == null ? null : stem.forward(image));
        int h = stages[0].dim(2), w = stages[0].dim(3);
        Tensor[] parts = new Tensor[4];
        for (int i = 0; i < 4; i++) {
            Tensor s = stages[i];
            Tensor tokens = proj(linearC.get(i)).forward(TokenMaps.toTokens(s));
            Tensor map = TokenMaps.toMap(tokens, s.dim(2), s.dim(3));
            parts[3 - i] = map.dim(2) == h && map.dim(3) == w ? map : Resize.bilinear(map, h, w);
        }
        Tensor fused = Activations.relu(norm.forward(fuse.forward(Layout.concat(1, parts))));
        Tensor logits = classifier.forward(fused);
        return Resize.bilinear(logits, image.dim(2), image.dim(3));
    }

    /**
     * BCE-with-logits + diceWeight x Dice of the logits against a {0,1} mask [B, 1, H, W]: the paper's form, or
     * {@link SegmentationLoss} when the config has a positive weight.
     */
    public Loss loss(Tensor image, Tensor mask01) {
        Tensor logits = forward(image);
        if (config.posWeight() > 0) {
            SegmentationLoss.Terms t = SegmentationLoss.of(logits, mask01, config.posWeight(), config.diceWeight());
            return new Loss(t.total(), t.bce(), t.dice());
        }
        Tensor bce = Losses.bceWithLogits(logits, mask01);
        Tensor dice = DiceLoss.of(logits, mask01);
        return new Loss(Arithmetic.add(bce, Arithmetic.scale(dice, config.diceWeight())), bce, dice);
    }

    /** Tampering probability [B, 1, H, W] (sigmoid of the logits); inference only (records nothing). */
    public Tensor predict(Tensor image) {
        try (GradMode.Guard g = GradMode.disabled()) {
            return Activations.sigmoid(forward(image));
        }
    }
}
