package ai.diffiml.model;

import ai.diffiml.backend.Device;
import ai.diffiml.nn.BatchNorm2d;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Conv;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Reduce;
import ai.diffiml.tensor.Tensor;
import java.util.Locale;

/**
 * A forensic noise stem for the Mix Transformer: noise residuals of the image and their log local energy, embedded
 * batch-normalised per feature channel (log energies sit at very different levels: a textured patch's energy is
 * orders of magnitude above a flat one's), through two 3x3 conv + BatchNorm + ReLU layers ({@value #DEFAULT_WIDTH}
 * channels unless a width is given)
 * at full resolution (an early-convolution stem: the nonlinear local comparisons of noise statistics a 7x7 stride-4
 * linear patch embedding cannot make), embedded by a 7x7 stride-4 conv onto the first stage's grid and added to the
 * first patch embedding before its LayerNorm.
 * Adding a second embedding is the same as giving the first patch embedding extra input channels, but keeps that
 * embedding's weights exactly the MiT's, so ImageNet imports load unchanged.
 *
 * <p>Why: the MiT stem is a linear conv followed by a per-token LayerNorm, which divides noise-level differences
 * away before anything nonlinear sees them. The residuals' log energy is the nonlinearity those traces need.
 * <ul>
 *   <li>{@link Kind#SRM}: per colour channel, the three fixed SRM high-pass kernels that RGB-N and IMDL-BenCo use
 *       (5x5 second-order "KB", 5x5 "KV", 3x3 horizontal second difference), in grey levels (the ImageNet
 *       normalisation is undone inside the kernel); features: the 9 residuals / {@value #RESIDUAL_SCALE} and
 *       log(1 + mean of residual^2 over 5x5).</li>
 *   <li>{@link Kind#SRM_BAYAR}: the same plus a Bayar-constrained learnable 5x5 conv (3 -> 3 channels): for every
 *       (output, input) pair the centre tap is -1 and the other 24 sum to 1, enforced in the forward pass by the
 *       affine projection w - mean(w) + 1/24 of the free taps (differentiable; unlike Bayar's rescaling by the sum it
 *       cannot divide by a sum near zero); its 3 residuals and their log 5x5 energy join the features.</li>
 * </ul>
 * Weight names (beside {@code segformer.encoder}): {@code noise_stem.norm.*}, {@code noise_stem.conv1/norm1/conv2/norm2.*},
 * {@code noise_stem.proj.*}, {@code noise_stem.bayar_weight};
 * buffers {@code noise_stem.srm_kernels}, {@code noise_stem.box}. Initialisation: the projection like the MiT's
 * patch embeddings (He-normal over fan-out) for a random encoder, zeros after an ImageNet import ({@link #zeroProjection})
 * so the imported encoder computes what it computed before; Bayar taps U(-1, 1) before projection.
 */
public final class NoiseStem extends Module {
    /** Which residuals the stem computes. */
    public enum Kind {
        NONE("none"), SRM("srm"), SRM_BAYAR("srm+bayar");

        public final String label;

        Kind(String label) {
            this.label = label;
        }

        /** Parses "none", "srm" or "srm+bayar" (case-insensitive). */
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.label.equals(s.toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown noise stem '" + s + "' (expected none, srm or srm+bayar)");
        }
    }

    /** The ImageNet std per channel that the input was normalised with (data.Preprocess.STD; a test keeps them equal). */
    static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    /** Width of the stem's two full-resolution convolutions where the model does not set one. */
    public static final int DEFAULT_WIDTH = 32;
    /** The widest stem a config may ask for (its two layers run at full resolution). */
    public static final int MAX_WIDTH = 128;
    /** Residuals are divided by this before they join the features (grey-level residuals reach tens). */
    static final float RESIDUAL_SCALE = 8f;
    /** Side of the box over which residual energy is averaged. */
    static final int ENERGY_BOX = 5;

    private final Kind kind;
    private final Tensor srmKernels; // [9, 1, 5, 5]: 3 kernels per colour channel, ImageNet scale undone
    private final Tensor box; // [featureChannels, 1, 5, 5] of 1/25
    private final Tensor bayarFree; // [3 * 3, 24] free taps, or null
    private final BatchNorm2d norm;
    private final Conv2d conv1, conv2;
    private final BatchNorm2d norm1, norm2;
    private final Conv2d proj;
    private final int residualChannels;
    private final int width;

    public NoiseStem(Device device, Kind kind, int embedDim) {
        this(device, kind, embedDim, DEFAULT_WIDTH);
    }

    /** A stem whose two full-resolution layers have {@code width} channels (1..{@value #MAX_WIDTH}). */
    public NoiseStem(Device device, Kind kind, int embedDim, int width) {
        if (kind == Kind.NONE) {
            throw new IllegalArgumentException("NoiseStem: kind none has no stem");
        }
        if (width < 1 || width > MAX_WIDTH) {
            throw new IllegalArgumentException("NoiseStem: width must be in [1, " + MAX_WIDTH + "], got " + width);
        }
        this.width = width;
        this.kind = kind;
        residualChannels = kind == Kind.SRM_BAYAR ? 12 : 9;
        srmKernels = buffer("srm_kernels", device, 9, 1, 5, 5);
        srmKernels.copyFrom(srmWeights());
        box = buffer("box", device, residualChannels, 1, ENERGY_BOX, ENERGY_BOX)
                .fill(1f / (ENERGY_BOX * ENERGY_BOX));
        bayarFree = kind == Kind.SRM_BAYAR ? param("bayar_weight", device, 9, 24) : null;
        norm = child("norm", new BatchNorm2d(device, 2 * residualChannels));
        conv1 = child("conv1", new Conv2d(device, 2 * residualChannels, width, 3, 1, 1, 1, false));
        norm1 = child("norm1", new BatchNorm2d(device, width));
        conv2 = child("conv2", new Conv2d(device, width, width, 3, 1, 1, 1, false));
        norm2 = child("norm2", new BatchNorm2d(device, width));
        proj = child("proj", new Conv2d(device, width, embedDim, 7, 4, 3, 1, true));
    }

