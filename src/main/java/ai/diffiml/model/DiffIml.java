package ai.diffiml.model;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.diffusion.Ddim;
import ai.diffiml.diffusion.ErrorPrior;
import ai.diffiml.diffusion.NoiseSchedule;
import ai.diffiml.nn.Container;
import ai.diffiml.nn.Init;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Losses;
import ai.diffiml.ops.Reduce;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.util.function.BiConsumer;

/**
 * The whole DiffIML model: Mix Transformer encoder and condition head (run once per image), LightVAE (frozen
 * while the diffusion model trains), and the conditional UNet that denoises [z_mask | z_edge] latents. Weight names:
 * {@code segformer.encoder.*}, {@code cond.*}, {@code unet.*}, {@code vae.*}.
 */
public final class DiffIml extends Module {
    private final ModelConfig config;
    private final Device device;
    private final MixTransformer encoder;
    private final ConditionHead cond;
    private final DenoisingUnet unet;
    private final LightVae vae;
    private final NoiseSchedule schedule;

    /** The training loss and its two terms (each a one-element tensor). */
    public record Loss(Tensor total, Tensor mask, Tensor edge) {}

    public DiffIml(ModelConfig config, Device device) {
        this.config = config;
        this.device = device;
        MitVariant v = config.mitVariant();
        encoder = child("segformer", new Container()).add("encoder",
                new MixTransformer(device, v, config.blockEps(), config.embedEps(), config.dropPath()));
        cond = child("cond", new ConditionHead(device, v.dims(), config.condChannels()));
        unet = child("unet", new DenoisingUnet(device, config.latentChannels(), config.unetChannels(),
                config.condChannels()));
        vae = child("vae", new LightVae(device, config.vaeBase(), config.latentChannels()));
        schedule = new NoiseSchedule(config.trainSteps(), 1e-4, 2e-2);
    }

    /** Random initialisation (PyTorch layer defaults), seeded. */
    public DiffIml init(long seed) {
        Init init = new Init(seed);
        encoder.init(init);
        cond.init(init);
        unet.init(init);
        vae.init(init);
        encoder.seedDropPath(seed);
        return this;
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
        return cond.forward(encoder.forward(image));
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
        Tensor y0 = targetLatents(mask01, edge01);
        Tensor yT = ErrorPrior.noise(schedule, y0, xi, eps, t, config.priorRate());
        Tensor out = unet.forward(yT, t, condition(image));
        int c = config.latentChannels();
        Tensor maskLoss = Losses.mse(Layout.slice(out, 1, 0, c), Layout.slice(y0, 1, 0, c));
        Tensor edgeLoss = Losses.mse(Layout.slice(out, 1, c, c), Layout.slice(y0, 1, c, c));
        Tensor total = Arithmetic.add(Arithmetic.scale(maskLoss, config.segWeight()),
                Arithmetic.scale(edgeLoss, 1f - config.segWeight()));
        return new Loss(total, maskLoss, edgeLoss);
    }

    /**
     * DDIM sampling of {@code members} chains per image as one batch, from x_T = {@code noise} laid out
     * member-major ([members * B, 2*latent, h, w]); returns the latent averaged over members [B, 2*latent, h, w].
     * {@code afterStep}, if given, sees (step index, latents of all chains) after every step; the tensor is freed
     * after the next step, so copy what you keep.
     */
    public Tensor sampleLatents(Tensor condition, Tensor noise, int steps, int members,
            BiConsumer<Integer, Tensor> afterStep) {
        int b = condition.dim(0);
        if (noise.dim(0) != members * b) {
            throw new IllegalArgumentException("sample: noise " + noise.describe() + " does not hold " + members
                    + " chains for a batch of " + b);
        }
        Ddim ddim = new Ddim(schedule, steps, config.clipSample());
        try (GradMode.Guard g = GradMode.disabled()) {
            Tensor condRep = condition;
            if (members > 1) {
                Tensor[] copies = new Tensor[members];
                java.util.Arrays.fill(copies, condition);
                condRep = Layout.concat(0, copies);
            }
            Tensor y = noise;
            int[] ts = ddim.timesteps();
            for (int i = 0; i < ts.length; i++) {
                int[] t = new int[members * b];
                java.util.Arrays.fill(t, ts[i]);
                Tensor next;
                try (Scope step = Scope.open()) {
                    // Each step's activations are freed here; only the new latents leave the step.
                    next = step.keep(ddim.step(y, unet.forward(y, t, condRep), i));
                }
                if (y != noise) {
                    y.close();
                }
                y = next;
                if (afterStep != null) {
                    afterStep.accept(i, y);
                }
            }
            int[] shape = noise.shape();
            shape[0] = b;
            Tensor mean = Reduce.mean(Layout.reshape(y, members, (int) (y.numel() / members)), 0);
            Tensor result = Layout.reshape(mean, shape).copy(); // an owning tensor, not a view of `mean`
            mean.close();
            if (y != noise) {
                y.close();
            }
            return result;
        }
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
     * Inference only (records nothing).
     */
    public Tensor predict(Tensor image, Sampling sampling) {
        try (GradMode.Guard g = GradMode.disabled()) {
            Tensor prob = predictOnce(image, sampling);
            if (sampling.flipTta()) {
                Tensor mirrored = predictOnce(Layout.flip(image, 3), sampling);
                prob = Arithmetic.maximum(prob, Layout.flip(mirrored, 3));
            }
            return prob;
        }
    }

    private Tensor predictOnce(Tensor image, Sampling sampling) {
        Tensor condition = condition(image);
        int b = image.dim(0), m = sampling.members();
        int[] noiseShape = {m * b, 2 * config.latentChannels(), condition.dim(2), condition.dim(3)};
        Tensor noise = Tensor.of(image.device(), gaussian(sampling.seed(), noiseShape), noiseShape);
        Tensor latent = sampleLatents(condition, noise, sampling.steps(), m, null);
        return ai.diffiml.ops.Activations.sigmoid(decodeMaskLogits(latent));
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
