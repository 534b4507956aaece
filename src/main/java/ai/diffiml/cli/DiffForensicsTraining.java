package ai.diffiml.cli;

import ai.diffiml.backend.Device;
import ai.diffiml.data.AugmentationPreset;
import ai.diffiml.data.Batch;
import ai.diffiml.data.BatchSource;
import ai.diffiml.data.DatasetSummary;
import ai.diffiml.hub.HubFiles;
import ai.diffiml.io.Checkpoint;
import ai.diffiml.io.DiffForensicsCheckpoint;
import ai.diffiml.model.SegmentationLoss;
import ai.diffiml.model.diffforensics.DiffForensics;
import ai.diffiml.model.diffforensics.ForensicsLosses;
import ai.diffiml.tensor.Scope;
import ai.diffiml.train.DataSources;
import ai.diffiml.train.DiffForensicsPreset;
import ai.diffiml.train.DiffForensicsRun;
import ai.diffiml.train.DiffForensicsTask;
import ai.diffiml.train.DiffForensicsTask.Stage;
import ai.diffiml.train.RunConfig;
import ai.diffiml.train.RunFolder;
import ai.diffiml.train.Seeds;
import ai.diffiml.train.TrainPreset;
import ai.diffiml.train.TrainSettings;
import ai.diffiml.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * {@code train --model diffforensics}: the two stages of DiffForensics on one run folder. Stage 1 (pretraining,
 * self-supervised denoising) runs in {@code <run>/pretrain/} (its own {@code last/}, metrics and curves; no
 * validation: it has no map to score, only its denoising loss on a fixed validation batch before and after); stage 2
 * (fine-tuning) in the run folder itself, from stage 1's weights, with validation pixel F1, pixel AUC and image AUC
 * (the detection head) every epoch and {@code best/}, which {@code predict}, {@code eval} and the {@code Localizer}
 * read. {@code --stage pretrain} or {@code finetune} runs one of them (fine-tuning from {@code --pretrained}, or from
 * initialisation: the ablation without stage 1). {@code --resume} continues whichever stage was interrupted.
 */
final class DiffForensicsTraining {
    /**
     * What {@link TrainCommand} parsed, null where not given (the preset's value then applies).
     */
    record Options(TrainPreset preset, String stages, Path pretrained, String variant, Integer resolution,
            Integer batch, Integer pretrainBatch, Integer epochs, Integer pretrainEpochs, Double lr,
            Double warmupEpochs, AugmentationPreset augment, double weightDecay, double clipGrad, int checkpointEvery,
            long timeLimitSeconds, Path encoderWeights, String noiseStem, String posWeight, Double lrFloor,
            Map<String, Double> lrScales, Integer valSubset, Integer decoderWidth) {}

    /** Runs a training stage with its stop hook (TrainCommand's). */
    interface StageRunner {
        Trainer.Result run(Trainer trainer, Trainer.Start start) throws IOException;
    }

    private final DataSources sources;
    private final RunOptions runOptions;
    private final PrintWriter out;
    private final StageRunner runner;

    DiffForensicsTraining(DataSources sources, RunOptions runOptions, PrintWriter out, StageRunner runner) {
        this.sources = sources;
        this.runOptions = runOptions;
        this.out = out;
        this.runner = runner;
    }