    public Kind kind() {
        return kind;
    }

    /** Channels of the full-resolution features ({@link #hidden}). */
    public int width() {
        return width;
    }

    /** The MiT's conv initialisation for the projection; Bayar taps U(-1, 1). */
    public void init(Init init) {
        conv1.initFanOut(init);
        conv2.initFanOut(init);
        proj.initFanOut(init);
        if (bayarFree != null) {
            init.uniform(bayarFree, 1);
        }
    }

    /** Zero projection: the stem adds nothing until training moves it (used after ImageNet encoder imports). */
    public void zeroProjection() {
        proj.namedParameters().values().forEach(t -> t.fill(0f));
    }

    /** The embedding [B, embedDim, H/4, W/4] to add to the first patch embedding of an ImageNet-normalised image. */
    public Tensor forward(Tensor image) {
        return proj.forward(hidden(image));
    }

    /** The full-resolution features the projection reads: [B, width, H, W]. */
    public Tensor hidden(Tensor image) {
        Tensor x = norm.forward(features(image));
        x = Activations.relu(norm1.forward(conv1.forward(x)));
        return Activations.relu(norm2.forward(conv2.forward(x)));
    }

    /** The projection of {@link #hidden} features. */
    public Tensor project(Tensor hidden) {
        return proj.forward(hidden);
    }

    /** The stem's features before the projection: [residuals / scale | log energies], [B, 2 x residuals, H, W]. */
    Tensor features(Tensor image) {
        // Each SRM kernel reads one colour channel: a depthwise conv of the image with every channel repeated 3
        // times runs on the direct depthwise kernel (a grouped conv took im2col + GEMMs of 3 rows: 8x the work).
        Tensor[] perKernel = new Tensor[9];
        for (int k = 0; k < 9; k++) {
            perKernel[k] = Layout.slice(image, 1, k / 3, 1);
        }
        Tensor residuals = Conv.conv2d(Layout.concat(1, perKernel), srmKernels, null, 1, 2, 9);
        if (kind == Kind.SRM_BAYAR) {
            residuals = Layout.concat(1, residuals, Conv.conv2d(image, bayarKernel(), null, 1, 2, 1));
        }
        Tensor energy = Conv.conv2d(Arithmetic.mul(residuals, residuals), box, null, 1, ENERGY_BOX / 2,
                residualChannels);
        return Layout.concat(1, Arithmetic.scale(residuals, 1f / RESIDUAL_SCALE), Activations.log1p(energy));
    }

    /**
     * The constrained Bayar kernel [3, 3, 5, 5]: per (output, input) pair the free taps projected to sum 1, the
     * centre -1; in grey levels like the SRM kernels (scaled by 255 x the channel's ImageNet std).
     */
    Tensor bayarKernel() {
        Tensor mean = Reduce.mean(bayarFree, 1); // [9]
        Tensor shift = Arithmetic.addLeading(Arithmetic.scale(mean, -1f), Tensor.full(bayarFree.device(),
                1f / 24, 1), 0);
        Tensor free = Arithmetic.addAlong(bayarFree, shift, 0); // each row now sums to 1
        Tensor centre = Tensor.full(bayarFree.device(), -1f, 9, 1);
        Tensor taps = Layout.concat(1, Layout.slice(free, 1, 0, 12), centre, Layout.slice(free, 1, 12, 12));
        Tensor perInput = Tensor.of(bayarFree.device(), greyScale(), 3);
        // [out, in, 25]: scale each input channel's taps so the residual is in grey levels.
        Tensor scaled = Arithmetic.mulAlong(Layout.reshape(taps, 3, 3, 25), perInput, 1);
        return Layout.reshape(scaled, 3, 3, 5, 5);
    }

    /** 255 x the ImageNet std of each channel: multiplying a normalised value by it gives grey levels (+ offset). */
    private static float[] greyScale() {
        float[] s = new float[3];
        for (int c = 0; c < 3; c++) {
            s[c] = 255f * IMAGENET_STD[c];
        }
        return s;
    }

    /** The three SRM kernels per channel, [9, 1, 5, 5], in grey levels of a normalised input. */
    static float[] srmWeights() {
        float[][] k = {
            {0, 0, 0, 0, 0, 0, -1, 2, -1, 0, 0, 2, -4, 2, 0, 0, -1, 2, -1, 0, 0, 0, 0, 0, 0},
            {-1, 2, -2, 2, -1, 2, -6, 8, -6, 2, -2, 8, -12, 8, -2, 2, -6, 8, -6, 2, -1, 2, -2, 2, -1},
            {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
        float[] norms = {4f, 12f, 2f};
        float[] grey = greyScale();
        float[] w = new float[9 * 25];
        for (int c = 0; c < 3; c++) {
            for (int j = 0; j < 3; j++) {
                for (int i = 0; i < 25; i++) {
                    w[(c * 3 + j) * 25 + i] = k[j][i] / norms[j] * grey[c];
                }
            }
        }
        return w;
    }
}
