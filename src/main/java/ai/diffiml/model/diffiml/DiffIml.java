package ai.diffiml.model.diffiml;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.OpProfile;
import ai.diffiml.backend.Device;
import ai.diffiml.diffusion.Ddim;
import ai.diffiml.diffusion.ErrorPrior;
import ai.diffiml.diffusion.NoiseSchedule;
import ai.diffiml.model.NoiseStem;
import ai.diffiml.model.SegmentationLoss;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Conv2d;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Losses;
import ai.diffiml.ops.Reduce;
import ai.diffiml.ops.Resize;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.function.BiConsumer;

/**
 * The whole DiffIML model: Mix Transformer encoder and condition head (run once per image), LightVAE (frozen
 * while the diffusion model trains), and the conditional UNet that denoises [z_mask | z_edge] latents. Weight names:
 * {@code segformer.encoder.*}, {@code cond.*}, {@code unet.*}, {@code vae.*}, and where the config asks for them
 * {@code noise_stem.*} ({@link NoiseStem}) and {@code aux_head.*} (a 1x1 conv from the condition feature to tampering
 * logits, trained with {@link SegmentationLoss} next to the diffusion objective; inference never uses it: the maps
 * come from DiffIML's sampling).
 */
public final class DiffIml extends Module {
    private final ModelConfig config;
    private final Device device;
    private final MixTransformer encoder;
    private final ConditionHead cond;
    private final DenoisingUnet unet;
    private final LightVae vae;
    private final NoiseSchedule schedule;
    private final NoiseStem stem;
    private final Conv2d auxHead;
    private final Conv2d auxDetail;
    private final FineReadout auxFine;

    /**
     * The training loss and its terms (each a one-element tensor); {@code aux} is the auxiliary segmentation loss
     * (null without an auxiliary head).
     */
    public record Loss(Tensor total, Tensor mask, Tensor edge, SegmentationLoss.Terms aux, SegmentationLoss.Terms pixel) {}

    /**
     * What the encoder computes once per image: the condition feature F [B, condChannels, H/8, W/8] the UNet reads,
     * and, when the config's auxiliary head reads the noise stem ({@link ModelConfig#auxDetail}), the stem's
     * full-resolution features [B, stem width, H, W] (else null), and with {@link ModelConfig#auxFine}
     * the fine read-out's logits [B, 1, H/4, W/4] (else null).
     */
    public record Condition(Tensor feature, Tensor detail, Tensor fine) {
        /** A condition without detail features (for models whose auxiliary head reads F alone). */
        public static Condition of(Tensor feature) {
            return new Condition(feature, null, null);
        }

        /** The condition of the images {@code order[0]}, {@code order[1]}, ... of this batch. */
        Condition permuted(int[] order) {
            return new Condition(permuteBatch(feature, order), detail == null ? null : permuteBatch(detail, order),
                    fine == null ? null : permuteBatch(fine, order));
        }
    }

    public DiffIml(ModelConfig config, Device device) {
        this.config = config;
        this.device = device;
        MitVariant v = config.mitVariant();
        encoder = child("segformer", new Container()).add("encoder",
                new MixTransformer(device, v, config.blockEps(), config.embedEps(), config.dropPath()));
        cond = child("cond", new ConditionHead(device, v.dims(), config.condChannels()));
        unet = child("unet", new DenoisingUnet(device, config.latentChannels(), config.unetChannels(),
                config.condChannels()));
        vae = child("vae", new LightVae(device, config.vaeBase(), config.latentChannels(), config.latentScale()));
        NoiseStem.Kind kind = config.noiseStemKind();
        stem = kind == NoiseStem.Kind.NONE ? null : child("noise_stem", new NoiseStem(device, kind, v.dims()[0],
                config.stemWidth()));
        auxHead = config.auxWeight() > 0
                ? child("aux_head", new Conv2d(device, config.condChannels(), 1, 1, 1, 0, 1, true)) : null;
        // ModelConfig guarantees the stem and the head exist when auxDetail is set.
        auxDetail = config.auxDetail()
                ? child("aux_detail", new Conv2d(device, config.stemWidth(), 1, 1, 1, 0, 1, true)) : null;
        auxFine = config.auxFine() ? child("aux_fine", new FineReadout(device, 4 * config.condChannels(),
                config.auxFineConvs())) : null;
        schedule = new NoiseSchedule(config.trainSteps(), 1e-4, 2e-2);
    }

