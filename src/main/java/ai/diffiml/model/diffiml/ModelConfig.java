package ai.diffiml.model.diffiml;

import ai.diffiml.model.NoiseStem;
import ai.diffiml.model.mit.MitVariant;
import ai.diffiml.model.mit.MixTransformer;

/**
 * Everything that fixes a DiffIML model's shape and its diffusion settings; saved with every checkpoint.
 *
 * @param variant Mix Transformer variant (b0..b5)
 * @param resolution square input size in pixels (a multiple of 32)
 * @param condChannels width of the condition feature
 * @param unetChannels UNet width
 * @param latentChannels LightVAE latent channels (per map: mask and edge latents are stacked)
 * @param vaeBase LightVAE base width
 * @param blockEps LayerNorm eps of MiT blocks and stage norms
 * @param embedEps LayerNorm eps of MiT patch-embedding and reduction norms
 * @param dropPath MiT stochastic-depth rate (training)
 * @param trainSteps diffusion steps of the noise schedule
 * @param sampleSteps DDIM steps at inference
 * @param ensemble number of sampling chains averaged in latent space
 * @param priorRate error-prior gamma
 * @param segWeight lambda: weight of the mask-latent MSE (the edge term gets 1 - lambda)
 * @param clipSample clamp the predicted x0 to [-1, 1] during sampling
 * @param noiseStem the encoder's forensic noise stem ({@link NoiseStem.Kind} label: none, srm, srm+bayar); absent
 *     (null) in configs written before it existed, read as none
 * @param auxWeight weight of the auxiliary segmentation loss on the condition feature (BCE with
 *     {@code auxPosWeight} + Dice over tampered images, {@link ai.diffiml.model.SegmentationLoss}); 0 = no auxiliary
 *     head (the paper)
 * @param auxPosWeight BCE weight of tampered pixels in the auxiliary loss
 * @param latentScale the factor between LightVAE encoder outputs and diffusion latents: the SD VAE's 0.18215 for
 *     the release's and distilled VAEs, 1 / std of the latents for a LightVAE trained here without a teacher
 * @param auxAnchor the x0-prediction is the UNet's output plus the latent of the auxiliary head's map (needs
 *     {@code auxWeight > 0}; {@link DiffIml#anchor})
 * @param anchorForm how the UNet's share of an anchored x0-prediction depends on t ({@link AnchorForm} label:
 *     sqrt-abar, which files written before this setting existed mean, or none)
 * @param auxDetail the auxiliary head also reads the noise stem's full-resolution features (needs a noise stem
 *     and {@code auxWeight > 0}; {@link DiffIml#auxLogits})
 * @param weightedLatents the mask-latent MSE weighs each latent cell by 1 + (auxPosWeight - 1) x its share of
 *     tampered pixels, as the BCE weighs pixels ({@link DiffIml#maskLatentLoss}); false: plain MSE (the paper)
 * @param pixelWeight weight of a segmentation loss (the auxiliary head's: weighted BCE + Dice) on the decoded
 *     x0-prediction, next to the latent MSE ({@link DiffIml#loss}); 0: none (the paper)
 * @param guessShare the share of training samples whose noisy latent is built around the model's own first DDIM
 *     guess instead of the clean latent ({@link DiffIml#loss}; needs {@code auxAnchor}); 0: none (the paper)
 * @param detachCondition the diffusion objective's gradient stops at the condition feature, so the encoder learns
 *     from the auxiliary loss alone and the UNet learns to read it (needs {@code auxWeight > 0}); false: the
 *     diffusion objective trains the encoder too (the paper)
 * @param auxFine the auxiliary head adds a read-out of the encoder stages at 1/4 resolution ({@link FineReadout};
 *     needs {@code auxWeight > 0}); false: it reads the 1/8 condition feature (and the stem) alone
 * @param auxFineConvs 3x3 conv + BatchNorm + ReLU layers of that read-out ({@link FineReadout}; 0..4, needs
 *     {@code auxFine} when above 0); 0 in files written before it existed
 * @param stemWidth channels of the noise stem's two full-resolution layers ({@link NoiseStem}; 1..{@value
 *     NoiseStem#MAX_WIDTH}); {@value NoiseStem#DEFAULT_WIDTH} in files written before it existed
 */