    int newRun(Options o, Device dev) throws IOException {
        DiffForensicsPreset p = DiffForensicsPreset.of(o.preset());
        String stages = o.stages() == null ? "both" : o.stages();
        boolean pretrain = !stages.equals("finetune"), fineTune = !stages.equals("pretrain");
        if (o.pretrained() != null && !stages.equals("finetune")) {
            throw new IllegalArgumentException("--pretrained is the start of --stage finetune (with --stage " + stages
                    + " the run pretrains itself)");
        }
        if (!pretrain && (o.pretrainEpochs() != null || o.pretrainBatch() != null)) {
            throw new IllegalArgumentException("--pretrain-epochs and --pretrain-batch belong to stage 1; --stage"
                    + " finetune does not pretrain");
        }
        String v = o.variant() != null ? o.variant() : p.variant;
        int res = o.resolution() != null ? o.resolution() : p.resolution;
        int b = o.batch() != null ? o.batch() : p.batch;
        int b1 = o.pretrainBatch() != null ? o.pretrainBatch() : o.batch() != null ? o.batch() : p.pretrainBatch;
        if (b < 1 || b1 < 1) {
            throw new IllegalArgumentException("--batch and --pretrain-batch must be >= 1, got " + b + " and " + b1);
        }
        String stem = TrainCommand.NoiseStemOption.parse(o.noiseStem() != null ? o.noiseStem() : p.noiseStem);
        String pos = o.posWeight() != null ? o.posWeight().toLowerCase(Locale.ROOT)
                : p.sharePixelWeights ? "auto" : "paper";
        Float fixedPos = pos.equals("auto") || pos.equals("paper") ? null : parsePositive("--pos-weight", pos);
        DiffForensics.Config config = DiffForensics.Config.paper(v, res)
                .withDecoderWidth(o.decoderWidth() != null ? o.decoderWidth() : p.decoderWidth).withNoiseStem(stem);
        double lr = o.lr() != null ? o.lr() : p.lr;
        double warmup = o.warmupEpochs() != null ? o.warmupEpochs() : p.warmupEpochs;
        double floor = o.lrFloor() != null ? o.lrFloor() : p.lrFloor;
        int subset = o.valSubset() != null ? o.valSubset() : p.valSubset;
        long seed = runOptions.seed;
        TrainSettings fineTuneSettings = new TrainSettings(o.epochs() != null ? o.epochs() : p.epochs, lr, warmup,
                o.weightDecay(), o.clipGrad(), seed, o.checkpointEvery(), 1, 1, o.timeLimitSeconds(), floor,
                o.lrScales(), subset);
        TrainSettings pretrainSettings = pretrain ? new TrainSettings(o.pretrainEpochs() != null ? o.pretrainEpochs()
                : p.pretrainEpochs, lr, warmup, o.weightDecay(), o.clipGrad(), seed, o.checkpointEvery(), 1, 1,
                o.timeLimitSeconds(), floor, o.lrScales(), 0) : null;
        AugmentationPreset augmentation = o.augment() != null ? o.augment() : p.augmentation;
        Path encoderWeights = HubFiles.local(o.encoderWeights(), HubFiles.MODEL_WEIGHTS);
        if (encoderWeights != null && !Files.exists(encoderWeights)) {
            throw new IllegalArgumentException(encoderWeights + ": no such file");
        }
        Path pretrained = o.pretrained() == null ? null : pretrainCheckpoint(o.pretrained());
        if (pretrained != null && encoderWeights != null) {
            throw new IllegalArgumentException("--encoder-weights and --pretrained both give the encoder: choose one");
        }
        // after every check above: no synthetic data is made for a run that cannot start
        Path data = runOptions.dataOrSynthetic(res, out);
        Path valData = runOptions.valData;
        DatasetSummary.printExisting(out, data, valData);
        try (BatchSource train = sources.training(data, res, b, seed, augmentation.settings(), 0);
                BatchSource val = valData == null ? null : sources.validation(valData, res, b)) {
            Shares shares = Shares.of(train, dev);
            float tamperedWeight = pos.equals("paper") ? 2f
                    : fixedPos != null ? fixedPos : SegmentationLoss.positiveWeight(shares.pixels());
            float authenticWeight = pos.equals("paper") ? 0.5f : 1f;
            float[] imageWeights = ForensicsLosses.imageWeights(shares.images());
            config = config.withPixelWeights(tamperedWeight, authenticWeight)
                    .withImageWeights(imageWeights[0], imageWeights[1]);
            Path dir = runOptions.newRunFolder("diffforensics");
            RunFolder run = new RunFolder(dir);
            DiffForensicsRun part = new DiffForensicsRun(config, stages, pretrainSettings, pretrain ? b1 : 0,
                    pretrained == null ? null : pretrained.toString());
            new RunConfig(RunConfig.FORMAT, Instant.now().toString(), "diffforensics", o.preset().label(), null, null,
                    fineTuneSettings, b, data.toString(), valData == null ? null : valData.toString(), null, 0, null,
                    encoderWeights == null ? null : encoderWeights.toString(), augmentation.label(), part)
                    .write(run.config());
            out.println("run folder " + dir);
            out.printf(Locale.ROOT, "training data: tampered pixels %.2f%%, forged images %.1f%%; %s%n",
                    100 * shares.pixels(), 100 * shares.images(), DiffForensicsTask.describeWeights(config));
            out.flush();
            return stages(part, run, dev, encoderWeights, train, val, data, res, augmentation, fineTuneSettings,
                    false);
        }
    }

