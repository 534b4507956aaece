package ai.diffiml.model.diffiml;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
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
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.Arrays;

/**
 * The encoder half of the Stable Diffusion VAE (diffusers {@code AutoencoderKL}, {@code stabilityai/sd-vae-ft-mse}
 * layout) plus its {@code quant_conv}: the frozen teacher whose posterior mean LightVAE is distilled towards
 * (method.md section 3). Only the posterior mean is ever used, so the decoder is not built.
 *
 * <p>Architecture, as diffusers' {@code Encoder} builds it for {@code DownEncoderBlock2D} blocks: {@code conv_in}
 * (3x3); per level i a down block of {@code layersPerBlock} ResNets (GroupNorm, SiLU, conv3x3, GroupNorm, SiLU,
 * conv3x3, plus a 1x1 {@code conv_shortcut} when the width changes; no time embedding) followed, except on the last
 * level, by a Downsample2D: zero padding of one column on the right and one row at the bottom (torch
 * {@code F.pad(x, (0, 1, 0, 1))}), then a 3x3 stride-2 conv without padding, so each level halves H and W (rounding
 * down); a mid block ResNet, single-head self-attention over all positions (GroupNorm, {@code to_q}/{@code to_k}/
 * {@code to_v}/{@code to_out.0} projections, scale 1/sqrt(C), residual), ResNet; then GroupNorm, SiLU and a 3x3
 * {@code conv_out} to 2 x latent channels (mean | log-variance, {@code double_z}); finally the 1x1
 * {@code quant_conv}. Every GroupNorm has eps 1e-6 (diffusers hard-codes it for the VAE).
 *
 * <p>Weight names are those of the {@code AutoencoderKL} state dict: {@code encoder.conv_in},
 * {@code encoder.down_blocks.{i}.resnets.{j}.{norm1,conv1,norm2,conv2,conv_shortcut}},
 * {@code encoder.down_blocks.{i}.downsamplers.0.conv}, {@code encoder.mid_block.attentions.0.{group_norm,to_q,to_k,
 * to_v,to_out.0}}, {@code encoder.mid_block.resnets.{0,1}.*}, {@code encoder.conv_norm_out}, {@code encoder.conv_out},
 * {@code quant_conv}. Load them with {@link ai.diffiml.io.SdVaeWeights}.
 *
 * <p>Frozen: the parameters do not require gradients, and {@link #moments} and {@link #posteriorMean} always run
 * with the tape off (they open {@link GradMode#disabled()} themselves), so their outputs are constants for a
 * student's loss. That also lets each block free its intermediates as soon as it is done with them: peak memory is
 * about four activations of the largest level (e.g. 4 x 128 x 512 x 512 floats = 512 MiB per image at 512 x 512)
 * plus the attention probabilities, (H/8 * W/8)^2 floats per image (64 MiB at 512 x 512).
 *
 * <p>The real configuration ({@link Config#SD_VAE_FT_MSE}) has 34,163,664 parameters: 34,163,592 in the encoder and
 * 72 in {@code quant_conv}.
 */
public final class SdVaeEncoder extends Module {
    /** Latent scale of Stable Diffusion's VAE ({@code scaling_factor}). */
    public static final float LATENT_SCALE = 0.18215f;
    /** GroupNorm eps of every norm in the VAE (diffusers' Encoder passes 1e-6 throughout). */
    public static final float EPS = 1e-6f;

    /**
     * Shape of the encoder. {@code widths}: {@code block_out_channels}, one per level (each a multiple of
     * {@code groups}); {@code layersPerBlock}: ResNets per down block; {@code groups}: GroupNorm groups
     * ({@code norm_num_groups}); {@code inChannels}: image channels; {@code latentChannels}: channels of the
     * posterior mean (conv_out and quant_conv have twice as many).
     */
    public record Config(int inChannels, int[] widths, int layersPerBlock, int groups, int latentChannels) {
        /** {@code stabilityai/sd-vae-ft-mse}: widths 128, 256, 512, 512; 2 ResNets per block; 32 groups; 4 latents. */
        public static final Config SD_VAE_FT_MSE = new Config(3, new int[] {128, 256, 512, 512}, 2, 32, 4);

