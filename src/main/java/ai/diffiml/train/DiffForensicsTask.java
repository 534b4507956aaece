package ai.diffiml.train;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.diffusion.NoiseSchedule;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.DiffForensicsCheckpoint;
import ai.diffiml.io.LoadedTensor;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.importers.ImportedWeights;
import ai.diffiml.io.importers.WeightImport;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.model.diffforensics.SimplexNoise;
import ai.diffiml.nn.Module;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Losses;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stage of DiffForensics ({@link DiffForensics}) for the {@link Trainer}.
 * <ul>
 *   <li>{@link Stage#PRETRAIN}: self-supervised denoising of the images (labels unused):
 *       {@code || eps - D(E(sqrt(abar_t) x0 + sqrt(1 - abar_t) eps), t) ||^2}, t ~ U{1..T} per image, eps the
 *       octave sum of 3-D simplex noise ({@link SimplexNoise}, AnoDDPM's 6 octaves, persistence 0.8, from 64 px)
 *       with fresh seeds every step; the linear 1e-4..0.02 schedule (the paper names none). The encoder is frozen:
 *       only the time embedding, the decoder and the noise head train.</li>
 *   <li>{@link Stage#FINETUNE}: the multi-task loss on the clean images at t_f ({@link DiffForensics#fineTune});
 *       everything but the noise head trains.</li>
 * </ul>
 * Random draws: t and the noise seeds from (run seed, step); drop-path from (run seed, the encoder's forward count).
 */
public final class DiffForensicsTask implements Task {
    private static final Logger LOG = LoggerFactory.getLogger(DiffForensicsTask.class);

    /** The two training stages. */
    public enum Stage {
        PRETRAIN("pretrain"), FINETUNE("finetune");

        public final String label;

        Stage(String label) {
            this.label = label;
        }

        public static Stage parse(String s) {
            for (Stage st : values()) {
                if (st.label.equals(s)) {
                    return st;
                }
            }
            throw new IllegalArgumentException("unknown DiffForensics stage '" + s + "' (expected pretrain or"
                    + " finetune)");
        }
    }

    private final DiffForensics model;
    private final Stage stage;
    private final NoiseSchedule schedule;

    private DiffForensicsTask(DiffForensics model, Stage stage, long seed) {
        this.model = model;
        this.stage = stage;
        this.schedule = new NoiseSchedule(model.config().diffusionSteps(), 1e-4, 2e-2);
        model.freezeEncoder(stage == Stage.PRETRAIN);
        long forwards = model.encoder().forwardCount();
        model.encoder().seedDropPath(Seeds.of(seed, Seeds.DROP_PATH));
        model.encoder().forwardCount(forwards);
    }

    /** A new model from the run seed, with MiT (or ADE20K SegFormer) encoder weights when given (a WARN otherwise). */
    public static DiffForensicsTask create(DiffForensics.Config config, Stage stage, Device device, long seed,
            Path encoderWeights) throws IOException {
        DiffForensics model = new DiffForensics(config, device).init(Seeds.of(seed, Seeds.INIT));
        try {
            if (encoderWeights != null) {
                ImportedWeights w = WeightImport.loadEncoder(encoderWeights, model.encoder());
                LOG.info("encoder initialised from {} ({})", w.file(), w.source().label());
                if (model.noiseStem() != null) {
                    model.noiseStem().zeroProjection();
                    LOG.info("noise stem {}: projection zeroed so the imported encoder starts unchanged",
                            model.noiseStem().kind().label);
                }
            } else {
                DiffusionTask.warnRandomEncoder(LOG);
            }
            return new DiffForensicsTask(model, stage, seed);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Fine-tuning that starts from the weights of a pretraining checkpoint {@code dir} (all of them: encoder,
     * decoder, heads) under {@code config}, which may differ from the checkpoint's in its loss weights only.
     */
    public static DiffForensicsTask fineTuneFrom(Path dir, DiffForensics.Config config, Device device, long seed)
            throws IOException {
        DiffForensics model = new DiffForensics(config, device).init(Seeds.of(seed, Seeds.INIT));
        try (DiffForensics pretrained = DiffForensicsCheckpoint.load(dir, device).model()) {
            Map<String, LoadedTensor> weights = ModuleWeights.snapshot(pretrained);
            ModuleWeights.load(model, weights, dir.resolve(Checkpoint.MODEL_FILE));
            return new DiffForensicsTask(model, Stage.FINETUNE, seed);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Continues from checkpoint {@code dir} in the stage that wrote it. */
    public static Trainer.Resumed resume(Path dir, Device device, long seed) throws IOException {
        DiffForensicsCheckpoint.Loaded loaded = DiffForensicsCheckpoint.load(dir, device);
        DiffForensicsCheckpoint.Meta m = loaded.meta();
        return new Trainer.Resumed(new DiffForensicsTask(loaded.model(), Stage.parse(m.stage()), seed),
                Trainer.Start.of(m.step(), m.epoch(), m.metrics()));
    }

    public DiffForensics diffForensics() {
        return model;
    }

    public Stage stage() {
        return stage;
    }

    @Override
    public String head() {
        return "diffforensics-" + stage.label;
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public Map<String, Tensor> trainable() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, Tensor> pool = stage == Stage.PRETRAIN ? model.decoderParameters() : model.namedParameters();
        pool.forEach((name, p) -> {
            boolean noiseHead = name.startsWith("noise_head.");
            boolean fineTuneHead = name.startsWith("seg_head.") || name.startsWith("edge_heads.")
                    || name.startsWith("cls_head.");
            if (stage == Stage.PRETRAIN ? !fineTuneHead : !noiseHead) {
                out.put(name, p);
            }
        });
        return out;
    }

    @Override
    public void trainMode() {
        model.train(true);
    }

    @Override
    public void evalMode() {
        model.train(false);
    }

    @Override
    public StepLoss loss(Batch batch, long step, long seed) {
        if (stage == Stage.PRETRAIN) {
            Tensor mse = denoisingLoss(batch.images(), seed, step);
            return new StepLoss(mse, Map.of("loss_noise", mse));
        }
        DiffForensics.Loss l = model.fineTune(batch.images(), batch.masks(), batch.edges(), batch.tampered());
        Map<String, Tensor> terms = new LinkedHashMap<>();
        terms.put("loss_seg", l.seg());
        terms.put("loss_seg_bce", l.segBce());
        terms.put("loss_seg_dice", l.segDice());
        terms.put("loss_edge", l.edge());
        terms.put("loss_clf", l.clf());
        return new StepLoss(l.total(), terms);
    }

    /**
     * The stage-1 objective ([1]) of ImageNet-normalised images x0 with t and the noise seeds drawn from
     * ({@code seed}, {@code step}).
     */
    public Tensor denoisingLoss(Tensor x0, long seed, long step) {
        int b = x0.dim(0), h = x0.dim(2), w = x0.dim(3);
        SplittableRandom rng = new SplittableRandom(Seeds.of(seed, Seeds.TIMESTEPS, step));
        int[] t = new int[b];
        float[] signal = new float[b], noise = new float[b];
        for (int i = 0; i < b; i++) {
            t[i] = 1 + rng.nextInt(schedule.steps()); // t ~ U{1..T}
            float abar = schedule.alphaCumprod(t[i] - 1);
            signal[i] = (float) Math.sqrt(abar);
            noise[i] = (float) Math.sqrt(1 - abar);
        }
        float[] eps = SimplexNoise.batch(Seeds.of(seed, Seeds.NOISE, step), 3, h, w, t, SimplexNoise.Octaves.PAPER);
        Tensor epsilon = Tensor.of(x0.device(), eps, b, 3, h, w);
        Tensor noisy = Arithmetic.add(Arithmetic.mulAlong(x0, Tensor.of(x0.device(), signal, b), 0),
                Arithmetic.mulAlong(epsilon, Tensor.of(x0.device(), noise, b), 0));
        return Losses.mse(model.predictNoise(noisy, t), epsilon);
    }

    /** The stage-1 objective on {@code batch} with fixed draws, in inference mode and without the tape. */
    public double heldOutDenoisingLoss(Batch batch, long seed) {
        boolean training = model.isTraining();
        model.train(false);
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.disabled()) {
            return denoisingLoss(batch.images(), seed, Long.MAX_VALUE).item();
        } finally {
            model.train(training);
        }
    }

    @Override
    public Tensor probability(Tensor images, TrainSettings settings, long sampleSeed) {
        DiffForensics.Prediction p = model.predict(images);
        lastImages = images;
        lastDetection = p.detection();
        return p.probability();
    }

    /** The detection scores of the last {@link #probability} call's images (validation asks for both in turn). */
    private Tensor lastImages, lastDetection;

    @Override
    public Tensor imageScores(Tensor images) {
        if (stage != Stage.FINETUNE) {
            return null;
        }
        return images == lastImages && !lastDetection.isClosed() ? lastDetection : model.predict(images).detection();
    }

    @Override
    public void save(Path dir, AdamW optimizer, Checkpoint.Progress progress) throws IOException {
        DiffForensicsCheckpoint.save(dir, model, stage.label, optimizer, progress);
    }

    /** One line on the stage's data: the loss weights a fine-tuning run took from the training data. */
    public static String describeWeights(DiffForensics.Config c) {
        return String.format(Locale.ROOT, "BCE weights: tampered / authentic pixels %.3f / %.3f, forged / real"
                + " images %.1f / %.1f", c.tamperedWeight(), c.authenticWeight(), c.forgedImageWeight(),
                c.realImageWeight());
    }
}