    int resume(RunConfig c, RunFolder run, Device dev, long timeLimitSeconds) throws IOException {
        DiffForensicsRun part = c.diffforensics();
        TrainSettings settings = c.train().withTimeLimit(timeLimitSeconds);
        if (part.pretrains()) {
            part = new DiffForensicsRun(part.model(), part.stages(), part.pretrain().withTimeLimit(timeLimitSeconds),
                    part.pretrainBatch(), part.pretrained());
        }
        Path data = Path.of(c.data());
        int res = part.model().resolution();
        try (BatchSource train = sources.training(data, res, c.batch(), settings.seed(),
                c.augmentationPreset().settings(), 0);
                BatchSource val = c.valData() == null ? null : sources.validation(Path.of(c.valData()), res,
                        c.batch())) {
            return stages(part, run, dev, c.encoderWeights() == null ? null : Path.of(c.encoderWeights()), train,
                    val, data, res, c.augmentationPreset(), settings, true);
        }
    }

    /** The run's stages in order; with {@code resuming}, each continues from its last/ where it has one. */
    private int stages(DiffForensicsRun part, RunFolder run, Device dev, Path encoderWeights, BatchSource train,
            BatchSource val, Path data, int res, AugmentationPreset augmentation, TrainSettings fineTuneSettings,
            boolean resuming) throws IOException {
        long seed = fineTuneSettings.seed();
        RunFolder stage1 = new RunFolder(run.dir().resolve(DiffForensicsRun.PRETRAIN_FOLDER));
        if (part.pretrains()) {
            TrainSettings s = part.pretrain();
            boolean sameBatch = part.pretrainBatch() == batchOf(train);
            try (BatchSource pretrainData = sameBatch ? null : sources.training(data, res, part.pretrainBatch(),
                    seed, augmentation.settings(), 0)) {
                BatchSource source = sameBatch ? train : pretrainData;
                boolean resumeStage = resuming && Files.isRegularFile(stage1.last().resolve(
                        Checkpoint.META_FILE));
                Trainer.Resumed r = resumeStage ? DiffForensicsTask.resume(stage1.last(), dev, seed) : null;
                try (DiffForensicsTask task = r != null ? (DiffForensicsTask) r.task()
                        : DiffForensicsTask.create(part.model(), Stage.PRETRAIN, dev, seed, encoderWeights)) {
                    double before = val == null ? Double.NaN : heldOut(task, val, dev, seed);
                    Trainer.Result result = runner.run(new Trainer(task, source, null, s, stage1, dev).validatedElsewhere(),
                            r != null ? r.start().from(stage1.last()) : Trainer.Start.fresh());
                    double after = val == null ? Double.NaN : heldOut(task, val, dev, seed);
                    out.printf(Locale.ROOT, "stage 1    pretraining (denoising, encoder frozen): %d steps, this session"
                            + " %.1f s, %.2f images/s; simplex-noise MSE on a validation batch %.4f -> %.4f%n",
                            result.steps(), result.seconds(), result.imagesPerSecond(), before, after);
                    out.println("           checkpoint " + stage1.last());
                    out.flush();
                    if (result.stopped()) {
                        out.println("stopped    continue with: train --resume " + run.dir());
                        out.flush();
                        return 0;
                    }
                }
            }
        }
        if (!part.fineTunes()) {
            return 0;
        }
        Path start = part.pretrains() ? stage1.last() : part.pretrained() == null ? null : Path.of(part.pretrained());
        boolean resumeStage = resuming && Files.isRegularFile(run.last().resolve(Checkpoint.META_FILE));
        Trainer.Resumed r = resumeStage ? DiffForensicsTask.resume(run.last(), dev, seed) : null;
        try (DiffForensicsTask task = r != null ? (DiffForensicsTask) r.task()
                : start != null ? DiffForensicsTask.fineTuneFrom(start, part.model(), dev, seed)
                        : DiffForensicsTask.create(part.model(), Stage.FINETUNE, dev, seed, encoderWeights)) {
            out.println("stage 2    fine-tuning at t_f = " + part.model().fineTuneStep() + (start != null
                    ? " from " + start : " from initialisation (no stage 1)"));
            out.flush();
            Trainer.Result result = runner.run(new Trainer(task, train, val, fineTuneSettings, run, dev),
                    r != null ? r.start().from(run.last()) : Trainer.Start.fresh());
            report(result, train.batchesPerEpoch(), fineTuneSettings.epochs());
        }
        return 0;
    }

