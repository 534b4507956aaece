package ai.diffiml.model;

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
 */
public record ModelConfig(String variant, int resolution, int condChannels, int unetChannels, int latentChannels,
        int vaeBase, float blockEps, float embedEps, double dropPath, int trainSteps, int sampleSteps, int ensemble,
        float priorRate, float segWeight, boolean clipSample) {

    public ModelConfig {
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

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("model config: " + message);
        }
    }

    /** The paper's model: MiT-b3 at 512 px, width 128, 8 DDIM steps, ensemble 5, gamma 0.1, lambda 0.2. */
    public static ModelConfig paper() {
        return new ModelConfig("b3", 512, 128, 128, 4, 32, 1e-6f, 1e-5f, 0.1, 1000, 8, 5, 0.1f, 0.2f, true);
    }

    public ModelConfig withVariant(String v) {
        return new ModelConfig(v, resolution, condChannels, unetChannels, latentChannels, vaeBase, blockEps, embedEps,
                dropPath, trainSteps, sampleSteps, ensemble, priorRate, segWeight, clipSample);
    }

    public ModelConfig withResolution(int r) {
        return new ModelConfig(variant, r, condChannels, unetChannels, latentChannels, vaeBase, blockEps, embedEps,
                dropPath, trainSteps, sampleSteps, ensemble, priorRate, segWeight, clipSample);
    }

    public ModelConfig withSampling(int steps, int members) {
        return new ModelConfig(variant, resolution, condChannels, unetChannels, latentChannels, vaeBase, blockEps,
                embedEps, dropPath, trainSteps, steps, members, priorRate, segWeight, clipSample);
    }

    public MitVariant mitVariant() {
        return MitVariant.parse(variant);
    }
}