    /** Random initialisation, seeded: the encoder as the original Mix Transformer, the rest PyTorch layer defaults. */
    public DiffIml init(long seed) {
        Init init = new Init(seed);
        encoder.init(init);
        cond.init(init);
        unet.init(init);
        vae.init(init);
        // Drawn after the paper's parts, so a model without stem and auxiliary head initialises as before.
        if (stem != null) {
            stem.init(init);
        }
        if (auxHead != null) {
            auxHead.init(init);
        }
        if (auxDetail != null) {
            auxDetail.init(init);
        }
        if (auxFine != null) {
            auxFine.init(init);
        }
        if (config.auxAnchor()) {
            unet.zeroOutput(); // the prediction starts at its anchor
        }
        encoder.seedDropPath(seed);
        return this;
    }

    /** The noise stem, or null when the config has none. */
    public NoiseStem noiseStem() {
        return stem;
    }

    public ModelConfig config() {
        return config;
    }

    public Device device() {
        return device;
    }

    public MixTransformer encoder() {
        return encoder;
    }

    public ConditionHead conditionHead() {
        return cond;
    }

    public DenoisingUnet unet() {
        return unet;
    }

    public LightVae vae() {
        return vae;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** Condition feature [B, condChannels, H/8, W/8] of an ImageNet-normalised image [B, 3, H, W]. */
    public Tensor condition(Tensor image) {
        return conditioning(image).feature();
    }

    /**
     * {@link #condition} and, where the auxiliary head reads them, the noise stem's full-resolution features and the
     * fine read-out's logits.
     */
    public Condition conditioning(Tensor image) {
        Tensor hidden = stem == null ? null : stem.hidden(image);
        Tensor[] projections = cond.project(encoder.forward(image, stem == null ? null : stem.project(hidden)));
        Tensor f = cond.fuse(projections);
        Tensor fineLogits = null;
        if (auxFine != null) {
            fineLogits = auxFine.forward(ConditionHead.stacked(projections, projections[0].dim(2),
                    projections[0].dim(3)));
        }
        return new Condition(f, auxDetail != null ? hidden : null, fineLogits);
    }

    /** Clean latents [B, 2*latent, H/8, W/8] = [enc(2 mask - 1) | enc(2 edge - 1)]; the VAE is frozen here. */
    public Tensor targetLatents(Tensor mask01, Tensor edge01) {
        try (GradMode.Guard g = GradMode.disabled()) {
            return Layout.concat(1, vae.encode(toSigned(mask01)), vae.encode(toSigned(edge01)));
        }
    }

    /** Maps {0,1} to {-1,1}: 2 x - 1. */
    public static Tensor toSigned(Tensor map01) {
        Tensor minusOne = Tensor.full(map01.device(), -1f, 1);
        return Arithmetic.addLeading(Arithmetic.scale(map01, 2f), minusOne, 0);
    }

    /**
     * The training objective at timesteps t (one per sample) with noises xi (error prior) and eps:
     * lambda * MSE(mask latents) + (1 - lambda) * MSE(edge latents) of the x0-prediction.
     */
    public Loss loss(Tensor image, Tensor mask01, Tensor edge01, int[] t, Tensor xi, Tensor eps) {
        return loss(image, mask01, edge01, t, xi, eps, null);
    }

    /**
     * {@link #loss} with the condition features of the batch permuted by {@code conditionOrder} (sample i is
     * denoised with the condition of sample conditionOrder[i]; null: its own). A diagnostic: when the loss with
     * shuffled conditions equals the loss with the right ones, the UNet ignores the image.
     */
    public Loss loss(Tensor image, Tensor mask01, Tensor edge01, int[] t, Tensor xi, Tensor eps,
            int[] conditionOrder) {
        return loss(image, mask01, edge01, t, xi, eps, conditionOrder, null);
    }

    /**
     * {@link #loss(Tensor, Tensor, Tensor, int[], Tensor, Tensor, int[])} where the samples with {@code guessed[i]}
     * (null: none) are noised around the model's own guess instead of the clean latent y0 (the target stays y0):
     * the x0-prediction of the first DDIM step from pure noise {@code eps}, as sampling makes it, so
     * y_t = sqrt(abar_t) (guess + gamma xi) + sqrt(1 - abar_t) eps. Why: while sampling, y_t never holds the clean
     * latent but the chain's earlier guess (and, DDIM being deterministic, about the same noise eps at every step);
     * a UNet trained only on clean latents reads the noise in y_t as evidence and turns its guess into a sample of a
     * broad posterior (measured: the x0 of successive steps fell from F1 0.345 to 0.243). Trained on its guesses it
     * learns to correct them. The guess is not differentiated.
     */
    public Loss loss(Tensor image, Tensor mask01, Tensor edge01, int[] t, Tensor xi, Tensor eps,
            int[] conditionOrder, boolean[] guessed) {
        Tensor y0 = targetLatents(mask01, edge01);
        Tensor yT = ErrorPrior.noise(schedule, y0, xi, eps, t, config.priorRate());
        OpProfile.lap("targets"); // the frozen VAE's encoding of mask and edges, no grad
        OpProfile.label("encoder");
        Condition c = conditioning(image);
        OpProfile.label("unet");
        int h = image.dim(2), w = image.dim(3);
        Tensor logits = auxLogits(c, h, w); // the auxiliary loss's, and the anchor's unless conditions are shuffled
        Tensor anchor;
        Tensor feature;
        if (conditionOrder == null) {
            anchor = anchorOf(logits);
            feature = c.feature();
        } else {
            Condition used = c.permuted(conditionOrder);
            anchor = anchor(used, h, w);
            feature = used.feature();
        }
        if (config.detachCondition()) {
            // The UNet reads F as a constant: the encoder learns from the auxiliary loss alone.
            try (GradMode.Guard g = GradMode.disabled()) {
                feature = feature.copy();
            }
        }
        if (guessed != null) {
            yT = noisedAroundGuess(yT, t, xi, eps, feature, anchor, guessed);
            OpProfile.lap("guess"); // the no-grad first DDIM step
        }
        Tensor out = denoise(yT, t, feature, anchor);
        OpProfile.label("losses");
        int lc = config.latentChannels();
        Tensor maskLoss = maskLatentLoss(Layout.slice(out, 1, 0, lc), Layout.slice(y0, 1, 0, lc), mask01);
        Tensor edgeLoss = Losses.mse(Layout.slice(out, 1, lc, lc), Layout.slice(y0, 1, lc, lc));
        Tensor total = Arithmetic.add(Arithmetic.scale(maskLoss, config.segWeight()),
                Arithmetic.scale(edgeLoss, 1f - config.segWeight()));
        SegmentationLoss.Terms aux = null;
        if (logits != null) {
            aux = auxiliaryTerms(logits, mask01);
            total = Arithmetic.add(total, Arithmetic.scale(aux.total(), config.auxWeight()));
        }
        SegmentationLoss.Terms pixel = null;
        if (config.pixelWeight() > 0) {
            // The frozen decoder passes gradients to the prediction: the map it decodes is what is scored.
            OpProfile.label("pixel");
            pixel = SegmentationLoss.of(decodeMaskLogits(out), mask01, config.auxPosWeight(), 1f);
            total = Arithmetic.add(total, Arithmetic.scale(pixel.total(), config.pixelWeight()));
        }
        OpProfile.label(null);
        return new Loss(total, maskLoss, edgeLoss, aux, pixel);
    }

    /** {@code yT} with the rows of {@code guessed} replaced by the noised guess ({@link #loss} with guesses). */
    Tensor noisedAroundGuess(Tensor yT, int[] t, Tensor xi, Tensor eps, Tensor feature, Tensor anchor,
            boolean[] guessed) {
        if (guessed.length != t.length) {
            throw new IllegalArgumentException("loss: " + guessed.length + " guess flags for a batch of " + t.length);
        }
        int n = 0;
        for (boolean g : guessed) {
            n += g ? 1 : 0;
        }
        if (n == 0) {
            return yT;
        }
        int[] rows = new int[n];
        int[] tRows = new int[n];
        int first = new Ddim(schedule, config.sampleSteps(), config.clipSample()).timesteps()[0];
        for (int i = 0, k = 0; i < guessed.length; i++) {
            if (guessed[i]) {
                tRows[k] = t[i];
                rows[k++] = i;
            }
        }
        try (GradMode.Guard g = GradMode.disabled()) {
            Tensor noise = permuteBatch(eps, rows);
            int[] tFirst = new int[n];
            java.util.Arrays.fill(tFirst, first);
            Tensor guess = denoise(noise, tFirst, permuteBatch(feature, rows),
                    anchor == null ? null : permuteBatch(anchor, rows));
            if (config.clipSample()) {
                float[] v = guess.toArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = Math.max(-1f, Math.min(1f, v[i]));
                }
                guess = Tensor.of(guess.device(), v, guess.shape());
            }
            Tensor noised = ErrorPrior.noise(schedule, guess, permuteBatch(xi, rows), noise, tRows, config.priorRate());
            Tensor[] out = new Tensor[t.length];
            for (int i = 0, k = 0; i < t.length; i++) {
                out[i] = guessed[i] ? Layout.slice(noised, 0, k++, 1) : Layout.slice(yT, 0, i, 1);
            }
            return Layout.concat(0, out);
        }
    }