        public Config {
            widths = widths.clone();
            if (inChannels < 1 || latentChannels < 1 || layersPerBlock < 1 || groups < 1 || widths.length < 1) {
                throw new IllegalArgumentException("SdVaeEncoder.Config: bad shape " + describe(inChannels, widths,
                        layersPerBlock, groups, latentChannels));
            }
            for (int w : widths) {
                if (w < 1 || w % groups != 0) {
                    throw new IllegalArgumentException("SdVaeEncoder.Config: width " + w + " is not a positive"
                            + " multiple of " + groups + " groups in " + describe(inChannels, widths, layersPerBlock,
                                    groups, latentChannels));
                }
            }
        }

        @Override
        public int[] widths() {
            return widths.clone();
        }

        /** How many times the input is halved: one Downsample2D per level but the last. */
        public int downsamplings() {
            return widths.length - 1;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.inChannels == inChannels && Arrays.equals(c.widths, widths)
                    && c.layersPerBlock == layersPerBlock && c.groups == groups && c.latentChannels == latentChannels;
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(widths) + inChannels + 7 * layersPerBlock + 11 * groups + 13 * latentChannels;
        }

        @Override
        public String toString() {
            return describe(inChannels, widths, layersPerBlock, groups, latentChannels);
        }

        private static String describe(int in, int[] widths, int layers, int groups, int latent) {
            return "Config[in " + in + ", widths " + Arrays.toString(widths) + ", layers per block " + layers
                    + ", groups " + groups + ", latent " + latent + "]";
        }
    }

    private final Config config;
    private final Conv2d convIn;
    private final ModuleList<DownBlock> downBlocks;
    private final Resnet midResnet0, midResnet1;
    private final SpatialSelfAttention midAttention;
    private final GroupNorm normOut;
    private final Conv2d convOut;
    private final Conv2d quantConv;

    /** The real {@code sd-vae-ft-mse} encoder (about 137 MB of float32 parameters), uninitialised. */
    public SdVaeEncoder(Device device) {
        this(device, Config.SD_VAE_FT_MSE);
    }

    /** An encoder of the given shape with uninitialised parameters (load weights or call {@link #init}). */
    public SdVaeEncoder(Device device, Config config) {
        this.config = config;
        int[] widths = config.widths();
        int groups = config.groups();
        Container encoder = child("encoder", new Container());
        convIn = encoder.add("conv_in", new Conv2d(device, config.inChannels(), widths[0], 3, 1, 1, 1, true));
        downBlocks = encoder.add("down_blocks", new ModuleList<>());
        int in = widths[0];
        for (int i = 0; i < widths.length; i++) {
            downBlocks.add(new DownBlock(device, in, widths[i], config.layersPerBlock(), groups,
                    i < widths.length - 1));
            in = widths[i];
        }
        int top = widths[widths.length - 1];
        // diffusers' UNetMidBlock2D registers its attentions before its resnets.
        Container mid = encoder.add("mid_block", new Container());
        midAttention = mid.add("attentions", new ModuleList<SpatialSelfAttention>())
                .add(new SpatialSelfAttention(device, top, 1, groups, EPS));
        ModuleList<Resnet> midResnets = mid.add("resnets", new ModuleList<>());
        midResnet0 = midResnets.add(new Resnet(device, top, top, groups));
        midResnet1 = midResnets.add(new Resnet(device, top, top, groups));
        normOut = encoder.add("conv_norm_out", new GroupNorm(device, groups, top, EPS));
        int moments = 2 * config.latentChannels();
        convOut = encoder.add("conv_out", new Conv2d(device, top, moments, 3, 1, 1, 1, true));
        quantConv = child("quant_conv", new Conv2d(device, moments, moments, 1, 1, 0, 1, true));
        for (Tensor p : namedParameters().values()) {
            p.requiresGrad(false);
        }
    }

    public Config config() {
        return config;
    }

