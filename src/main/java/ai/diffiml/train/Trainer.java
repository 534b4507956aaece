package ai.diffiml.train;

import ai.diffiml.autograd.OpProfile;
import ai.diffiml.autograd.Tape;
import ai.diffiml.backend.Device;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.eval.PixelF1;
import ai.diffiml.eval.RocAuc;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.optim.AdamW;
import ai.diffiml.optim.GradClip;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop shared by both heads ({@link Task}): AdamW (betas 0.9/0.999, weight decay on weights only,
 * {@link ai.diffiml.optim.AdamW#decayGroups}), linear warm-up then per-iteration cosine decay ({@link LrSchedule}),
 * global gradient-norm clipping, a validation pass (pixel F1 @0.5 over the tampered images) at every epoch end with
 * the best weights kept in {@code best/}, the resumable {@code last/} checkpoint every K steps, at epoch ends and at
 * the end, the {@link MetricsLog}, a progress bar and the {@link CurvePlot} at the end, all in a {@link RunFolder}.
 *
 * <p><b>Resume is exact.</b> Step s (0-based) trains on batch (s / B, s % B) of the training source (B batches per
 * epoch), draws its noise from (seed, s) and drop-path from (seed, the encoder's forward count), and runs at the
 * learning rate of iteration s; {@code last/} holds the weights (BatchNorm statistics included), the AdamW moments
 * and step counts, the encoder's forward count and the next data position. Validation changes no state (inference
 * mode, fixed sampling seeds). So on the CPU backend, a run resumed from {@code last/} ends with weights
 * bit-identical to an uninterrupted run with the same thread count. (Caveat: a few CPU kernels, e.g. the losses and
 * the gradient norm, sum in double with an OpenMP {@code reduction}, whose partial sums libgomp combines in
 * thread-completion order; with up to 2 threads that order cannot change the result, with more it can in rare
 * cases change the last bit of the float result, in resumed and uninterrupted runs alike.)
 *
 * <p>A run stops early, at a step boundary and with {@code last/} written, when {@link #requestStop()} is called
 * (e.g. from a Ctrl-C hook) or the settings' time limit has passed.
 *
 * <p><b>Bad numbers.</b> A step whose loss or global gradient norm is NaN or infinite changes nothing: no optimizer
 * update (weights and AdamW moments stay as they were), the BatchNorm statistics its forward moved are put back,
 * its batch is consumed and the step counted, a WARN line
 * and the step's metrics record ({@code "skipped"}: the reason, {@code "skipped_steps"}: the run's count so far)
 * say so. After {@link #maxBadSteps} such steps in a row the run stops with an {@link IllegalStateException}
 * naming the step, the reason and the last checkpoint. Skipping is deterministic, so resume stays exact.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    /**
     * Where a run starts: a fresh run, or the position saved in a checkpoint.
     *
     * @param checkpoint the checkpoint to restore the optimizer from; null for a fresh run
     * @param step steps done
     * @param epoch epoch of the next batch
     * @param batchIndex index of the next batch in its epoch
     * @param batchesPerEpoch the training data's batches per epoch when saved (-1: fresh)
     * @param bestValF1 the best validation F1 so far (NaN: none yet)
     * @param bestStep the step of the best validation (-1: none)
     * @param elapsedSeconds training time already spent
     */
    public record Start(Path checkpoint, long step, int epoch, int batchIndex, int batchesPerEpoch,
            double bestValF1, long bestStep, double elapsedSeconds) {
        public static Start fresh() {
            return new Start(null, 0, 0, 0, -1, Double.NaN, -1, 0);
        }

        /** The position a checkpoint's progress (step, epoch and metrics as {@link Trainer} saves them) gives. */
        public static Start of(long step, int epoch, Map<String, Double> metrics) {
            return new Start(null, step, epoch, (int) get(metrics, "batch_index", 0),
                    (int) get(metrics, "batches_per_epoch", -1), get(metrics, "best_val_f1", Double.NaN),
                    (long) get(metrics, "best_step", -1), get(metrics, "elapsed_s", 0));
        }

        /** The same position, restoring the optimizer from checkpoint {@code dir}. */
        public Start from(Path dir) {
            return new Start(dir, step, epoch, batchIndex, batchesPerEpoch, bestValF1, bestStep, elapsedSeconds);
        }

        private static double get(Map<String, Double> m, String key, double otherwise) {
            Double v = m.get(key);
            return v == null ? otherwise : v;
        }
    }

    /** A task rebuilt from a checkpoint and where its run stood. */
    public record Resumed(Task task, Start start) {}

    /** What one step did. */
    public record StepReport(long step, int epoch, int batchIndex, double loss, Map<String, Double> terms, double lr,
            double gradNorm, double imagesPerSecond) {}

    /** Called after every step (e.g. to watch the run; an exception thrown here aborts it, as a crash would). */
    public interface Listener {
        void afterStep(StepReport report);
    }

    /**
     * How a run ended.
     *
     * @param steps steps done in all (including before a resume)
     * @param stopped whether it stopped early (stop request or time limit) and can be resumed
     * @param lastValidation the last validation's scores (null when none ran)
     * @param bestValF1 the best validation F1 (NaN when none)
     * @param bestStep the step of the best validation (-1 when none)
     * @param seconds wall time of this session's training loop
     * @param imagesPerSecond training images per second over this session's steps (0 when none)
     * @param run the run folder
     * @param lastScores the last validation's F1, AUC and oracle-threshold F1 (null when none ran)
     * @param allTampered what marking every pixel tampered scores on the validation data (null without it)
     * @param centredPrior what the centred prior scores there (null without validation data)
     * @param lastImageAuc the last validation's image-level AUC of the task's detection scores (NaN when the task
     *     has none, or the data lacks tampered or authentic images)
     */
    public record Result(long steps, boolean stopped, PixelF1.Summary lastValidation, double bestValF1,
            long bestStep, double seconds, double imagesPerSecond, RunFolder run, ValidationScores.Summary lastScores,
            ValidationScores.Summary allTampered, ValidationScores.Summary centredPrior, double lastImageAuc) {}

    private final Task task;
    private final BatchSource train;
    private final BatchSource validation;
    private final TrainSettings settings;
    private final RunFolder run;
    private final Device device;
    /** Consecutive non-finite steps after which a run stops, unless {@link #maxBadSteps(int)} says otherwise. */
    public static final int DEFAULT_MAX_BAD_STEPS = 5;

    private Listener listener = r -> {};
    private int maxBadSteps = DEFAULT_MAX_BAD_STEPS;
    private boolean validationElsewhere;
    private volatile boolean stopRequested;

    /**
     * @param validation the validation data (its epoch 0 is used every time); null for none (no validation F1,
     *     no {@code best/}; a WARN line says so)
     */
    public Trainer(Task task, BatchSource train, BatchSource validation, TrainSettings settings, RunFolder run,
            Device device) {
        this.task = Objects.requireNonNull(task, "task");
        this.train = Objects.requireNonNull(train, "train");
        this.validation = validation;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.run = Objects.requireNonNull(run, "run");
        this.device = Objects.requireNonNull(device, "device");
    }

    public Trainer listener(Listener l) {
        this.listener = Objects.requireNonNull(l, "listener");
        return this;
    }

    /**
     * Stops the run after {@code n} consecutive steps with a non-finite loss or gradient norm (each is skipped);
     * 1 stops at the first. Default {@value #DEFAULT_MAX_BAD_STEPS}.
     */
    public Trainer maxBadSteps(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("the number of bad steps in a row that stops a run must be >= 1, got "
                    + n);
        }
        this.maxBadSteps = n;
        return this;
    }

    /**
     * Says that this run has no validation data by design (its caller measures it another way, e.g. DiffForensics'
     * pretraining): no WARN line about the missing validation.
     */
    public Trainer validatedElsewhere() {
        this.validationElsewhere = true;
        return this;
    }

    /** Asks the loop to stop after the current step, writing {@code last/}; safe from any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    /** Trains from {@code start} to the end of the last epoch, or until stopped. */
    public Result run(Start start) throws IOException {
        int perEpoch = train.batchesPerEpoch();
        if (perEpoch < 1) {
            throw new IllegalArgumentException("the training data has no batches (" + train.samplesPerEpoch()
                    + " samples per epoch)");
        }
        if (start.batchesPerEpoch() >= 0 && start.batchesPerEpoch() != perEpoch) {
            throw new IllegalArgumentException("the training data gives " + perEpoch + " batches per epoch but the"
                    + " checkpoint was saved with " + start.batchesPerEpoch() + ": resume with the same data and"
                    + " batch size");
        }
        LrSchedule schedule = LrSchedule.ofEpochs(settings.lr(), settings.warmupEpochs(), settings.epochs(),
                perEpoch, settings.lrFloor());
        long total = schedule.totalIterations();
        if (start.step() > total || (long) start.epoch() * perEpoch + start.batchIndex() != start.step()) {
            throw new IllegalArgumentException("checkpoint position (step " + start.step() + ", epoch "
                    + start.epoch() + ", batch " + start.batchIndex() + ") does not fit a run of "
                    + settings.epochs() + " epochs x " + perEpoch + " batches");
        }
        long warmup = settings.auxWarmupSteps(perEpoch);
        task.auxWarmupSteps(warmup);
        if (warmup > 0) {
            LOG.info("steps 1..{}: auxiliary warm-up (the encoder and its auxiliary head train alone; the diffusion"
                    + " objective starts at step {})", warmup, warmup + 1);
        }
        if (validation == null && !validationElsewhere) {
            LOG.warn("no validation data: no validation pixel F1 and no best checkpoint in this run");
        }
        Files.createDirectories(run.dir());
        Loop loop = new Loop(start, perEpoch, schedule);
        try (AdamW opt = new AdamW(LrParts.groups(task.trainable(), (float) settings.weightDecay(), settings),
                (float) settings.lr(), TrainSettings.BETA1, TrainSettings.BETA2, TrainSettings.EPS);
                MetricsLog log = MetricsLog.open(run.metrics(), start.checkpoint() == null ? -1 : start.step());
                ProgressReporter progress = new ProgressReporter(LOG, task.head(), total, start.step(),
                        Duration.ofMillis((long) (start.elapsedSeconds() * 1000)))) {
            if (start.checkpoint() != null) {
                task.loadOptimizer(start.checkpoint(), opt);
            }
            return loop.run(opt, log, progress);
        } finally {
            Tape.clear();
        }
    }

    /** The state of one session of the loop. */
    private final class Loop {
        final int perEpoch;
        final LrSchedule schedule;
        final long begin = System.nanoTime();
        final double elapsedBefore;
        final long firstStep;
        long step;
        int epoch, index;
        double bestF1;
        long bestStep;
        long savedAt = -1;
        long images;
        double trainSeconds;
        double lastLoss = Double.NaN, lastLr;
        PixelF1.Summary lastVal;
        double lastImageAuc = Double.NaN;
        ValidationScores.Summary lastSummary, baselineAll, baselineCentred;
        /** Why the step just done was skipped (null: it was not); skipped steps in a row and in all. */
        String skipped;
        int badInARow;
        long badSteps;

        Loop(Start start, int perEpoch, LrSchedule schedule) {
            this.perEpoch = perEpoch;
            this.schedule = schedule;
            this.elapsedBefore = start.elapsedSeconds();
            this.step = start.step();
            this.firstStep = start.step();
            this.epoch = start.epoch();
            this.index = start.batchIndex();
            this.bestF1 = start.bestValF1();
            this.bestStep = start.bestStep();
            if (start.checkpoint() != null) {
                savedAt = step;
            }
        }

        Result run(AdamW opt, MetricsLog log, ProgressReporter progress) throws IOException {
            long total = schedule.totalIterations();
            if (step > 0) {
                progress.note(String.format(Locale.ROOT, "resuming %s at step %d of %d (epoch %d, batch %d of %d)",
                        run.dir(), step, total, epoch + 1, index + 1, perEpoch));
            }
            if (validation != null) {
                baselines(log, progress, savedAt < 0); // a resumed run's log holds them already
            }
            // the profile covers the training steps of this run only (not stage 1, validation or baselines)
            OpProfile.reset();
            while (step < total) {
                if (stopRequested || timeIsUp()) {
                    if (savedAt != step) {
                        save(opt, run.last(), true);
                    }
                    progress.note("stopped at step " + step + " of " + total + (stopRequested ? "" : " (time limit)")
                            + "; continue with --resume " + run.dir());
                    return finish(true, progress);
                }
                StepReport r = trainStep(opt);
                log.append(record(r));
                boolean epochEnd = index == perEpoch - 1;
                progress.update(step, String.format(Locale.ROOT, "loss %.4f lr %.1e %.1f img/s", r.loss(), r.lr(),
                        images / Math.max(trainSeconds, 1e-9)), epochEnd);
                listener.afterStep(r);
                if (epochEnd) {
                    epoch++;
                    index = 0;
                    if (validation != null) {
                        validate(log, progress, step == total);
                    }
                    save(opt, run.last(), true);
                } else {
                    index++;
                    if (settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0) {
                        save(opt, run.last(), true);
                    }
                }
            }
            if (savedAt != step) {
                save(opt, run.last(), true);
            }
            return finish(false, progress);
        }

        private boolean timeIsUp() {
            return settings.timeLimitSeconds() > 0
                    && (System.nanoTime() - begin) / 1e9 >= settings.timeLimitSeconds();
        }

        private StepReport trainStep(AdamW opt) {
            double lr = schedule.at(step);
            opt.setLr((float) lr);
            task.trainMode();
            long t0 = System.nanoTime();
            double loss, gradNorm = Double.NaN;
            Map<String, Double> terms = new LinkedHashMap<>();
            int batchSize;
            String bad = null;
            // the forward updates BatchNorm statistics in training mode; a skipped step must not keep them (a NaN
            // forward would leave NaN statistics behind)
            Map<String, Tensor> buffers = task.model().namedBuffers();
            Map<String, float[]> before = new LinkedHashMap<>();
            buffers.forEach((name, b) -> before.put(name, b.toArray()));
            OpProfile.mark(); // validation, logging and checkpoints since the last step are not the step's
            try (Scope scope = Scope.open(); Batch batch = train.batch(epoch, index, device)) {
                OpProfile.lap("data");
                batchSize = batch.size();
                Task.StepLoss l = task.loss(batch, step, settings.seed());
                loss = l.total().item();
                l.terms().forEach((k, v) -> terms.put(k, (double) v.item()));
                if (!Double.isFinite(loss)) {
                    bad = "the loss is " + loss;
                } else {
                    Tape.backward(l.total());
                    List<Tensor> params = opt.parameters();
                    gradNorm = settings.clipNorm() > 0 ? GradClip.clipGradNorm(params, settings.clipNorm())
                            : GradClip.gradNorm(params);
                    if (!Double.isFinite(gradNorm)) {
                        bad = "the gradient norm is " + gradNorm;
                    } else {
                        opt.step();
                        OpProfile.lap("update"); // gradient norm, clipping and AdamW
                    }
                }
            } finally {
                Tape.clear();
                opt.zeroGrad(); // a skipped step's gradients go with it
            }
            if (bad != null) {
                buffers.forEach((name, b) -> b.copyFrom(before.get(name)));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            step++;
            images += batchSize;
            trainSeconds += seconds;
            lastLr = lr;
            skipped = bad;
            if (bad == null) {
                badInARow = 0;
                lastLoss = loss;
            } else {
                badInARow++;
                badSteps++;
                if (badInARow >= maxBadSteps) {
                    throw diverged(bad + " (" + badInARow + " steps in a row with a non-finite loss or gradient, "
                            + badSteps + " skipped in this session)");
                }
                LOG.warn("step {}: {}; step skipped, no update ({} in a row, {} in this session; the run stops at {}"
                        + " in a row)", step, bad, badInARow, badSteps, maxBadSteps);
            }
            return new StepReport(step, epoch, index, loss, terms, lr, gradNorm, batchSize / seconds);
        }

        private IllegalStateException diverged(String what) {
            return new IllegalStateException("training diverged at step " + step + ": " + what
                    + (savedAt >= 0 ? "; the last checkpoint is " + run.last() + " (step " + savedAt + ")" : ""));
        }

        private Map<String, Object> record(StepReport r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", "train");
            m.put("step", r.step());
            m.put("epoch", r.epoch());
            m.put("batch", r.batchIndex());
            m.put("loss", r.loss());
            m.putAll(r.terms());
            m.put("lr", r.lr());
            m.put("grad_norm", r.gradNorm());
            m.put("images_per_s", r.imagesPerSecond());
            m.put("time_s", elapsed());
            if (skipped != null) {
                m.put("skipped", skipped);
            }
            if (badSteps > 0) {
                m.put("skipped_steps", badSteps);
            }
            return m;
        }

        private void validate(MetricsLog log, ProgressReporter progress, boolean whole) throws IOException {
            long t0 = System.nanoTime();
            task.evalMode();
            ValidationScores scores = new ValidationScores(), secondary = null;
            int n = validation.batchesPerEpoch(), count = 0;
            int size = Math.max(1, validation.samplesPerEpoch() / Math.max(1, n));
            if (!whole && settings.valSubset() > 0) {
                n = Math.min(n, Math.max(1, (settings.valSubset() + size - 1) / size));
            }
            Map<String, Double> diagnostics = Map.of();
            List<Double> imageScores = new ArrayList<>();
            List<Boolean> imageLabels = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                try (Scope scope = Scope.open(); Batch b = validation.batch(0, i, device)) {
                    Tensor p = task.probability(b.images(), settings, Seeds.of(settings.seed(), Seeds.VALIDATION, i));
                    scores.add(p, b.masks(), b.tampered());
                    Tensor q = task.secondaryProbability(b.images());
                    if (q != null) {
                        secondary = secondary == null ? new ValidationScores() : secondary;
                        secondary.add(q, b.masks(), b.tampered());
                    }
                    Tensor detection = task.imageScores(b.images());
                    if (detection != null) {
                        float[] d = detection.toArray();
                        for (int k = 0; k < d.length; k++) {
                            imageScores.add((double) d[k]);
                            imageLabels.add(b.tampered()[k]);
                        }
                    }
                    if (i == 0) {
                        diagnostics = task.diagnostics(b, settings.seed());
                    }
                    count += b.size();
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            ValidationScores.Summary summary = scores.summary();
            lastVal = summary.atHalf();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", "val");
            m.put("step", step);
            m.put("epoch", epoch);
            m.put("val_f1", lastVal.f1());
            m.put("val_precision", lastVal.precision());
            m.put("val_recall", lastVal.recall());
            m.put("val_iou", lastVal.iou());
            m.put("val_auc", summary.auc());
            m.put("val_f1_oracle_threshold", summary.oracleF1());
            m.put("val_oracle_threshold", (double) summary.oracleThreshold());
            String extra = "";
            if (secondary != null) {
                ValidationScores.Summary s2 = secondary.summary();
                String name = task.secondaryName();
                m.put("val_" + name + "_f1", s2.atHalf().f1());
                m.put("val_" + name + "_auc", s2.auc());
                extra = String.format(Locale.ROOT, "; %s head F1 %.4f, AUC %.4f", name, s2.atHalf().f1(), s2.auc());
            }
            if (!imageScores.isEmpty()) {
                lastImageAuc = imageAuc(imageScores, imageLabels);
                m.put("val_image_auc", lastImageAuc);
                extra += String.format(Locale.ROOT, "; image AUC %.4f", lastImageAuc);
            }
            m.putAll(diagnostics);
            m.put("val_tampered", lastVal.tamperedImages());
            m.put("val_authentic", lastVal.authenticImages());
            m.put("val_whole", whole || n == validation.batchesPerEpoch());
            m.put("val_images_per_s", count / seconds);
            m.put("time_s", elapsed());
            log.append(m);
            lastSummary = summary;
            progress.note(String.format(Locale.ROOT, "epoch %d: validation (%s, %d images) %s%s%s, %.1f images/s",
                    epoch, whole || n == validation.batchesPerEpoch() ? "all" : "subset", count, summary, extra,
                    diagnosticsLine(diagnostics), count / seconds));
            if (lastVal.tamperedImages() == 0) {
                LOG.warn("the validation data holds no tampered image: no pixel F1");
            } else if (!(lastVal.f1() <= bestF1)) { // also when no best yet (NaN)
                bestF1 = lastVal.f1();
                bestStep = step;
                save(null, run.best(), false);
            }
        }

        private static double imageAuc(List<Double> scores, List<Boolean> labels) {
            double[] s = new double[scores.size()];
            boolean[] positive = new boolean[s.length];
            int positives = 0;
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
                positive[i] = labels.get(i);
                positives += positive[i] ? 1 : 0;
            }
            return positives == 0 || positives == s.length ? Double.NaN : RocAuc.of(s, positive);
        }

        private String diagnosticsLine(Map<String, Double> d) {
            if (d.isEmpty()) {
                return "";
            }
            StringBuilder sb = new StringBuilder("; objective by t:");
            d.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.4f", k.replace("loss_", ""), v)));
            return sb.toString();
        }

        /** What rules that learn nothing score on the validation data: every pixel tampered, a centred prior. */
        private void baselines(MetricsLog log, ProgressReporter progress, boolean toLog) throws IOException {
            ValidationScores all = new ValidationScores(), centred = new ValidationScores();
            for (int i = 0; i < validation.batchesPerEpoch(); i++) {
                try (Scope scope = Scope.open(); Batch b = validation.batch(0, i, device)) {
                    int h = b.masks().dim(2), w = b.masks().dim(3);
                    all.addConstant(ValidationScores.allTampered(h, w), b.masks(), b.tampered());
                    centred.addConstant(ValidationScores.centredPrior(h, w), b.masks(), b.tampered());
                }
            }
            baselineAll = all.summary();
            baselineCentred = centred.summary();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", "baseline");
            m.put("step", step);
            m.put("all_tampered_f1", baselineAll.atHalf().f1());
            m.put("centred_prior_f1", baselineCentred.atHalf().f1());
            m.put("centred_prior_auc", baselineCentred.auc());
            if (toLog) {
                log.append(m);
            }
            progress.note(String.format(Locale.ROOT, "baselines on the validation data (%d tampered images):"
                    + " every pixel tampered F1 %.4f; centred prior F1 %.4f, AUC %.4f (AUC of any constant: 0.5)",
                    baselineAll.atHalf().tamperedImages(), baselineAll.atHalf().f1(), baselineCentred.atHalf().f1(),
                    baselineCentred.auc()));
        }

        private double elapsed() {
            return elapsedBefore + (System.nanoTime() - begin) / 1e9;
        }

        private void save(AdamW opt, Path dir, boolean isLast) throws IOException {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("batch_index", (double) index);
            m.put("batches_per_epoch", (double) perEpoch);
            m.put("best_val_f1", bestF1);
            m.put("best_step", (double) bestStep);
            m.put("loss", lastLoss);
            m.put("lr", lastLr);
            m.put("val_f1", lastVal == null ? Double.NaN : lastVal.f1());
            m.put("elapsed_s", elapsed());
            task.save(dir, opt, new Checkpoint.Progress(step, epoch, m));
            if (isLast) {
                savedAt = step;
            }
        }

        private Result finish(boolean stopped, ProgressReporter progress) throws IOException {
            double seconds = (System.nanoTime() - begin) / 1e9;
            progress.close();
            long steps = step - firstStep;
            if (OpProfile.enabled() && steps > 0) {
                LOG.info("op profile of the training steps (-Ddiffiml.profile=true), per step:\n{}",
                        OpProfile.report((int) steps));
            }
            try {
                CurvePlot.write(run.metrics(), run.curves(), task.head());
            } catch (IOException | RuntimeException e) {
                LOG.warn("could not draw {}: {}", run.curves(), e.toString());
            }
            return new Result(step, stopped, lastVal, bestF1, bestStep, seconds,
                    trainSeconds > 0 ? images / trainSeconds : 0, run, lastSummary, baselineAll, baselineCentred,
                    lastImageAuc);
        }
    }
}