    /**
     * The auxiliary head's loss alone, weighted as in {@link #loss} (mask and edge terms zero; the UNet does not
     * run): the objective of an auxiliary warm-up.
     */
    public Loss auxiliaryLoss(Tensor image, Tensor mask01) {
        // The warm-up trains the encoder, the condition head and the auxiliary head; nothing else runs.
        if (auxHead == null) {
            throw new IllegalStateException("auxiliaryLoss: this model has no auxiliary head (auxWeight 0)");
        }
        SegmentationLoss.Terms aux = auxiliaryTerms(auxLogits(conditioning(image), image.dim(2), image.dim(3)),
                mask01);
        Tensor zero = Tensor.full(image.device(), 0f, 1);
        return new Loss(Arithmetic.scale(aux.total(), config.auxWeight()), zero, zero, aux, null);
    }

    /** The auxiliary segmentation loss (weighted BCE + Dice, unweighted by auxWeight) of the head's logits. */
    private SegmentationLoss.Terms auxiliaryTerms(Tensor logits, Tensor mask01) {
        return SegmentationLoss.of(logits, mask01, config.auxPosWeight(), 1f);
    }

    /**
     * The mask-latent term of the objective: MSE, or with {@link ModelConfig#weightedLatents} the mean of
     * w (pred - target)^2 divided by the mean of w, where a latent cell's w = 1 + (auxPosWeight - 1) x the share
     * of tampered pixels in the 8 x 8 pixels it covers. Why: under weak evidence the MSE optimum leans to the
     * background latent (about 7 % of pixels are tampered here), which the decoder reads as "nothing tampered";
     * weighting cells as the BCE weighs pixels moves it toward the tampered latents.
     */
    Tensor maskLatentLoss(Tensor pred, Tensor target, Tensor mask01) {
        if (!config.weightedLatents()) {
            return Losses.mse(pred, target);
        }
        Tensor w = cellWeights(mask01, pred.dim(1), pred.dim(2), pred.dim(3), config.auxPosWeight());
        double meanW = 0;
        for (float v : w.toArray()) {
            meanW += v;
        }
        meanW /= w.numel();
        Tensor d = Arithmetic.add(pred, Arithmetic.scale(target, -1f));
        return Arithmetic.scale(Reduce.mean(Arithmetic.mul(w, Arithmetic.mul(d, d))), (float) (1 / meanW));
    }