    /**
     * PyTorch's default initialisation for the convolutions and projections (GroupNorms start at 1 and 0), seeded:
     * for tests and shape checks; the teacher proper is always loaded from sd-vae-ft-mse weights.
     */
    public SdVaeEncoder init(Init init) {
        convIn.init(init);
        for (DownBlock b : downBlocks.items()) {
            b.init(init);
        }
        midResnet0.init(init);
        midAttention.init(init);
        midResnet1.init(init);
        convOut.init(init);
        quantConv.init(init);
        return this;
    }

    /**
     * The Gaussian posterior's moments: {@code quant_conv(encoder(image))}, [B, 2 * latent, H', W'] with the mean in
     * the first {@code latent} channels and the log-variance in the rest (unscaled). image: [B, inChannels, H, W]
     * in [-1, 1], H and W at least 2^(levels - 1) (8 for the real config); H' = {@link #outputSize}(H). Runs with
     * the tape off; the result belongs to the caller's scope (or to the caller when none is open).
     */
    public Tensor moments(Tensor image) {
        if (image.rank() != 4 || image.dim(1) != config.inChannels()) {
            throw new IllegalArgumentException("SdVaeEncoder: expected an image [B, " + config.inChannels()
                    + ", H, W], got " + image.describe());
        }
        int minSide = 1 << config.downsamplings();
        if (image.dim(2) < minSide || image.dim(3) < minSide) {
            throw new IllegalArgumentException("SdVaeEncoder: image " + image.describe() + " is smaller than "
                    + minSide + " x " + minSide + ", the least that " + config.downsamplings()
                    + " downsamplings accept");
        }
        try (GradMode.Guard off = GradMode.disabled(); Scope scope = Scope.open()) {
            Tensor h = convIn.forward(image);
            for (DownBlock b : downBlocks.items()) {
                h = replace(h, b.forward(h));
            }
            h = replace(h, midResnet0.forward(h));
            Tensor attended;
            try (Scope attentionScope = Scope.open()) { // frees the attention probabilities right away
                attended = attentionScope.keep(midAttention.forward(h));
            }
            h = replace(h, attended);
            h = replace(h, midResnet1.forward(h));
            h = replace(h, normOut.forward(h));
            h = replace(h, Activations.silu(h));
            h = replace(h, convOut.forward(h));
            return scope.keep(replace(h, quantConv.forward(h)));
        }
    }

    /**
     * The teacher latent of a mask: posterior mean x {@value #LATENT_SCALE}, [B, latent, H', W'] (H' = H / 8 for
     * the real config when H is a multiple of 8). mask: [B, 1, H, W] already in [-1, 1]; it is repeated to the
     * {@code inChannels} image channels, as the distillation recipe feeds a mask to the RGB VAE. Runs with the tape
     * off (see the class comment).
     */
    public Tensor posteriorMean(Tensor mask) {
        if (mask.rank() != 4 || mask.dim(1) != 1) {
            throw new IllegalArgumentException("SdVaeEncoder.posteriorMean: expected a mask [B, 1, H, W], got "
                    + mask.describe());
        }
        try (GradMode.Guard off = GradMode.disabled(); Scope scope = Scope.open()) {
            Tensor[] copies = new Tensor[config.inChannels()];
            Arrays.fill(copies, mask);
            Tensor image = copies.length == 1 ? mask : Layout.concat(1, copies);
            Tensor moments = moments(image);
            Tensor mean = Layout.slice(moments, 1, 0, config.latentChannels());
            return scope.keep(Arithmetic.scale(mean, LATENT_SCALE));
        }
    }

    /** Spatial size after the encoder: each Downsample2D maps n to floor(n / 2) (for n >= 2). */
    public int outputSize(int n) {
        for (int i = 0; i < config.downsamplings(); i++) {
            n /= 2;
        }
        return n;
    }

    /** Closes {@code previous} (an intermediate owned by the running forward) and returns {@code next}. */
    private static Tensor replace(Tensor previous, Tensor next) {
        if (previous != next) {
            previous.close();
        }
        return next;
    }

