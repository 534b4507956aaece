package ai.diffiml.train;

import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.WeightFileException;
import ai.diffiml.io.importers.ImportedWeights;
import ai.diffiml.io.importers.WeightImport;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.nn.Module;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2 of the method: DiffIML trained with the diffusion objective ({@link DiffIml#loss}) while its LightVAE is
 * frozen (no gradients, BatchNorm on running statistics). Per step and sample, t ~ U{0..T-1}, and the error-prior
 * noise xi and the diffusion noise eps ~ N(0, I), all drawn from seeds derived from (run seed, step).
 */
public final class DiffusionTask implements Task {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusionTask.class);

    private final DiffIml model;
    private long auxWarmupSteps;

    private DiffusionTask(DiffIml model, long seed) {
        this.model = model;
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            e.getValue().requiresGrad(!e.getKey().startsWith("vae."));
        }
        // The encoder's drop-path draws follow (run seed, its forward count), also after a resume.
        long forwards = model.encoder().forwardCount();
        model.encoder().seedDropPath(Seeds.of(seed, Seeds.DROP_PATH));
        model.encoder().forwardCount(forwards);
    }

    /**
     * A new model: random initialisation from the run seed, then the ImageNet encoder weights when
     * {@code encoderWeights} is given (a WARN line otherwise: the paper's ablation gives F1 0.412 from random
     * initialisation against 0.746), then the trained LightVAE from {@code vaeWeights} (required: see
     * {@link #loadVae}).
     */
    public static DiffusionTask create(ModelConfig config, Device device, long seed, Path encoderWeights,
            Path vaeWeights) throws IOException {
        DiffIml model = new DiffIml(config, device).init(Seeds.of(seed, Seeds.INIT));
        try {
            if (encoderWeights != null) {
                ImportedWeights w = WeightImport.loadEncoder(encoderWeights, model.encoder());
                LOG.info("encoder initialised from {} ({})", w.file(), w.source().label());
                if (model.noiseStem() != null) {
                    // The stem adds nothing at first: the imported encoder computes what it was trained to.
                    model.noiseStem().zeroProjection();
                    LOG.info("noise stem {}: projection zeroed so the imported encoder starts unchanged",
                            model.noiseStem().kind().label);
                }
            } else {
                warnRandomEncoder(LOG);
            }
            loadVae(vaeWeights, model);
            return new DiffusionTask(model, seed);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The WARN line, on {@code log}, of an encoder that starts from random initialisation. */
    static void warnRandomEncoder(Logger log) {
        log.warn("the encoder starts from random initialisation (no --encoder-weights): the paper's ablation gives"
                + " pixel F1 0.412 this way against 0.746 from ImageNet MiT weights");
    }

    /** Continues from checkpoint {@code dir} (weights, encoder forward count; the caller restores the rest). */
    public static Trainer.Resumed resume(Path dir, Device device, long seed) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.load(dir, device);
        Checkpoint.Meta m = loaded.meta();
        return new Trainer.Resumed(new DiffusionTask(loaded.model(), seed),
                Trainer.Start.of(m.step(), m.epoch(), m.metrics()));
    }

    /**
     * Loads LightVAE weights into {@code model.vae()}: our stage-1 output ({@value VaeTrainer#WEIGHTS_FILE}, or the
     * folder holding it), the release's {@code light_vae_weights.pth}, or the {@code vae.*} part of a whole-model
     * file (one of our checkpoints, an IMDL-BenCo DiffIML checkpoint).
     */
    public static void loadVae(Path path, DiffIml model) throws IOException {
        Path file = Files.isRegularFile(path.resolve(VaeTrainer.WEIGHTS_FILE)) ? path.resolve(VaeTrainer.WEIGHTS_FILE)
                : path;
        ImportedWeights w = WeightImport.read(file);
        Map<String, ai.diffiml.io.LoadedTensor> vae = new LinkedHashMap<>();
        w.tensors().forEach((name, t) -> {
            if (name.startsWith("vae.")) {
                vae.put(name, t);
            }
        });
        if (w.part() == ImportedWeights.Part.ENCODER || vae.isEmpty()) {
            throw new WeightFileException(w.file(), "holds " + w.source().label() + " weights without a LightVAE"
                    + " (expected light_vae.safetensors from train-vae, the release's light_vae_weights.pth, or a"
                    + " whole DiffIML checkpoint)");
        }
        ModuleWeights.load(model.vae(), "vae.", vae, w.file());
        LOG.info("LightVAE loaded from {} ({})", w.file(), w.source().label());
    }

    /**
     * Steps {@code [0, steps)} optimise the auxiliary head's loss alone ({@link DiffIml#auxiliaryLoss}): the encoder
     * learns at about twice the steps per second, and the UNet, whose output starts at zero, waits for an anchor
     * worth correcting (while it waits, the sampled map is the decoded anchor).
     */
    @Override
    public void auxWarmupSteps(long steps) {
        if (steps > 0 && model.config().auxWeight() <= 0) {
            throw new IllegalArgumentException("an auxiliary warm-up (--aux-warmup-epochs) needs the auxiliary head"
                    + " (--aux-weight > 0)");
        }
        auxWarmupSteps = Math.max(0, steps);
    }

    public DiffIml diffIml() {
        return model;
    }

    @Override
    public String head() {
        return "diffusion";
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public Map<String, Tensor> trainable() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> {
            if (p.requiresGrad()) {
                out.put(name, p);
            }
        });
        return out;
    }

    @Override
    public void trainMode() {
        model.train(true);
        model.vae().train(false);
    }

    @Override
    public void evalMode() {
        model.train(false);
    }

    @Override
    public StepLoss loss(Batch batch, long step, long seed) {
        if (step < auxWarmupSteps) {
            DiffIml.Loss l = model.auxiliaryLoss(batch.images(), batch.masks());
            return new StepLoss(l.total(), Map.of("loss_aux", l.aux().total()));
        }
        ModelConfig c = model.config();
        int b = batch.size();
        int[] t = new int[b];
        SplittableRandom r = new SplittableRandom(Seeds.of(seed, Seeds.TIMESTEPS, step));
        for (int i = 0; i < b; i++) {
            t[i] = r.nextInt(c.trainSteps());
        }
        // Drawn after the timesteps, so runs without guesses see the same t as before.
        boolean[] guessed = null;
        if (c.guessShare() > 0) {
            guessed = new boolean[b];
            for (int i = 0; i < b; i++) {
                guessed[i] = r.nextDouble() < c.guessShare();
            }
        }
        Tensor images = batch.images();
        int[] shape = {b, 2 * c.latentChannels(), images.dim(2) / 8, images.dim(3) / 8};
        Device d = images.device();
        Tensor xi = Tensor.of(d, DiffIml.gaussian(Seeds.of(seed, Seeds.PRIOR_NOISE, step), shape), shape);
        Tensor eps = Tensor.of(d, DiffIml.gaussian(Seeds.of(seed, Seeds.NOISE, step), shape), shape);
        DiffIml.Loss l = model.loss(images, batch.masks(), batch.edges(), t, xi, eps, null, guessed);
        Map<String, Tensor> terms = new LinkedHashMap<>();
        terms.put("loss_mask", l.mask());
        terms.put("loss_edge", l.edge());
        if (l.aux() != null) {
            terms.put("loss_aux", l.aux().total());
        }
        if (l.pixel() != null) {
            terms.put("loss_pixel", l.pixel().total());
        }
        return new StepLoss(l.total(), terms);
    }

    /** The timesteps at which {@link #diagnostics} measures the objective: the middles of four buckets of T/4. */
    static int[] bucketTimesteps(int trainSteps) {
        int[] t = new int[4];
        for (int i = 0; i < 4; i++) {
            t[i] = (int) ((i + 0.5) * trainSteps / 4);
        }
        return t;
    }

    /**
     * The mask-latent MSE of x0-predictions with every sample at t = each bucket's middle ({@code loss_t<t>}), and at
     * the highest bucket with each sample denoised under its neighbour's condition ({@code loss_t<t>_shuffled}; the
     * batch rotated by one). Noises are fixed by {@code seed}, so epochs compare like with like.
     */
    @Override
    public Map<String, Double> diagnostics(Batch batch, long seed) {
        ModelConfig c = model.config();
        int b = batch.size();
        Map<String, Double> out = new LinkedHashMap<>();
        if (b < 2) {
            return out;
        }
        Tensor images = batch.images();
        int[] shape = {b, 2 * c.latentChannels(), images.dim(2) / 8, images.dim(3) / 8};
        Device d = images.device();
        int[] rotate = new int[b];
        for (int i = 0; i < b; i++) {
            rotate[i] = (i + 1) % b;
        }
        try (ai.diffiml.autograd.GradMode.Guard g = ai.diffiml.autograd.GradMode.disabled();
                ai.diffiml.tensor.Scope scope = ai.diffiml.tensor.Scope.open()) {
            Tensor xi = Tensor.of(d, DiffIml.gaussian(Seeds.of(seed, Seeds.DIAGNOSTICS, 1), shape), shape);
            Tensor eps = Tensor.of(d, DiffIml.gaussian(Seeds.of(seed, Seeds.DIAGNOSTICS, 2), shape), shape);
            int[] buckets = bucketTimesteps(c.trainSteps());
            for (int k = 0; k < buckets.length; k++) {
                int[] t = new int[b];
                java.util.Arrays.fill(t, buckets[k]);
                out.put("loss_t" + buckets[k], (double) model.loss(images, batch.masks(), batch.edges(), t, xi, eps)
                        .mask().item());
                if (k == buckets.length - 1) {
                    out.put("loss_t" + buckets[k] + "_shuffled", (double) model.loss(images, batch.masks(),
                            batch.edges(), t, xi, eps, rotate).mask().item());
                }
            }
        }
        return out;
    }

    @Override
    public Tensor secondaryProbability(Tensor images) {
        try (ai.diffiml.autograd.GradMode.Guard g = ai.diffiml.autograd.GradMode.disabled()) {
            Tensor logits = model.auxLogits(model.conditioning(images), images.dim(2), images.dim(3));
            return logits == null ? null : ai.diffiml.ops.Activations.sigmoid(logits);
        }
    }

    @Override
    public Tensor probability(Tensor images, TrainSettings settings, long sampleSeed) {
        DiffIml.Sampling sampling = new DiffIml.Sampling(settings.valSteps(), settings.valEnsemble(), false,
                sampleSeed);
        // During the auxiliary warm-up the UNet's output is still exactly zero and sampling returns the decoded
        // anchor: the same map without the UNet calls.
        Tensor untrained = model.untrainedUnetPrediction(images, sampling);
        return untrained != null ? untrained : model.predict(images, sampling);
    }

    @Override
    public void save(Path dir, AdamW optimizer, Checkpoint.Progress progress) throws IOException {
        Checkpoint.save(dir, model, optimizer, progress);
    }
}