    /**
     * The pretraining checkpoint {@code --pretrained} names: a DiffForensics run folder's {@code pretrain/last/}, or
     * a checkpoint folder; anything else is a one-line error naming it.
     */
    static Path pretrainCheckpoint(Path given) throws IOException {
        Path stage1 = new RunFolder(given.resolve(DiffForensicsRun.PRETRAIN_FOLDER)).last();
        Path dir = Files.isRegularFile(stage1.resolve(Checkpoint.META_FILE)) ? stage1
                : Files.isRegularFile(given.resolve(Checkpoint.META_FILE)) ? given : null;
        if (dir == null) {
            throw new IllegalArgumentException("--pretrained " + given + ": neither a DiffForensics run folder with "
                    + DiffForensicsRun.PRETRAIN_FOLDER + "/" + RunFolder.LAST + "/ nor a checkpoint folder");
        }
        DiffForensicsCheckpoint.readMeta(dir); // a DiffForensics checkpoint, else a one-line error naming the file
        return dir;
    }

    /** Samples per batch of a source (the same for every batch of the loaders used here). */
    private static int batchOf(BatchSource s) {
        return s.samplesPerEpoch() / Math.max(1, s.batchesPerEpoch());
    }

    private static double heldOut(DiffForensicsTask task, BatchSource val, Device dev, long seed) {
        try (Scope scope = Scope.open(); Batch b = val.batch(0, 0, dev)) {
            return task.heldOutDenoisingLoss(b, Seeds.of(seed, Seeds.DIAGNOSTICS));
        }
    }

    private void report(Trainer.Result r, int perEpoch, int epochs) {
        RunFolder run = r.run();
        out.printf(Locale.ROOT, "steps      %d of %d (%d epochs x %d batches); this session %.1f s, %.2f images/s%n",
                r.steps(), (long) epochs * perEpoch, epochs, perEpoch, r.seconds(), r.imagesPerSecond());
        if (r.lastValidation() != null) {
            out.printf(Locale.ROOT, "val F1     %.4f (best %.4f at step %d): %s%n", r.lastValidation().f1(),
                    r.bestValF1(), r.bestStep(), r.lastValidation());
            out.printf(Locale.ROOT, "val AUC    %.4f (pixel AUC; F1 at the oracle threshold %.2f: %.4f, not the"
                    + " protocol's)%n", r.lastScores().auc(), r.lastScores().oracleThreshold(),
                    r.lastScores().oracleF1());
            out.printf(Locale.ROOT, "val image  AUC %.4f (the detection head's score)%n", r.lastImageAuc());
        }
        if (r.allTampered() != null) {
            out.printf(Locale.ROOT, "baselines  every pixel tampered F1 %.4f; centred prior F1 %.4f, AUC %.4f (same"
                    + " validation data: a model below these has learnt nothing)%n", r.allTampered().atHalf().f1(),
                    r.centredPrior().atHalf().f1(), r.centredPrior().auc());
        }
        out.println("checkpoint " + run.last() + (Double.isNaN(r.bestValF1()) ? "" : ", best: " + run.best()));
        out.println("metrics    " + run.metrics() + ", curves: " + run.curves());
        if (r.stopped()) {
            out.println("stopped    continue with: train --resume " + run.dir());
        }
        out.flush();
    }

    private static float parsePositive(String flag, String v) {
        float w;
        try {
            w = Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be auto, paper or a number > 0, got '" + v + "'");
        }
        if (!(w > 0) || !Float.isFinite(w)) {
            throw new IllegalArgumentException(flag + " must be > 0, got " + v);
        }
        return w;
    }

    /** Tampered-pixel and forged-image shares of the first batches of epoch 0 (as {@code PixelShare} counts). */
    record Shares(double pixels, double images) {
        static final int BATCHES = 25;

        static Shares of(BatchSource train, Device device) {
            double sum = 0;
            long n = 0;
            int forged = 0, images = 0;
            for (int i = 0; i < Math.min(BATCHES, train.batchesPerEpoch()); i++) {
                try (Scope scope = Scope.open(); Batch b = train.batch(0, i, device)) {
                    for (float v : b.masks().toArray()) {
                        sum += v;
                    }
                    n += b.masks().numel();
                    for (boolean t : b.tampered()) {
                        forged += t ? 1 : 0;
                        images++;
                    }
                }
            }
            return new Shares(n == 0 ? 0 : sum / n, images == 0 ? 0 : (double) forged / images);
        }
    }
}