public record ModelConfig(String variant, int resolution, int condChannels, int unetChannels, int latentChannels,
        int vaeBase, float blockEps, float embedEps, double dropPath, int trainSteps, int sampleSteps, int ensemble,
        float priorRate, float segWeight, boolean clipSample, String noiseStem, Float auxWeight, Float auxPosWeight,
        Float latentScale, Boolean auxAnchor, String anchorForm, Boolean auxDetail, Boolean weightedLatents,
        Float pixelWeight, Float guessShare, Boolean detachCondition, Boolean auxFine, Integer auxFineConvs,
        Integer stemWidth) {

    /** A config without noise stem and auxiliary loss, at the SD VAE's latent scale (the paper's model). */
    public ModelConfig(String variant, int resolution, int condChannels, int unetChannels, int latentChannels,
            int vaeBase, float blockEps, float embedEps, double dropPath, int trainSteps, int sampleSteps,
            int ensemble, float priorRate, float segWeight, boolean clipSample) {
        this(variant, resolution, condChannels, unetChannels, latentChannels, vaeBase, blockEps, embedEps, dropPath,
                trainSteps, sampleSteps, ensemble, priorRate, segWeight, clipSample, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null);
    }

    /**
     * The components added after the first checkpoints were written, with the value a file without them means (the
     * paper's model): readers fill these in before binding, so older checkpoints and configs still load.
     */
    public static final java.util.Map<String, Object> ADDED_COMPONENTS = java.util.Map.ofEntries(
            java.util.Map.entry("noiseStem", "none"), java.util.Map.entry("auxWeight", 0f),
            java.util.Map.entry("auxPosWeight", 1f), java.util.Map.entry("latentScale", LightVae.LATENT_SCALE),
            java.util.Map.entry("auxAnchor", false), java.util.Map.entry("anchorForm", AnchorForm.GATED.label),
            java.util.Map.entry("auxDetail", false), java.util.Map.entry("weightedLatents", false),
            java.util.Map.entry("pixelWeight", 0f), java.util.Map.entry("guessShare", 0f),
            java.util.Map.entry("detachCondition", false), java.util.Map.entry("auxFine", false),
            java.util.Map.entry("auxFineConvs", 0), java.util.Map.entry("stemWidth", NoiseStem.DEFAULT_WIDTH));

    public ModelConfig {
        // Configs written before these settings existed read as the paper's model.
        noiseStem = noiseStem == null ? NoiseStem.Kind.NONE.label : NoiseStem.Kind.parse(noiseStem).label;
        auxWeight = auxWeight == null ? 0f : auxWeight;
        auxPosWeight = auxPosWeight == null ? 1f : auxPosWeight;
        latentScale = latentScale == null ? LightVae.LATENT_SCALE : latentScale;
        auxAnchor = auxAnchor != null && auxAnchor;
        anchorForm = anchorForm == null ? AnchorForm.GATED.label : AnchorForm.parse(anchorForm).label;
        auxDetail = auxDetail != null && auxDetail;
        weightedLatents = weightedLatents != null && weightedLatents;
        pixelWeight = pixelWeight == null ? 0f : pixelWeight;
        guessShare = guessShare == null ? 0f : guessShare;
        detachCondition = detachCondition != null && detachCondition;
        auxFine = auxFine != null && auxFine;
        auxFineConvs = auxFineConvs == null ? 0 : auxFineConvs;
        stemWidth = stemWidth == null ? NoiseStem.DEFAULT_WIDTH : stemWidth;
        require(stemWidth >= 1 && stemWidth <= NoiseStem.MAX_WIDTH, "stemWidth must be in [1, " + NoiseStem.MAX_WIDTH
                + "], got " + stemWidth);
        require(!auxFine || auxWeight > 0, "auxFine needs the auxiliary head (auxWeight > 0)");
        require(auxFineConvs >= 0 && auxFineConvs <= MAX_AUX_FINE_CONVS, "auxFineConvs must be in [0, "
                + MAX_AUX_FINE_CONVS + "], got " + auxFineConvs);
        require(auxFineConvs == 0 || auxFine, "auxFineConvs needs the read-out at 1/4 (auxFine)");
        require(!detachCondition || auxWeight > 0, "detachCondition needs the auxiliary head (auxWeight > 0): the"
                + " encoder would not learn at all");
        require(guessShare >= 0 && guessShare <= 1, "guessShare must be in [0, 1], got " + guessShare);
        require(guessShare == 0 || auxAnchor, "guessShare needs auxAnchor (the guess is formed around the anchor)");
        require(pixelWeight >= 0 && Float.isFinite(pixelWeight), "pixelWeight must be >= 0, got " + pixelWeight);
        require(!auxDetail || (auxWeight > 0 && NoiseStem.Kind.parse(noiseStem) != NoiseStem.Kind.NONE),
                "auxDetail needs the auxiliary head (auxWeight > 0) and a noise stem");
        require(!auxAnchor || auxWeight > 0, "auxAnchor needs the auxiliary head (auxWeight > 0)");
        require(auxWeight >= 0 && Float.isFinite(auxWeight), "auxWeight must be >= 0, got " + auxWeight);
        require(auxPosWeight > 0 && Float.isFinite(auxPosWeight), "auxPosWeight must be > 0, got " + auxPosWeight);
        require(latentScale > 0 && Float.isFinite(latentScale), "latentScale must be > 0, got " + latentScale);
        MitVariant.parse(variant);
        require(resolution >= 32 && resolution % 32 == 0, "resolution must be a positive multiple of 32, got " + resolution);
        require(unetChannels % 32 == 0 && unetChannels % 8 == 0 && unetChannels > 0,
                "unetChannels must be a positive multiple of 32 (GroupNorm 32), got " + unetChannels);
        require(condChannels > 0 && latentChannels > 0 && vaeBase > 0, "channel counts must be positive");
        require(blockEps > 0 && embedEps > 0, "LayerNorm eps must be positive");
        require(dropPath >= 0 && dropPath < 1, "dropPath must be in [0, 1), got " + dropPath);
        require(trainSteps >= 2, "trainSteps must be >= 2, got " + trainSteps);
        require(sampleSteps >= 1 && sampleSteps <= trainSteps, "sampleSteps must be in [1, trainSteps], got " + sampleSteps);
        require(ensemble >= 1, "ensemble must be >= 1, got " + ensemble);
        require(priorRate >= 0, "priorRate must be >= 0, got " + priorRate);
        require(segWeight >= 0 && segWeight <= 1, "segWeight must be in [0, 1], got " + segWeight);
    }

    /** The most 3x3 layers the read-out at 1/4 may have. */
    public static final int MAX_AUX_FINE_CONVS = 4;

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("model config: " + message);
        }
    }

    /** The paper's model: MiT-b3 at 512 px, width 128, 8 DDIM steps, ensemble 5, gamma 0.1, lambda 0.2. */
    public static ModelConfig paper() {
        return new ModelConfig("b3", 512, 128, 128, 4, 32, MixTransformer.PAPER_BLOCK_EPS,
                MixTransformer.PAPER_EMBED_EPS, MixTransformer.PAPER_DROP_PATH, 1000, 8, 5, 0.1f, 0.2f, true);
    }

    public ModelConfig withVariant(String v) {
        return edit(e -> e.variant = v);
    }

    /** The same model with a denoising UNet of width {@code c} (a multiple of 32). */
    public ModelConfig withUnetChannels(int c) {
        return edit(e -> e.unetChannels = c);
    }

    public ModelConfig withResolution(int r) {
        return edit(e -> e.resolution = r);
    }

    public ModelConfig withSampling(int steps, int members) {
        return edit(e -> {
            e.sampleSteps = steps;
            e.ensemble = members;
        });
    }

    /**
     * The learnability settings of a training preset: noise stem, auxiliary loss (weight, BCE positive weight),
     * the mask-latent weight lambda and whether x0 is clamped while sampling.
     */
    public ModelConfig withTraining(String stem, float aux, float posWeight, float lambda, boolean clip) {
        return edit(e -> {
            e.noiseStem = stem;
            e.auxWeight = aux;
            e.auxPosWeight = posWeight;
            e.segWeight = lambda;
            e.clipSample = clip;
        });
    }

    /** The same model with error-prior gamma {@code gamma} (method.md section 5: 0.1). */
    public ModelConfig withPriorRate(float gamma) {
        return edit(e -> e.priorRate = gamma);
    }

    /** The same model with latents scaled by {@code scale} (a calibrated LightVAE). */
    public ModelConfig withLatentScale(float scale) {
        return edit(e -> e.latentScale = scale);
    }

    /**
     * The same model with or without the auxiliary-map anchor of the x0-prediction ({@link DiffIml#anchor}), its
     * form, and whether the auxiliary head reads the noise stem's full-resolution features.
     */
    public ModelConfig withAnchor(boolean on, AnchorForm form, boolean detail) {
        return edit(e -> {
            e.auxAnchor = on;
            e.anchorForm = form.label;
            e.auxDetail = detail;
        });
    }

    /** The same model with the mask-latent MSE weighted by tampered pixels, or plain. */
    public ModelConfig withWeightedLatents(boolean on) {
        return edit(e -> e.weightedLatents = on);
    }

    /** The same model with a segmentation loss of weight {@code w} on the decoded x0-prediction (0: none). */
    public ModelConfig withPixelWeight(float w) {
        return edit(e -> e.pixelWeight = w);
    }

    /** The same model with share {@code share} of training samples noised around the model's own guess. */
    public ModelConfig withGuessShare(float share) {
        return edit(e -> e.guessShare = share);
    }

    /** The same model with the diffusion objective's gradient stopped at the condition feature, or not. */
    public ModelConfig withDetachedCondition(boolean on) {
        return edit(e -> e.detachCondition = on);
    }

    /** The same model with or without the auxiliary head's read-out at 1/4 resolution ({@link FineReadout}). */
    public ModelConfig withAuxFine(boolean on) {
        return edit(e -> e.auxFine = on);
    }

    /** The same model with {@code convs} 3x3 layers in the read-out at 1/4 ({@link FineReadout}). */
    public ModelConfig withAuxFineConvs(int convs) {
        return edit(e -> e.auxFineConvs = convs);
    }

    /** The same model with a noise stem whose full-resolution layers have {@code width} channels. */
    public ModelConfig withStemWidth(int width) {
        return edit(e -> e.stemWidth = width);
    }

    /** This config with what {@code change} sets on a mutable copy of it; validated like any new config. */
    private ModelConfig edit(java.util.function.Consumer<Edit> change) {
        Edit e = new Edit(this);
        change.accept(e);
        return e.build();
    }

    /** The components of a config as fields, so that each with-method names only what it changes. */
    private static final class Edit {
        String variant, noiseStem, anchorForm;
        int resolution, condChannels, unetChannels, latentChannels, vaeBase, trainSteps, sampleSteps, ensemble;
        float blockEps, embedEps, priorRate, segWeight, auxWeight, auxPosWeight, latentScale, pixelWeight, guessShare;
        int auxFineConvs, stemWidth;
        double dropPath;
        boolean clipSample, auxAnchor, auxDetail, weightedLatents, detachCondition, auxFine;

        Edit(ModelConfig c) {
            variant = c.variant;
            resolution = c.resolution;
            condChannels = c.condChannels;
            unetChannels = c.unetChannels;
            latentChannels = c.latentChannels;
            vaeBase = c.vaeBase;
            blockEps = c.blockEps;
            embedEps = c.embedEps;
            dropPath = c.dropPath;
            trainSteps = c.trainSteps;
            sampleSteps = c.sampleSteps;
            ensemble = c.ensemble;
            priorRate = c.priorRate;
            segWeight = c.segWeight;
            clipSample = c.clipSample;
            noiseStem = c.noiseStem;
            auxWeight = c.auxWeight;
            auxPosWeight = c.auxPosWeight;
            latentScale = c.latentScale;
            auxAnchor = c.auxAnchor;
            anchorForm = c.anchorForm;
            auxDetail = c.auxDetail;
            weightedLatents = c.weightedLatents;
            pixelWeight = c.pixelWeight;
            guessShare = c.guessShare;
            detachCondition = c.detachCondition;
            auxFine = c.auxFine;
            auxFineConvs = c.auxFineConvs;
            stemWidth = c.stemWidth;
        }

        ModelConfig build() {
            return new ModelConfig(variant, resolution, condChannels, unetChannels, latentChannels, vaeBase, blockEps,
                    embedEps, dropPath, trainSteps, sampleSteps, ensemble, priorRate, segWeight, clipSample, noiseStem,
                    auxWeight, auxPosWeight, latentScale, auxAnchor, anchorForm, auxDetail, weightedLatents,
                    pixelWeight, guessShare, detachCondition, auxFine, auxFineConvs, stemWidth);
        }
    }

    public AnchorForm anchorFormKind() {
        return AnchorForm.parse(anchorForm);
    }

    public NoiseStem.Kind noiseStemKind() {
        return NoiseStem.Kind.parse(noiseStem);
    }

    public MitVariant mitVariant() {
        return MitVariant.parse(variant);
    }
}
