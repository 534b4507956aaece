package ai.diffiml.train;

import ai.diffiml.autograd.GradMode;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.eval.PixelF1;
import ai.diffiml.io.ModuleWeights;
import ai.diffiml.io.Safetensors;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.LightVae;
import ai.diffiml.model.diffiml.SdVaeEncoder;
import ai.diffiml.ops.Activations;
import ai.diffiml.ops.Arithmetic;
import ai.diffiml.ops.Layout;
import ai.diffiml.ops.Losses;
import ai.diffiml.optim.AdamW;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1 of the method (method.md section 3): the LightVAE trained as an autoencoder of masks and edge maps. Each
 * step encodes and decodes the batch's masks and edge maps together (2B maps, scaled to [-1, 1]); the loss is
 * L1(decoded logits, input in [-1, 1]), plus, when an SD-VAE teacher is given, beta x MSE(student latent, teacher
 * posterior mean x 0.18215) with beta 0.01 by default. Adam (AdamW without weight decay) at a constant learning
 * rate, 1e-4 in the method. After every epoch the weights are written atomically to {@value #WEIGHTS_FILE} in the
 * output folder (the release's {@code encoder.*}/{@code decoder.*} names, so
 * {@link ai.diffiml.io.importers.WeightImport} reads them as LightVAE weights); at the end the reconstruction pixel
 * F1 (decode(encode(mask)) logits &gt; 0 against the mask, over tampered images; the paper reports 0.997) is
 * measured and {@value #SUMMARY_FILE}, {@value RunFolder#METRICS} and {@value RunFolder#CURVES} are written.
 */
public final class VaeTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(VaeTrainer.class);
    /** The trained LightVAE's weights in the output folder. */
    public static final String WEIGHTS_FILE = "light_vae.safetensors";
    /** The summary of the stage-1 run in the output folder. */
    public static final String SUMMARY_FILE = "vae.json";

    /**
     * @param epochs passes over the data (method: 40)
     * @param lr Adam learning rate (method: 1e-4)
     * @param beta weight of the distillation term (method: 0.01; used only with a teacher)
     */
    public record Settings(int epochs, double lr, double beta) {
        public Settings {
            if (epochs < 1 || !(lr > 0) || !(beta >= 0)) {
                throw new IllegalArgumentException("LightVAE training: need epochs >= 1, lr > 0, beta >= 0; got "
                        + epochs + ", " + lr + ", " + beta);
            }
        }

        /** The method's settings for {@code epochs} epochs: lr 1e-4, beta 0.01. */
        public static Settings of(int epochs) {
            return new Settings(epochs, 1e-4, 0.01);
        }
    }

    /**
     * How stage 1 ended.
     *
     * @param steps optimizer steps
     * @param finalLoss the loss of the last step
     * @param mask reconstruction scores of the masks (tampered images)
     * @param edge reconstruction scores of the edge maps (tampered images)
     * @param teacher whether the distillation term was used
     * @param seconds wall time
     * @param weights the weights file
     */
    public record Result(long steps, double finalLoss, PixelF1.Summary mask, PixelF1.Summary edge, boolean teacher,
            double seconds, Path weights, Calibration calibration) {
        /** The scale the diffusion model should use with these weights ({@link Calibration#scale}). */
        public float latentScale() {
            return calibration.scale();
        }
    }

    /**
     * The statistics of the trained encoder's outputs (before any scale) over the training masks and edge maps, and
     * the latent scale they give: 1 / std without a teacher (so the diffusion latents have unit variance and the
     * signal-to-noise ratio of the schedule means what it says), the SD VAE's 0.18215 with one (the student was
     * distilled towards latents at that scale).
     */
    public record Calibration(double mean, double std, long values, float scale) {}

    /** Batches of the training data's epoch 0 over which the latent statistics are measured (at most). */
    static final int CALIBRATION_BATCHES = 40;

    private final BatchSource train;
    private final BatchSource evaluation;
    private final Settings settings;
    private final Path out;
    private final Device device;
    private SdVaeEncoder teacher;

    /**
     * @param evaluation data for the reconstruction F1 (its epoch 0); null to measure it on the training data
     */
    public VaeTrainer(BatchSource train, BatchSource evaluation, Settings settings, Path out, Device device) {
        this.train = Objects.requireNonNull(train, "train");
        this.evaluation = evaluation;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.out = Objects.requireNonNull(out, "out");
        this.device = Objects.requireNonNull(device, "device");
    }

    /** Distils towards this frozen SD-VAE encoder (the caller owns it). */
    public VaeTrainer teacher(SdVaeEncoder t) {
        this.teacher = t;
        return this;
    }

    /** Trains {@code vae} (initialised by the caller, who owns it) and writes the output folder. */
    public Result run(LightVae vae) throws IOException {
        int perEpoch = train.batchesPerEpoch();
        if (perEpoch < 1) {
            throw new IllegalArgumentException("the training data has no batches");
        }
        Files.createDirectories(out);
        long begin = System.nanoTime();
        long total = (long) settings.epochs() * perEpoch, step = 0;
        double loss = Double.NaN;
        Path weights = out.resolve(WEIGHTS_FILE);
        if (teacher == null) {
            LOG.info("LightVAE: no --teacher, training a plain autoencoder (L1 only)");
        }
        try (AdamW opt = new AdamW(List.of(AdamW.ParamGroup.of("all", List.copyOf(vae.namedParameters().values()),
                0f)), (float) settings.lr(), TrainSettings.BETA1, TrainSettings.BETA2, TrainSettings.EPS);
                MetricsLog log = MetricsLog.open(out.resolve(RunFolder.METRICS), -1);
                ProgressReporter progress = new ProgressReporter(LOG, "LightVAE", total, 0, Duration.ZERO)) {
            for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                for (int i = 0; i < perEpoch; i++) {
                    vae.train(true);
                    long t0 = System.nanoTime();
                    Map<String, Object> r = new LinkedHashMap<>();
                    int maps;
                    try (Scope scope = Scope.open(); Batch batch = train.batch(epoch, i, device)) {
                        Tensor x = DiffIml.toSigned(Layout.concat(0, batch.masks(), batch.edges()));
                        maps = x.dim(0);
                        Tensor z = vae.encode(x);
                        Tensor l1 = Losses.l1(vae.decode(z), x);
                        Tensor total1 = l1;
                        r.put("kind", "vae");
                        r.put("step", step + 1);
                        r.put("epoch", epoch);
                        if (teacher != null) {
                            Tensor distill = Losses.mse(z, teacher.posteriorMean(x));
                            total1 = Arithmetic.add(l1, Arithmetic.scale(distill, (float) settings.beta()));
                            r.put("loss_distill", (double) distill.item());
                        }
                        loss = total1.item();
                        r.put("loss", loss);
                        r.put("loss_l1", (double) l1.item());
                        if (!Double.isFinite(loss)) {
                            throw new IllegalStateException("LightVAE training diverged at step " + (step + 1)
                                    + ": the loss is " + loss);
                        }
                        Tape.backward(total1);
                        opt.step();
                    } finally {
                        Tape.clear();
                        opt.zeroGrad();
                    }
                    step++;
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    r.put("lr", settings.lr());
                    r.put("images_per_s", maps / 2 / seconds);
                    log.append(r);
                    progress.update(step, String.format(Locale.ROOT, "loss %.4f", loss), i == perEpoch - 1);
                }
                Safetensors.write(weights, ModuleWeights.snapshot(vae).values());
            }
        }
        PixelF1.Summary[] scores = reconstruction(vae);
        Calibration calibration = calibrate(vae, teacher != null);
        double seconds = (System.nanoTime() - begin) / 1e9;
        Result result = new Result(step, loss, scores[0], scores[1], teacher != null, seconds, weights, calibration);
        writeSummary(result);
        CurvePlot.write(out.resolve(RunFolder.METRICS), out.resolve(RunFolder.CURVES), "LightVAE");
        LOG.info("LightVAE: {} steps in {} s; mask reconstruction {}; edge reconstruction pixel F1 {}", step,
                String.format(Locale.ROOT, "%.1f", seconds), scores[0],
                String.format(Locale.ROOT, "%.4f", scores[1].f1()));
        LOG.info("LightVAE latents: mean {}, std {} over {} values; latent scale {}{}",
                String.format(Locale.ROOT, "%.4f", calibration.mean()),
                String.format(Locale.ROOT, "%.4f", calibration.std()), calibration.values(),
                String.format(Locale.ROOT, "%.5f", calibration.scale()),
                teacher != null ? " (the SD VAE's: distilled)" : " (1 / std)");
        return result;
    }

    /** Measures the encoder's output statistics over (up to {@value #CALIBRATION_BATCHES}) training batches. */
    public Calibration calibrate(LightVae vae, boolean distilled) {
        vae.train(false);
        double sum = 0, sumSq = 0;
        long n = 0;
        int batches = Math.min(CALIBRATION_BATCHES, train.batchesPerEpoch());
        try (GradMode.Guard g = GradMode.disabled()) {
            for (int i = 0; i < batches; i++) {
                try (Scope scope = Scope.open(); Batch b = train.batch(0, i, device)) {
                    float[] z = vae.encodeUnscaled(DiffIml.toSigned(Layout.concat(0, b.masks(), b.edges())))
                            .toArray();
                    for (float v : z) {
                        sum += v;
                        sumSq += (double) v * v;
                    }
                    n += z.length;
                }
            }
        }
        double mean = sum / n, std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
        if (!(std > 1e-6) || !Double.isFinite(std)) {
            throw new IllegalStateException("LightVAE latents have std " + std + " over " + n + " values: the"
                    + " encoder collapsed, no latent scale can be set");
        }
        float scale = distilled ? LightVae.LATENT_SCALE : (float) (1 / std);
        return new Calibration(mean, std, n, scale);
    }

    /**
     * The latent scale recorded beside LightVAE weights: {@value #SUMMARY_FILE}'s {@code latent_scale} in the folder
     * (or beside the file) given, else the SD VAE's 0.18215 (the release's weights, distilled VAEs, whole-model
     * files and stage-1 folders written before calibration existed).
     */
    public static float latentScaleOf(Path vaePath) throws IOException {
        Path dir = Files.isDirectory(vaePath) ? vaePath : vaePath.toAbsolutePath().getParent();
        Path summary = dir == null ? null : dir.resolve(SUMMARY_FILE);
        if (summary == null || !Files.isRegularFile(summary)
                || (!Files.isDirectory(vaePath) && !vaePath.getFileName().toString().equals(WEIGHTS_FILE))) {
            return LightVae.LATENT_SCALE;
        }
        com.fasterxml.jackson.databind.JsonNode node;
        try {
            node = new ObjectMapper().readTree(summary.toFile()).get("latent_scale");
        } catch (IOException e) {
            throw new IOException(summary + ": not a LightVAE summary: " + e.getMessage(), e);
        }
        if (node == null) {
            return LightVae.LATENT_SCALE;
        }
        float scale = (float) node.asDouble(Double.NaN);
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IOException(summary + ": latent_scale must be a positive number, got " + node);
        }
        return scale;
    }

    /** Reconstruction pixel F1 of masks and edge maps: sigmoid(decode(encode(map))) &gt; 0.5, i.e. logits &gt; 0. */
    public PixelF1.Summary[] reconstruction(LightVae vae) {
        BatchSource source = evaluation != null ? evaluation : train;
        vae.train(false);
        PixelF1.Accumulator mask = new PixelF1.Accumulator(), edge = new PixelF1.Accumulator();
        try (GradMode.Guard g = GradMode.disabled()) {
            for (int i = 0; i < source.batchesPerEpoch(); i++) {
                try (Scope scope = Scope.open(); Batch b = source.batch(0, i, device)) {
                    mask.add(reconstruct(vae, b.masks()), b.masks(), b.tampered());
                    edge.add(reconstruct(vae, b.edges()), b.edges(), b.tampered());
                }
            }
        }
        return new PixelF1.Summary[] {mask.summary(), edge.summary()};
    }

    private static Tensor reconstruct(LightVae vae, Tensor map01) {
        return Activations.sigmoid(vae.decode(vae.encode(DiffIml.toSigned(map01))));
    }

    private void writeSummary(Result r) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("weights", WEIGHTS_FILE);
        m.put("epochs", settings.epochs());
        m.put("steps", r.steps());
        m.put("lr", settings.lr());
        m.put("teacher", r.teacher());
        m.put("beta", r.teacher() ? settings.beta() : 0.0);
        m.put("final_loss", r.finalLoss());
        m.put("mask_reconstruction_f1", finite(r.mask().f1()));
        m.put("edge_reconstruction_f1", finite(r.edge().f1()));
        m.put("scored_images", r.mask().tamperedImages());
        m.put("latent_mean", r.calibration().mean());
        m.put("latent_std", r.calibration().std());
        m.put("latent_scale", (double) r.calibration().scale());
        m.put("seconds", r.seconds());
        Path file = out.resolve(SUMMARY_FILE), tmp = out.resolve(SUMMARY_FILE + ".tmp");
        Files.writeString(tmp, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m)
                + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