    /**
     * {@code [x | 0]} along W then {@code [x ; 0]} along H: torch's {@code F.pad(x, (0, 1, 0, 1))} (one zero column
     * on the right, one zero row at the bottom).
     */
    static Tensor padRightBottom(Tensor x) {
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        Tensor column = Tensor.zeros(x.device(), b, c, h, 1);
        Tensor wide = Layout.concat(3, x, column);
        column.close();
        Tensor row = Tensor.zeros(x.device(), b, c, 1, w + 1);
        Tensor out = Layout.concat(2, wide, row);
        wide.close();
        row.close();
        return out;
    }

    /** diffusers' ResnetBlock2D without time embedding: GN, SiLU, conv3x3, GN, SiLU, conv3x3, + shortcut. */
    static final class Resnet extends Module {
        private final GroupNorm norm1, norm2;
        private final Conv2d conv1, conv2, shortcut;

        Resnet(Device device, int in, int out, int groups) {
            norm1 = child("norm1", new GroupNorm(device, groups, in, EPS));
            conv1 = child("conv1", new Conv2d(device, in, out, 3, 1, 1, 1, true));
            norm2 = child("norm2", new GroupNorm(device, groups, out, EPS));
            conv2 = child("conv2", new Conv2d(device, out, out, 3, 1, 1, 1, true));
            shortcut = in != out ? child("conv_shortcut", new Conv2d(device, in, out, 1, 1, 0, 1, true)) : null;
        }

        void init(Init init) {
            conv1.init(init);
            conv2.init(init);
            if (shortcut != null) {
                shortcut.init(init);
            }
        }

        /** x is left intact; every intermediate is freed before returning (tape off only). */
        Tensor forward(Tensor x) {
            Tensor h = norm1.forward(x);
            h = replace(h, Activations.silu(h));
            h = replace(h, conv1.forward(h));
            h = replace(h, norm2.forward(h));
            h = replace(h, Activations.silu(h));
            h = replace(h, conv2.forward(h));
            if (shortcut == null) {
                return replace(h, Arithmetic.add(x, h));
            }
            Tensor s = shortcut.forward(x);
            Tensor out = Arithmetic.add(s, h);
            s.close();
            h.close();
            return out;
        }
    }

    /** diffusers' Downsample2D with padding 0: {@link #padRightBottom} then conv3x3 stride 2, no padding. */
    static final class Downsample extends Module {
        private final Conv2d conv;

        Downsample(Device device, int channels) {
            conv = child("conv", new Conv2d(device, channels, channels, 3, 2, 0, 1, true));
        }

        void init(Init init) {
            conv.init(init);
        }

        Tensor forward(Tensor x) {
            Tensor padded = padRightBottom(x);
            return replace(padded, conv.forward(padded));
        }
    }

    /** diffusers' DownEncoderBlock2D: {@code resnets}, then optionally {@code downsamplers.0}. */
    static final class DownBlock extends Module {
        private final ModuleList<Resnet> resnets;
        private final Downsample downsample;

        DownBlock(Device device, int in, int out, int layers, int groups, boolean downsample) {
            resnets = child("resnets", new ModuleList<>());
            for (int j = 0; j < layers; j++) {
                resnets.add(new Resnet(device, j == 0 ? in : out, out, groups));
            }
            this.downsample = downsample
                    ? child("downsamplers", new ModuleList<Downsample>()).add(new Downsample(device, out))
                    : null;
        }

        void init(Init init) {
            for (Resnet r : resnets.items()) {
                r.init(init);
            }
            if (downsample != null) {
                downsample.init(init);
            }
        }

        /** x is left intact (tape off only). */
        Tensor forward(Tensor x) {
            Tensor h = x;
            for (Resnet r : resnets.items()) {
                Tensor next = r.forward(h);
                if (h != x) {
                    h.close();
                }
                h = next;
            }
            if (downsample != null) {
                Tensor next = downsample.forward(h);
                if (h != x) {
                    h.close();
                }
                h = next;
            }
            return h;
        }
    }
}