    /** Per-cell weights [B, channels, h, w] of {@link #maskLatentLoss} from a {0,1} mask [B, 1, H, W]. */
    static Tensor cellWeights(Tensor mask01, int channels, int h, int w, float posWeight) {
        int b = mask01.dim(0), height = mask01.dim(2), width = mask01.dim(3);
        if (height % h != 0 || width % w != 0) {
            throw new IllegalArgumentException("cellWeights: mask " + mask01.describe() + " is not a whole number of "
                    + h + " x " + w + " cells");
        }
        int ch = height / h, cw = width / w;
        float[] m = mask01.toArray();
        float[] out = new float[b * channels * h * w];
        for (int i = 0; i < b; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double sum = 0;
                    for (int dy = 0; dy < ch; dy++) {
                        int row = (i * height + y * ch + dy) * width + x * cw;
                        for (int dx = 0; dx < cw; dx++) {
                            sum += m[row + dx];
                        }
                    }
                    float weight = (float) (1 + (posWeight - 1) * sum / (ch * cw));
                    for (int c = 0; c < channels; c++) {
                        out[((i * channels + c) * h + y) * w + x] = weight;
                    }
                }
            }
        }
        return Tensor.of(mask01.device(), out, b, channels, h, w);
    }

    /**
     * The x0-prediction: the UNet's output; with an anchor A (else null), as the config's {@link AnchorForm} says:
     * {@code A + U(y_t - sqrt(abar_t) A)} (residual; the centring is not differentiated, like y_t itself) or
     * {@code A + sqrt(abar_t) U(y_t)} (gated).
     */
    Tensor denoise(Tensor yT, int[] t, Tensor condition, Tensor anchor) {
        if (anchor == null) {
            return unet.forward(yT, t, condition);
        }
        float[] rootAbar = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            rootAbar[i] = (float) Math.sqrt(schedule.alphaCumprod(t[i]));
        }
        if (config.anchorFormKind() == AnchorForm.RESIDUAL) {
            Tensor centred;
            try (GradMode.Guard g = GradMode.disabled()) {
                float[] minus = new float[t.length];
                for (int i = 0; i < t.length; i++) {
                    minus[i] = -rootAbar[i];
                }
                centred = Arithmetic.add(yT, Arithmetic.mulAlong(anchor, Tensor.of(anchor.device(), minus,
                        minus.length), 0));
            }
            return Arithmetic.add(anchor, unet.forward(centred, t, condition));
        }
        Tensor out = unet.forward(yT, t, condition);
        return Arithmetic.add(anchor, Arithmetic.mulAlong(out, Tensor.of(out.device(), rootAbar, rootAbar.length), 0));
    }

    /**
     * The anchor of the x0-prediction ({@link ModelConfig#auxAnchor}): [enc(m) | 0] with enc the frozen LightVAE
     * encoder and m the auxiliary head's map at the image size, i.e. the latent of the mask the condition feature
     * already reads as tampered; the UNet then predicts what to change. At high t the noisy input carries no
     * information, so a UNet from random weights needs many steps before its prediction follows the image at all;
     * with the anchor the sampled map follows the auxiliary head from the start. m depends on the form: gated,
     * m = 2 p - 1 (soft, differentiable: the diffusion loss also trains the head); residual, m = the map thresholded
     * at 0.5 in {-1, 1}, not differentiated: the LightVAE was trained on binary masks, and the latent of a
     * thresholded map decodes to that map (measured: F1 0.217 against the map's 0.214), a soft map's latent to
     * something worse (0.318 against 0.352). Null without an anchor.
     */
    public Tensor anchor(Condition condition, int height, int width) {
        return config.auxAnchor() ? anchorOf(auxLogits(condition, height, width)) : null;
    }

    /** {@link #anchor} from the auxiliary head's logits already computed (null when the config has no anchor). */
    private Tensor anchorOf(Tensor logits) {
        if (!config.auxAnchor()) {
            return null;
        }
        Tensor z;
        if (config.anchorFormKind() == AnchorForm.RESIDUAL) {
            try (GradMode.Guard g = GradMode.disabled()) {
                float[] v = logits.toArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] > 0 ? 1f : -1f; // sigmoid(logit) > 0.5
                }
                z = vae.encode(Tensor.of(logits.device(), v, logits.shape()));
            }
        } else {
            z = vae.encode(toSigned(Activations.sigmoid(logits)));
        }
        return Layout.concat(1, z, Tensor.full(z.device(), 0f, z.shape()));
    }

    /**
     * The auxiliary head's tampering logits [B, 1, H, W] (null without the head): a 1x1 conv of F, upsampled
     * bilinearly, plus with {@link ModelConfig#auxDetail} a 1x1 conv of the stem's full-resolution features, so
     * the map is not limited to F's 1/8 resolution.
     */
    public Tensor auxLogits(Condition condition, int height, int width) {
        if (auxHead == null) {
            return null;
        }
        Tensor up = Resize.bilinear(auxHead.forward(condition.feature()), height, width);
        if (auxFine != null) {
            if (condition.fine() == null) {
                throw new IllegalArgumentException("auxLogits: this model's auxiliary head reads the encoder at 1/4;"
                        + " pass the Condition from conditioning(image)");
            }
            up = Arithmetic.add(up, Resize.bilinear(condition.fine(), height, width));
        }
        if (auxDetail == null) {
            return up;
        }
        if (condition.detail() == null) {
            throw new IllegalArgumentException("auxLogits: this model's auxiliary head reads the noise stem's"
                    + " features; pass the Condition from conditioning(image)");
        }
        return Arithmetic.add(up, auxDetail.forward(condition.detail()));
    }

    private static Tensor permuteBatch(Tensor x, int[] order) {
        Tensor[] rows = new Tensor[order.length];
        for (int i = 0; i < order.length; i++) {
            rows[i] = Layout.slice(x, 0, order[i], 1);
        }
        return Layout.concat(0, rows);
    }

    /**
     * DDIM sampling of {@code members} chains per image as one batch, from x_T = {@code noise} laid out
     * member-major ([members * B, 2*latent, h, w]); returns the latent averaged over members [B, 2*latent, h, w].
     * {@code afterStep}, if given, sees (step index, latents of all chains) after every step; the tensor is freed
     * after the next step, so copy what you keep.
     */
    public Tensor sampleLatents(Tensor condition, Tensor noise, int steps, int members,
            BiConsumer<Integer, Tensor> afterStep) {
        return sampleLatents(Condition.of(condition), noise, steps, members, afterStep);
    }

    /** {@link #sampleLatents(Tensor, Tensor, int, int, BiConsumer)} from a whole {@link Condition}. */
    public Tensor sampleLatents(Condition condition, Tensor noise, int steps, int members,
            BiConsumer<Integer, Tensor> afterStep) {
        try (GradMode.Guard g = GradMode.disabled()) {
            Tensor chains = sampleChains(condition, noise, steps, members, afterStep);
            Tensor mean = meanOfChains(chains, members);
            if (chains != noise) {
                chains.close();
            }
            return mean;
        }
    }

    /**
     * The final latents of every chain, before averaging: DDIM sampling as in {@link #sampleLatents}, returning
     * [members * B, 2*latent, h, w] (member-major, like {@code noise}); {@link #meanOfChains} averages them.
     */
    public Tensor sampleChains(Tensor condition, Tensor noise, int steps, int members,
            BiConsumer<Integer, Tensor> afterStep) {
        return sampleChains(Condition.of(condition), noise, steps, members, afterStep);
    }

    /** {@link #sampleChains(Tensor, Tensor, int, int, BiConsumer)} from a whole {@link Condition}. */
    public Tensor sampleChains(Condition whole, Tensor noise, int steps, int members,
            BiConsumer<Integer, Tensor> afterStep) {
        Tensor condition = whole.feature();
        int b = condition.dim(0);
        if (noise.dim(0) != members * b) {
            throw new IllegalArgumentException("sample: noise " + noise.describe() + " does not hold " + members
                    + " chains for a batch of " + b);
        }
        Ddim ddim = new Ddim(schedule, steps, config.clipSample());
        try (GradMode.Guard g = GradMode.disabled()) {
            Tensor condRep = condition;
            int size = 8 * condition.dim(2);
            Tensor anchor = anchor(whole, size, 8 * condition.dim(3));
            Tensor anchorRep = anchor;
            if (members > 1) {
                Tensor[] copies = new Tensor[members];
                java.util.Arrays.fill(copies, condition);
                condRep = Layout.concat(0, copies);
                if (anchor != null) {
                    java.util.Arrays.fill(copies, anchor);
                    anchorRep = Layout.concat(0, copies);
                }
            }
            Tensor y = noise;
            int[] ts = ddim.timesteps();
            for (int i = 0; i < ts.length; i++) {
                int[] t = new int[members * b];
                java.util.Arrays.fill(t, ts[i]);
                Tensor next;
                try (Scope step = Scope.open()) {
                    // Each step's activations are freed here; only the new latents leave the step.
                    next = step.keep(ddim.step(y, denoise(y, t, condRep, anchorRep), i));
                }
                if (y != noise) {
                    y.close();
                }
                y = next;
                if (afterStep != null) {
                    afterStep.accept(i, y);
                }
            }
            return y;
        }
    }

    /** The mean over members of member-major chains [members * B, ...]: a new tensor [B, ...]. */
    public static Tensor meanOfChains(Tensor chains, int members) {
        int[] shape = chains.shape();
        if (shape[0] % members != 0) {
            throw new IllegalArgumentException("meanOfChains: " + chains.describe() + " does not hold " + members
                    + " chains per image");
        }
        shape[0] /= members;
        Tensor mean = Reduce.mean(Layout.reshape(chains, members, (int) (chains.numel() / members)), 0);
        Tensor result = Layout.reshape(mean, shape).copy(); // an owning tensor, not a view of `mean`
        mean.close();
        return result;
    }

    /**
     * Sampling settings of one prediction.
     *
     * @param steps DDIM steps
     * @param members ensemble size (chains averaged in latent space)
     * @param flipTta also run the horizontally flipped image and fuse the two maps by element-wise max
     * @param seed seed of the initial noise: the same seed gives the same map
     */
    public record Sampling(int steps, int members, boolean flipTta, long seed) {
        public Sampling {
            if (steps < 1 || members < 1) {
                throw new IllegalArgumentException("sampling: steps and members must be >= 1, got " + steps + ", "
                        + members);
            }
        }
    }

    /** The configured sampling (steps, ensemble) without TTA, seed 0. */
    public Sampling defaultSampling() {
        return new Sampling(config.sampleSteps(), config.ensemble(), false, 0);
    }

    /**
     * Tampering probability [B, 1, H, W] of an ImageNet-normalised image [B, 3, H, W]: the encoder runs once, the
     * UNet runs steps x members times as one batch, latents are averaged, the mask is decoded once, sigmoid.
     * The initial noise of the whole batch is one seeded draw of [members * B, ...] values. Inference only
     * (records nothing).
     */
    public Tensor predict(Tensor image, Sampling sampling) {
        return run(image, sampling, false, false, null).probability();
    }

    /**
     * What {@link #predict} returns for one chain without flip TTA while the UNet's output conv is zero (its state
     * before it has trained, e.g. during the auxiliary warm-up) in the residual anchor form: every x0-prediction is
     * then the anchor A itself, so the chain ends at A and the map is sigmoid(decode(A)); computed here without the
     * {@code steps} UNet calls (the same floats, {@code AnchorTest}). Null where that does not hold (more members,
     * TTA, another form, no anchor, or a UNet that has trained): call {@link #predict}.
     */
    public Tensor untrainedUnetPrediction(Tensor image, Sampling sampling) {
        if (sampling.members() != 1 || sampling.flipTta() || !config.auxAnchor()
                || config.anchorFormKind() != AnchorForm.RESIDUAL || !unet.outputIsZero()) {
            return null;
        }
        try (GradMode.Guard g = GradMode.disabled()) {
            Condition condition = conditioning(image);
            Tensor anchor = anchor(condition, image.dim(2), image.dim(3));
            return ai.diffiml.ops.Activations.sigmoid(decodeMaskLogits(anchor));
        }
    }

    /** The stages of a prediction, as {@link #predictStaged} times them. */
    public enum Stage {
        /** Mix Transformer encoder and condition head (once per image and view). */
        ENCODER,
        /** Initial noise and the DDIM chains (steps x members UNet calls), averaged in latent space. */
        SAMPLING,
        /** LightVAE decode of the averaged latent and sigmoid (plus the member decodes when asked for). */
        DECODE
    }

    /** Receives the wall-clock nanoseconds of each stage of {@link #predictStaged}. */
    @FunctionalInterface
    public interface StageClock {
        void record(Stage stage, long nanos);
    }

    /**
     * A prediction and, when asked for, the maps of the single ensemble members.
     *
     * @param probability the method's map [B, 1, H, W]: sigmoid of the decode of the member-averaged latent
     * @param memberProbabilities [members * B, 1, H, W] (member-major), each chain's own final latent decoded, or
     *     null when not asked for
     */
    public record Prediction(Tensor probability, Tensor memberProbabilities) {}

    /**
     * {@link #predict} with what it is made of, for inference services that time stages and report the spread of
     * the ensemble. Two differences: every image of the batch starts its chains from the same noise,
     * {@code gaussian(seed, [members, 2*latent, h, w])} ({@link #noisePerImage}), so an image's map does not
     * depend on which other images share its batch (for a batch of one this is exactly {@link #predict}'s noise,
     * so the maps are identical); and with {@code memberMaps} every chain's final latent is also decoded (members
     * more decodes; the probability stays the decode of the averaged latent). With flip TTA each member's map is
     * fused with its mirrored twin by element-wise max, as the probability is. {@code clock}, if not null, gets
     * each stage's time (both TTA views added), the device synchronised at each stage boundary so queued GPU work
     * is counted where it belongs. Inference only (records nothing).
     */
    public Prediction predictStaged(Tensor image, Sampling sampling, boolean memberMaps, StageClock clock) {
        return run(image, sampling, true, memberMaps, clock);
    }

    /**
     * Initial noise x_T for a batch of {@code batch} images in which every image's {@code members} chains start
     * from the same values, {@code gaussian(seed, [members, 2*latent, h, w])}, laid out member-major
     * ([members * batch, 2*latent, h, w]) as {@link #sampleChains} expects.
     */
    public Tensor noisePerImage(int batch, int members, int h, int w, long seed) {
        int c = 2 * config.latentChannels();
        float[] one = gaussian(seed, members, c, h, w);
        int chain = c * h * w;
        float[] all = new float[Math.multiplyExact(one.length, batch)];
        for (int m = 0; m < members; m++) {
            for (int i = 0; i < batch; i++) {
                System.arraycopy(one, m * chain, all, (m * batch + i) * chain, chain);
            }
        }
        return Tensor.of(device, all, members * batch, c, h, w);
    }

    private Prediction run(Tensor image, Sampling sampling, boolean perImageNoise, boolean memberMaps,
            StageClock clock) {
        try (GradMode.Guard g = GradMode.disabled()) {
            Prediction direct = runView(image, sampling, perImageNoise, memberMaps, clock);
            if (!sampling.flipTta()) {
                return direct;
            }
            Prediction mirrored = runView(Layout.flip(image, 3), sampling, perImageNoise, memberMaps, clock);
            Tensor prob = Arithmetic.maximum(direct.probability(), Layout.flip(mirrored.probability(), 3));
            Tensor members = memberMaps ? Arithmetic.maximum(direct.memberProbabilities(),
                    Layout.flip(mirrored.memberProbabilities(), 3)) : null;
            return new Prediction(prob, members);
        }
    }

    private Prediction runView(Tensor image, Sampling sampling, boolean perImageNoise, boolean memberMaps,
            StageClock clock) {
        long start = System.nanoTime();
        Condition condition = conditioning(image);
        start = lap(clock, Stage.ENCODER, start);
        int b = image.dim(0), m = sampling.members();
        int h = condition.feature().dim(2), w = condition.feature().dim(3);
        int[] noiseShape = {m * b, 2 * config.latentChannels(), h, w};
        Tensor noise = perImageNoise ? noisePerImage(b, m, h, w, sampling.seed())
                : Tensor.of(image.device(), gaussian(sampling.seed(), noiseShape), noiseShape);
        Tensor chains = sampleChains(condition, noise, sampling.steps(), m, null);
        Tensor latent = meanOfChains(chains, m);
        start = lap(clock, Stage.SAMPLING, start);
        Tensor prob = ai.diffiml.ops.Activations.sigmoid(decodeMaskLogits(latent));
        Tensor members = null;
        if (memberMaps) {
            // One chain: its latent is the average, so its map is the probability itself.
            members = m == 1 ? prob : ai.diffiml.ops.Activations.sigmoid(decodeMaskLogits(chains));
        }
        lap(clock, Stage.DECODE, start);
        return new Prediction(prob, members);
    }

    /** Reports the time since {@code start} to {@code clock} (after the queued device work) and returns now. */
    private long lap(StageClock clock, Stage stage, long start) {
        if (clock == null) {
            return start;
        }
        ai.diffiml.backend.Backends.synchronize(device);
        long now = System.nanoTime();
        clock.record(stage, now - start);
        return now;
    }

    /** Standard normal values from a seed (Box-Muller over SplittableRandom), identical on every device. */
    public static float[] gaussian(long seed, int... shape) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        float[] v = new float[Math.toIntExact(ai.diffiml.tensor.Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) {
            double u1 = 1.0 - random.nextDouble(), u2 = random.nextDouble();
            v[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    /** Mask logits [B, 1, H, W] from averaged latents (the mask channels only). */
    public Tensor decodeMaskLogits(Tensor latent) {
        return vae.decode(Layout.slice(latent, 1, 0, config.latentChannels()));
    }
}
