package ai.diffiml.cli;

import ai.diffiml.backend.Device;
import ai.diffiml.data.AugmentationPreset;
import ai.diffiml.data.BatchSource;
import ai.diffiml.data.DatasetSummary;
import ai.diffiml.hub.HubFiles;
import ai.diffiml.model.NoiseStem;
import ai.diffiml.model.SegmentationLoss;
import ai.diffiml.model.diffiml.AnchorForm;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.segformer.SegFormer;
import ai.diffiml.train.DataSources;
import ai.diffiml.train.DiffusionTask;
import ai.diffiml.train.DiscriminativeTask;
import ai.diffiml.train.PixelShare;
import ai.diffiml.train.RunConfig;
import ai.diffiml.train.RunFolder;
import ai.diffiml.train.Task;
import ai.diffiml.train.TrainPreset;
import ai.diffiml.train.TrainSettings;
import ai.diffiml.train.Trainer;
import ai.diffiml.train.VaeTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code train}: stage 2, DiffIML with the diffusion objective (after stage 1, {@link TrainVaeCommand}, when no
 * {@code --vae} is given), or the discriminative SegFormer baseline with {@code --head discriminative}, on the same
 * data, budget, validation and checkpoints ({@link Trainer}). The run folder {@code <out>/<name>/} gets
 * {@code config.json}, {@code vae/} (stage 1), {@code last/}, {@code best/}, {@code metrics.jsonl} and
 * {@code curves.png}; {@code --resume <out>/<name>} continues it exactly where its last checkpoint left it. Ctrl-C
 * stops after the current step with {@code last/} written.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train DiffIML (stage 2, diffusion head; stage 1, the LightVAE, runs first when no --vae is"
                + " given) or the discriminative SegFormer baseline on a dataset, with validation pixel F1 @0.5"
                + " every epoch, the best and last checkpoints, a JSONL metrics log and a PNG of the curves in"
                + " <out>/<name>/.",
                "--resume <out>/<name> continues a run bit-exactly (CPU) from its last checkpoint with the settings"
                        + " in its config.json."})
public final class TrainCommand implements Callable<Integer> {
    /** Options that may accompany --resume (all others come from the run's config.json). */
    private static final Set<String> RESUME_OPTIONS = Set.of("--resume", "--device", "--threads", "--time-limit");

    @Mixin
    private DeviceOption device;

    @Mixin
    private ThreadsOption threads;

    @Mixin
    private RunOptions runOptions;

    @Option(names = "--preset", paramLabel = "default|paper", defaultValue = "default",
            converter = PresetConverter.class,
            description = "Starting settings: default (MiT-b0, 128 px, UNet width 64, batch 8, 7 epochs of which"
                    + " the first 6.5 train the encoder and its auxiliary head alone, LightVAE 1 epoch, lr 3e-4,"
                    + " geometric augmentation, validation 8 steps x 1 chain; about 15 minutes on 2 CPU cores)"
                    + " or paper (MiT-b3, 512 px, batch 16, 200 epochs, LightVAE 40 epochs, lr 1e-4, the paper's"
                    + " augmentation, validation 8 steps x 5 chains)."
                    + " Default: ${DEFAULT-VALUE}.")
    private TrainPreset preset;

    @Option(names = "--model", paramLabel = "diffiml|segformer|diffforensics", defaultValue = "diffiml",
            converter = ModelConverter.class,
            description = "The model: diffiml (see --head), segformer (the same as --head discriminative) or"
                    + " diffforensics (MiT encoder + UNet decoder; stage 1 simplex-noise denoising, stage 2"
                    + " multi-task fine-tuning with a detection head; see --stage). Default: ${DEFAULT-VALUE}.")
    private String modelName;

    @Option(names = "--stage", paramLabel = "pretrain|finetune|both",
            description = "DiffForensics stages to train: both (pretraining into <run>/pretrain/, then fine-tuning),"
                    + " pretrain, or finetune (from --pretrained, else from initialisation). Default: both.")
    private String stage;

    @Option(names = "--pretrained", paramLabel = "<dir>",
            description = "DiffForensics --stage finetune: start from this pretraining checkpoint (a DiffForensics"
                    + " run folder with pretrain/, or a checkpoint folder).")
    private Path pretrained;

    @Option(names = "--pretrain-epochs", paramLabel = "<n>",
            description = "DiffForensics stage-1 epochs. Default: the preset's (default 1, paper 100).")
    private Integer pretrainEpochs;

    @Option(names = "--pretrain-batch", paramLabel = "<n>",
            description = "DiffForensics stage-1 batch size. Default: --batch when given, else the preset's (default"
                    + " 8, paper 16).")
    private Integer pretrainBatch;

    @Option(names = "--unet-width", paramLabel = "<c>",
            description = "Width of DiffIML's denoising UNet (a multiple of 32, at most 512). Default: the preset's"
                    + " (default 64, paper 128).")
    private Integer unetWidth;

    @Option(names = "--stem-width", paramLabel = "<c>",
            description = "Channels of the noise stem's two full-resolution conv layers (DiffIML; 1.."
                    + NoiseStem.MAX_WIDTH + "). Default: " + NoiseStem.DEFAULT_WIDTH + ".")
    private Integer stemWidth;

    @Option(names = "--decoder-width", paramLabel = "<d>",
            description = "DiffForensics decoder width D (blocks of 4D, 2D, D channels; a multiple of 8). Default:"
                    + " the preset's (default 32, paper 64).")
    private Integer decoderWidth;

    @Option(names = "--head", paramLabel = "diffusion|discriminative", defaultValue = "diffusion",
            converter = HeadConverter.class,
            description = "diffusion (DiffIML) or discriminative (SegFormer all-MLP head, BCE + Dice)."
                    + " Default: ${DEFAULT-VALUE}.")
    private String head;

    @Option(names = "--variant", paramLabel = "b0..b5", description = "Mix Transformer variant. Default: the preset's.")
    private String variant;

    @Option(names = "--resolution", paramLabel = "<px>",
            description = "Training size in pixels (multiple of 32). Default: the preset's.")
    private Integer resolution;

    @Option(names = "--batch", paramLabel = "<n>", description = "Samples per batch. Default: the preset's.")
    private Integer batch;

    @Option(names = "--epochs", paramLabel = "<n>", description = "Epochs. Default: the preset's.")
    private Integer epochs;

    @Option(names = "--lr", paramLabel = "<lr>",
            description = "Peak learning rate. Default: the preset's (paper 1e-4; default 3e-4, for an encoder that"
                    + " starts from random initialisation).")
    private Double lr;

    @Option(names = "--warmup-epochs", paramLabel = "<n>",
            description = "Linear warm-up epochs before the per-iteration cosine decay. Default: the preset's"
                    + " (paper 2, default 0.3).")
    private Double warmupEpochs;

    @Option(names = "--augment", paramLabel = "paper|geometric|none", converter = AugmentConverter.class,
            description = "Training augmentation: paper (the release's set: scale, naive copy-move and inpainting,"
                    + " flips, rot90, brightness/contrast, JPEG, blur), geometric (flips and rot90 only: the"
                    + " pixel-level traces survive), or none. Default: the preset's (paper: paper; default:"
                    + " geometric).")
    private AugmentationPreset augment;

    @Option(names = "--weight-decay", paramLabel = "<wd>", defaultValue = "0.05",
            description = "AdamW weight decay (none on biases and norms). Default: ${DEFAULT-VALUE}.")
    private double weightDecay;

    @Option(names = "--clip-grad", paramLabel = "<norm>", defaultValue = "1.0",
            description = "Global gradient-norm limit, 0 for none. Default: ${DEFAULT-VALUE}.")
    private double clipGrad;

    @Option(names = "--checkpoint-every", paramLabel = "<steps>", defaultValue = "500",
            description = "Write the resumable last/ checkpoint every this many steps (and at every epoch end)."
                    + " Default: ${DEFAULT-VALUE}.")
    private int checkpointEvery;

    @Option(names = "--val-steps", paramLabel = "<n>",
            description = "DDIM steps of validation predictions. Default: the preset's.")
    private Integer valSteps;

    @Option(names = "--val-ensemble", paramLabel = "<n>",
            description = "Chains of validation predictions. Default: the preset's.")
    private Integer valEnsemble;

    @Option(names = "--time-limit", paramLabel = "<minutes>",
            description = "Stop (resumably) at the first step boundary after this many minutes.")
    private Double timeLimit;

    @Option(names = "--vae", paramLabel = "<path>",
            description = "Trained LightVAE: train-vae's folder or light_vae.safetensors, the release's"
                    + " light_vae_weights.pth, or a DiffIML checkpoint, or hf:OWNER/REPO[@REV][:FILE] on the Hugging"
                    + " Face Hub. Without it stage 1 runs first.")
    private Path vae;

    @Option(names = "--vae-epochs", paramLabel = "<n>",
            description = "Stage-1 epochs when no --vae is given. Default: the preset's.")
    private Integer vaeEpochs;

    @Option(names = "--encoder-weights", paramLabel = "<path>",
            description = "ImageNet Mix Transformer weights (HuggingFace nvidia/mit-b* or NVlabs mit_b*.pth): a file,"
                    + " or hf:OWNER/REPO[@REV][:FILE] from the Hugging Face Hub (e.g. hf:nvidia/mit-b3)."
                    + " Without them the encoder starts from random initialisation (a warning).")
    private Path encoderWeights;

    @Option(names = "--noise-stem", paramLabel = "none|srm|srm+bayar",
            description = "Forensic noise stem of the encoder: fixed SRM residuals and their log local energy (srm),"
                    + " plus a Bayar-constrained learnable conv (srm+bayar), or none (the paper)."
                    + " Default: the preset's (default srm, paper none).")
    private String noiseStem;

    @Option(names = "--aux-weight", paramLabel = "<w>",
            description = "Weight of the auxiliary segmentation loss (weighted BCE + Dice) on the condition"
                    + " feature (diffusion head); 0 turns the auxiliary head off. Default: the preset's (default 5,"
                    + " paper 0).")
    private Float auxWeight;

    @Option(names = "--pos-weight", paramLabel = "auto|<w>|paper",
            description = "BCE weight of tampered pixels in the auxiliary loss and the discriminative baseline:"
                    + " auto = (1 - share) / share of the training masks (at most 10), a number, or paper (plain BCE,"
                    + " Dice over all images). Default: the preset's (default auto, paper paper).")
    private String posWeight;

    @Option(names = "--aux-anchor", negatable = true,
            description = "The x0-prediction is the UNet's output plus the latent of the auxiliary head's map, so the"
                    + " sampled mask follows the image from the first steps and the UNet learns the correction"
                    + " (diffusion head; needs --aux-weight > 0). Default: the preset's (default on, paper off).")
    private Boolean auxAnchor;

    @Option(names = "--anchor-form", paramLabel = "residual|gated",
            description = "How the anchored x0-prediction is formed: residual (x0 = A + UNet(y_t - sqrt(abar_t) A):"
                    + " the UNet denoises the residual from the anchor A) or gated (x0 = A + sqrt(abar_t) UNet(y_t))."
                    + " Default: the preset's (default residual).")
    private String anchorForm;

    @Option(names = "--aux-detail", negatable = true,
            description = "The auxiliary head (and so the anchor) also reads the noise stem's full-resolution"
                    + " features, not only the 1/8-resolution condition feature (needs a noise stem and"
                    + " --aux-weight > 0). Default: the preset's (default on, paper off).")
    private Boolean auxDetail;

    @Option(names = "--weighted-latents", negatable = true,
            description = "Weigh the mask-latent MSE by tampered pixels as the BCE weighs them (--pos-weight), so"
                    + " under weak evidence the prediction does not settle on the background latent (diffusion head)."
                    + " Default: the preset's (default on, paper off).")
    private Boolean weightedLatents;

    @Option(names = "--pixel-weight", paramLabel = "<w>",
            description = "Weight of a segmentation loss (as the auxiliary head's) on the decoded x0-prediction, next"
                    + " to the latent MSE; 0: none (diffusion head). Default: the preset's (default 1, paper 0).")
    private Float pixelWeight;

    @Option(names = "--guess-share", paramLabel = "<p>",
            description = "Share of training samples (0..1) whose noisy latent is built around the model's own first"
                    + " DDIM guess instead of the clean latent, so the UNet learns to correct the chain's guesses"
                    + " rather than to read noise as evidence (diffusion head; needs --aux-anchor). Default: the"
                    + " preset's (default 1, paper 0).")
    private Float guessShare;

    @Option(names = "--detach-condition", negatable = true,
            description = "Stop the diffusion objective's gradient at the condition feature: the encoder learns"
                    + " from the auxiliary loss alone, the UNet learns to read what it gives (diffusion head; needs"
                    + " --aux-weight > 0). Default: the preset's (default on, paper off).")
    private Boolean detachCondition;

    @Option(names = "--aux-fine", negatable = true,
            description = "The auxiliary head (and so the anchor) adds a read-out of the encoder's stages at 1/4"
                    + " resolution, as SegFormer's decoder has it, to its read-out of the 1/8 condition feature"
                    + " (diffusion head; needs --aux-weight > 0). Default: the preset's (default on, paper off).")
    private Boolean auxFine;

    @Option(names = "--aux-fine-convs", paramLabel = "<n>",
            description = "3x3 conv + BatchNorm + ReLU layers (0.." + ModelConfig.MAX_AUX_FINE_CONVS + ") of the"
                    + " read-out at 1/4 (--aux-fine). Default: the preset's (default 1, paper: no read-out).")
    private Integer auxFineConvs;

    @Option(names = "--train-crop", paramLabel = "<px>",
            description = "Train on random <px> x <px> windows of the resized images (a multiple of 32, at most"
                    + " --resolution; 0: whole images); validation and prediction see whole images. A window keeps"
                    + " the pixels' traces at the model's scale and costs (px / resolution)^2 of a step; measured"
                    + " worse than whole images in the same time (README). Default: 0.")
    private Integer trainCrop;

    @Option(names = "--seg-weight", paramLabel = "<lambda>",
            description = "Mask-latent share of the diffusion objective (the edge latent gets 1 - lambda)."
                    + " Default: the preset's (default 0.5, paper 0.2).")
    private Float segWeight;

    @Option(names = "--lr-floor", paramLabel = "<fraction>",
            description = "The cosine decays to this fraction of the peak learning rate. Default: the preset's"
                    + " (default 0.1, paper 0).")
    private Double lrFloor;

    @Option(names = "--lr-scale", paramLabel = "<part>=<x>", split = ",",
            description = "Learning-rate multiple of a model part (encoder, head, unet), e.g. --lr-scale unet=2."
                    + " Default: 1 for every part.")
    private java.util.Map<String, Double> lrScales;

    @Option(names = "--vae-lr", paramLabel = "<lr>",
            description = "Stage-1 (LightVAE) learning rate. Default: the preset's (default 1e-3, paper 1e-4).")
    private Double vaeLr;

    @Option(names = "--val-subset", paramLabel = "<images>",
            description = "Validation images scored at each epoch end (0: all); the run's end scores all."
                    + " Default: the preset's (default 64, paper 0).")
    private Integer valSubset;

    @Option(names = "--prior-rate", paramLabel = "<gamma>",
            description = "Error-prior gamma: training noises y0 + gamma xi (the sampling chain's own error)."
                    + " Default: 0.1 (the method's).")
    private Float priorRate;

    @Option(names = "--aux-warmup-epochs", paramLabel = "<n>",
            description = "DiffIML: the first n epochs train the encoder and its auxiliary head alone (1.3 times"
                    + " the steps per second at 2 threads with the default preset); the diffusion objective and the"
                    + " UNet start after them. Default: the preset's share of --epochs (default preset 6.5/7, rounded"
                    + " to whole steps; paper preset none).")
    private Double auxWarmupEpochs;

    @Option(names = "--resume", paramLabel = "<run dir>",
            description = "Continue the run in this folder from its last/ checkpoint, with its config.json.")
    private Path resume;

    @Spec
    private CommandSpec spec;

    private final DataSources sources;

    public TrainCommand() {
        this(DataSources.LOADER);
    }

    /** With the given dataset readers (tests, or a build that wires its own). */
    public TrainCommand(DataSources sources) {
        this.sources = sources;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            threads.apply();
            HostHeap.keepFreedMemory();
            Device dev = device.resolve();
            if (resume == null && modelName.equals("diffforensics")) {
                return newDiffForensicsRun(dev);
            }
            if (resume == null && modelName.equals("segformer")) {
                if (spec.commandLine().getParseResult().hasMatchedOption("--head") && !head.equals("discriminative")) {
                    throw new IllegalArgumentException("--model segformer is the discriminative head: drop --head "
                            + head);
                }
                head = "discriminative";
            }
            if (resume == null) {
                List<String> foreign = matched(DIFFFORENSICS_OPTIONS);
                if (!foreign.isEmpty()) {
                    throw new IllegalArgumentException(String.join(", ", foreign) + " belong to --model"
                            + " diffforensics");
                }
            }
            return resume != null ? resumeRun(dev) : newRun(dev);
        } catch (IllegalArgumentException | IOException e) {
            return Main.fail(err, e.getMessage(), Main.EXIT_USAGE);
        } catch (IllegalStateException e) {
            return Main.fail(err, e.getMessage(), 1);
        }
    }

    private int newRun(Device dev) throws IOException {
        TrainingRanges.check(lr, batch, resolution, epochs);
        String v = variant != null ? variant : preset.variant;
        int res = resolution != null ? resolution : preset.resolution;
        boolean diffusion = head.equals("diffusion");
        TrainPreset.Learnability l = preset.learnability;
        String stem = NoiseStemOption.parse(noiseStem != null ? noiseStem : l.noiseStem());
        float aux = auxWeight != null ? auxWeight : l.auxWeight();
        float lambda = segWeight != null ? segWeight : l.segWeight();
        String pos = posWeight != null ? posWeight : (l.fairLoss() ? "auto" : "paper");
        Float fixedPos = parsePosWeight(pos);
        if (!(aux >= 0) || !Float.isFinite(aux)) {
            throw new IllegalArgumentException("--aux-weight must be >= 0, got " + aux);
        }
        if (!diffusion && (auxWeight != null || segWeight != null || auxAnchor != null || anchorForm != null
                || auxDetail != null || weightedLatents != null || pixelWeight != null || auxWarmupEpochs != null
                || priorRate != null || guessShare != null
                || detachCondition != null || auxFine != null || auxFineConvs != null || unetWidth != null
                || stemWidth != null)) {
            throw new IllegalArgumentException("--aux-weight, --seg-weight, --aux-anchor, --anchor-form,"
                    + " --aux-detail, --weighted-latents, --pixel-weight, --guess-share, --detach-condition,"
                    + " --aux-fine, --aux-fine-convs, --unet-width, --stem-width, --aux-warmup-epochs and --prior-rate"
                    + " belong to the diffusion head");
        }
        if (stemWidth != null && (stemWidth < 1 || stemWidth > NoiseStem.MAX_WIDTH)) {
            throw new IllegalArgumentException("--stem-width must be in [1, " + NoiseStem.MAX_WIDTH + "], got "
                    + stemWidth);
        }
        if (stemWidth != null && stem.equals("none")) {
            throw new IllegalArgumentException("--stem-width needs a noise stem (--noise-stem srm or srm+bayar)");
        }
        int width = unetWidth != null ? unetWidth : preset.unetWidth;
        if (width < 32 || width > 512 || width % 32 != 0) {
            throw new IllegalArgumentException("--unet-width must be a multiple of 32 from 32 to 512, got " + width);
        }
        if (priorRate != null && !(priorRate >= 0 && priorRate <= 10)) {
            throw new IllegalArgumentException("--prior-rate must be in [0, 10], got " + priorRate);
        }
        if (auxWarmupEpochs != null && auxWarmupEpochs > 0 && !(aux > 0)) {
            throw new IllegalArgumentException("--aux-warmup-epochs needs the auxiliary head: --aux-weight > 0");
        }
        boolean anchored = (auxAnchor != null ? auxAnchor : l.auxAnchor()) && aux > 0;
        if (auxAnchor != null && auxAnchor && !(aux > 0)) {
            throw new IllegalArgumentException("--aux-anchor needs the auxiliary head: --aux-weight > 0");
        }
        AnchorForm form = AnchorForm.parse(anchorForm != null ? anchorForm : l.anchorForm());
        boolean detail = (auxDetail != null ? auxDetail : l.auxDetail()) && aux > 0 && !stem.equals("none");
        if (auxDetail != null && auxDetail && (!(aux > 0) || stem.equals("none"))) {
            throw new IllegalArgumentException("--aux-detail needs the auxiliary head (--aux-weight > 0) and a noise"
                    + " stem (--noise-stem srm or srm+bayar)");
        }
        // Like the anchor itself, the preset's guesses fall away without an anchor; only an asked-for share is refused.
        float guesses = guessShare != null ? guessShare : anchored ? l.guessShare() : 0f;
        if (!(guesses >= 0 && guesses <= 1)) {
            throw new IllegalArgumentException("--guess-share must be in [0, 1], got " + guesses);
        }
        if (guesses > 0 && !anchored) {
            throw new IllegalArgumentException("--guess-share needs --aux-anchor (the guess is formed around the"
                    + " anchor)");
        }
        boolean detached = diffusion && (detachCondition != null ? detachCondition : l.detachCondition()) && aux > 0;
        if (detachCondition != null && detachCondition && !(aux > 0)) {
            throw new IllegalArgumentException("--detach-condition needs the auxiliary head (--aux-weight > 0): the"
                    + " encoder would not learn at all");
        }
        boolean fine = diffusion && (auxFine != null ? auxFine : l.auxFine()) && aux > 0;
        if (auxFine != null && auxFine && !(aux > 0)) {
            throw new IllegalArgumentException("--aux-fine needs the auxiliary head (--aux-weight > 0)");
        }
        if (auxFineConvs != null && (auxFineConvs < 0 || auxFineConvs > ModelConfig.MAX_AUX_FINE_CONVS)) {
            throw new IllegalArgumentException("--aux-fine-convs must be in [0, " + ModelConfig.MAX_AUX_FINE_CONVS
                    + "], got " + auxFineConvs);
        }
        if (auxFineConvs != null && auxFineConvs > 0 && !fine) {
            throw new IllegalArgumentException("--aux-fine-convs needs the read-out at 1/4 (--aux-fine)");
        }
        int fineConvs = fine ? (auxFineConvs != null ? auxFineConvs : l.auxFineConvs()) : 0;
        boolean weighted = diffusion && (weightedLatents != null ? weightedLatents : l.weightedLatents());
        float pixel = pixelWeight != null ? pixelWeight : l.pixelWeight();
        if (!(pixel >= 0) || !Float.isFinite(pixel)) {
            throw new IllegalArgumentException("--pixel-weight must be >= 0, got " + pixel);
        }
        if ((weighted || pixel > 0) && pos.equals("paper")) {
            throw new IllegalArgumentException("--weighted-latents and --pixel-weight weigh by --pos-weight: give auto"
                    + " or a number");
        }
        if (aux > 0 && pos.equals("paper")) {
            throw new IllegalArgumentException("--pos-weight paper is the discriminative baseline's paper loss; the"
                    + " auxiliary head needs auto or a number");
        }
        ModelConfig paperModel = ModelConfig.paper();
        ModelConfig model = diffusion ? paperModel.withVariant(v).withResolution(res).withUnetChannels(width)
                .withTraining(stem, aux, fixedPos == null ? 1f : fixedPos, lambda, l.clipSample())
                .withAnchor(anchored, form, detail).withWeightedLatents(weighted).withPixelWeight(pixel)
                .withGuessShare(guesses).withDetachedCondition(detached).withAuxFine(fine).withAuxFineConvs(fineConvs)
                .withStemWidth(stemWidth != null ? stemWidth : l.stemWidth())
                .withPriorRate(priorRate != null ? priorRate : paperModel.priorRate()) : null;
        SegFormer.Config seg = diffusion ? null : SegFormer.Config.of(v, res).withNoiseStem(stem);
        double stage1Lr = vaeLr != null ? vaeLr : l.vaeLr();
        if (!(stage1Lr > 0) || !Double.isFinite(stage1Lr)) {
            throw new IllegalArgumentException("--vae-lr must be > 0, got " + stage1Lr);
        }
        Path teacher = runOptions.teacher;
        long seed = runOptions.seed;
        int b = batch != null ? batch : preset.batch;
        if (b < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + b);
        }
        int runEpochs = epochs != null ? epochs : preset.epochs;
        int crop = trainCrop != null ? trainCrop : 0;
        if (crop != 0 && (crop < 32 || crop % 32 != 0 || crop > res)) {
            throw new IllegalArgumentException("--train-crop must be 0 or a multiple of 32 from 32 to the resolution ("
                    + res + "), got " + crop);
        }
        TrainSettings settings = new TrainSettings(runEpochs,
                lr != null ? lr : preset.lr, warmupEpochs != null ? warmupEpochs : preset.warmupEpochs,
                weightDecay, clipGrad, seed, checkpointEvery, valSteps != null ? valSteps : preset.valSteps,
                valEnsemble != null ? valEnsemble : preset.valEnsemble, timeLimitSeconds(),
                lrFloor != null ? lrFloor : l.lrFloor(), lrScales, valSubset != null ? valSubset : l.valSubset(),
                diffusion && aux > 0 ? (auxWarmupEpochs != null ? auxWarmupEpochs
                        : l.auxWarmupShare() * runEpochs) : 0.0, crop);
        int stage1Epochs = vaeEpochs != null ? vaeEpochs : preset.vaeEpochs;
        AugmentationPreset augmentation = augment != null ? augment : preset.augmentation;
        if (!diffusion && (vae != null || teacher != null || vaeEpochs != null || valSteps != null
                || valEnsemble != null)) {
            throw new IllegalArgumentException("--vae, --vae-epochs, --teacher, --val-steps and --val-ensemble"
                    + " belong to the diffusion head");
        }
        encoderWeights = HubFiles.local(encoderWeights, HubFiles.MODEL_WEIGHTS); // hf:OWNER/REPO[@REV][:FILE]
        teacher = HubFiles.local(teacher, HubFiles.DIFFUSERS_WEIGHTS);
        vae = HubFiles.local(vae, HubFiles.LIGHT_VAE_WEIGHTS);
        for (Path p : new Path[] {encoderWeights, teacher}) {
            if (p != null && !Files.exists(p)) {
                throw new IllegalArgumentException(p + ": no such file");
            }
        }
        // after every check above: no synthetic data is made for a run that cannot start
        Path data = runOptions.dataOrSynthetic(res, spec.commandLine().getOut());
        Path valData = runOptions.valData;
        boolean stage1 = diffusion && vae == null;
        PrintWriter o = spec.commandLine().getOut();
        DatasetSummary.printExisting(o, data, valData);
        String weightLine = null;
        Task task = null;
        try (BatchSource train = sources.training(data, res, b, seed, augmentation.settings(), crop);
                BatchSource val = valData == null ? null : sources.validation(valData, res, b)) {
            if (pos.equals("auto") && (aux > 0 || !diffusion || weighted || pixel > 0)) {
                double share = PixelShare.of(train, dev);
                fixedPos = SegmentationLoss.positiveWeight(share);
                // printed once the run folder is made: a run that is refused before says one line, on stderr
                weightLine = String.format(Locale.ROOT, "tampered pixels %.2f%% of the training masks: positive"
                        + " weight %.3f", 100 * share, fixedPos);
            }
            if (diffusion) {
                model = model.withTraining(stem, aux, fixedPos == null ? 1f : fixedPos, lambda, l.clipSample());
                if (!stage1 && l.calibrateLatents()) {
                    model = model.withLatentScale(VaeTrainer.latentScaleOf(vae));
                }
            } else if (fixedPos != null) {
                seg = seg.withPosWeight(fixedPos);
            }
            if (!stage1) { // weights are checked before a run folder is made
                task = diffusion ? DiffusionTask.create(model, dev, seed, encoderWeights, vae)
                        : DiscriminativeTask.create(seg, dev, seed, encoderWeights);
            }
            Path dir = runOptions.newRunFolder(head);
            RunFolder run = new RunFolder(dir);
            Path vaeUsed = stage1 ? dir.resolve("vae") : vae;
            RunConfig config = new RunConfig(RunConfig.FORMAT, Instant.now().toString(), head, preset.label(), model,
                    seg, settings, b, data.toString(), valData == null ? null : valData.toString(),
                    vaeUsed == null ? null : vaeUsed.toString(), stage1 ? stage1Epochs : 0,
                    teacher == null ? null : teacher.toString(),
                    encoderWeights == null ? null : encoderWeights.toString(), augmentation.label());
            config.write(run.config());
            o.println("run folder " + dir);
            if (weightLine != null) {
                o.println(weightLine);
            }
            o.flush();
            if (stage1) {
                VaeTrainer.Result r = TrainVaeCommand.stage1(train, val, model, seed,
                        new VaeTrainer.Settings(stage1Epochs, stage1Lr, 0.01), teacher, vaeUsed, dev);
                o.printf(Locale.ROOT, "stage 1    LightVAE %d steps in %.1f s: mask reconstruction pixel F1 %.4f;"
                        + " latent std %.4f, latent scale %.5f%n", r.steps(), r.seconds(), r.mask().f1(),
                        r.calibration().std(), r.latentScale());
                o.flush();
                if (l.calibrateLatents()) {
                    model = model.withLatentScale(r.latentScale());
                    config.withModel(model).write(run.config()); // the calibrated scale, for --resume and inference
                }
                task = DiffusionTask.create(model, dev, seed, encoderWeights, vaeUsed);
            }
            return train(task, settings, run, dev, train, val, Trainer.Start.fresh());
        } finally {
            if (task != null) {
                task.close();
            }
        }
    }

    /** Options of DiffForensics runs only. */
    private static final List<String> DIFFFORENSICS_OPTIONS = List.of("--stage", "--pretrained", "--pretrain-epochs",
            "--pretrain-batch", "--decoder-width");
    /** Options of DiffIML (and its baseline) that a DiffForensics run refuses. */
    private static final List<String> DIFFIML_OPTIONS = List.of("--head", "--vae", "--vae-epochs", "--teacher",
            "--aux-weight", "--aux-anchor", "--seg-weight", "--vae-lr", "--val-steps", "--val-ensemble", "--anchor-form",
            "--aux-detail", "--weighted-latents", "--pixel-weight", "--aux-warmup-epochs", "--prior-rate",
            "--guess-share", "--detach-condition", "--aux-fine", "--aux-fine-convs", "--unet-width", "--stem-width",
            "--train-crop");

    private List<String> matched(List<String> names) {
        return names.stream().filter(n -> spec.commandLine().getParseResult().hasMatchedOption(n)).toList();
    }

    private int newDiffForensicsRun(Device dev) throws IOException {
        List<String> foreign = matched(DIFFIML_OPTIONS);
        if (!foreign.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", foreign) + " belong to DiffIML, not to --model"
                    + " diffforensics");
        }
        if (stage != null && !List.of("pretrain", "finetune", "both").contains(stage)) {
            throw new IllegalArgumentException("--stage must be pretrain, finetune or both, got '" + stage + "'");
        }
        TrainingRanges.check(lr, batch, resolution, epochs);
        if ((pretrainBatch != null && pretrainBatch > TrainingRanges.MAX_BATCH)
                || (pretrainEpochs != null && pretrainEpochs > TrainingRanges.MAX_EPOCHS)) {
            throw new IllegalArgumentException("--pretrain-batch must be at most " + TrainingRanges.MAX_BATCH
                    + " and --pretrain-epochs at most " + TrainingRanges.MAX_EPOCHS + ", got " + pretrainBatch + " and "
                    + pretrainEpochs);
        }
        DiffForensicsTraining.Options o = new DiffForensicsTraining.Options(preset, stage, pretrained, variant,
                resolution, batch, pretrainBatch, epochs, pretrainEpochs, lr, warmupEpochs, augment, weightDecay,
                clipGrad, checkpointEvery, timeLimitSeconds(), encoderWeights, noiseStem, posWeight, lrFloor, lrScales,
                valSubset, decoderWidth);
        return new DiffForensicsTraining(sources, runOptions, spec.commandLine().getOut(),
                TrainCommand::runStoppable).newRun(o, dev);
    }

    private int resumeRun(Device dev) throws IOException {
        List<String> extra = spec.commandLine().getParseResult().matchedOptions().stream()
                .map(OptionSpec::longestName).filter(n -> !RESUME_OPTIONS.contains(n)).toList();
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("--resume continues a run with the settings in its "
                    + RunFolder.CONFIG + "; these cannot change: " + String.join(", ", extra)
                    + " (only --device, --threads and --time-limit can)");
        }
        RunFolder run = new RunFolder(resume);
        RunConfig c = RunConfig.read(run.config());
        DatasetSummary.printExisting(spec.commandLine().getOut(), Path.of(c.data()),
                c.valData() == null ? null : Path.of(c.valData()));
        if (c.diffforensics() != null) {
            return new DiffForensicsTraining(sources, runOptions, spec.commandLine().getOut(),
                    TrainCommand::runStoppable).resume(c, run, dev, timeLimitSeconds());
        }
        TrainSettings settings = c.train().withTimeLimit(timeLimitSeconds());
        boolean diffusion = c.model() != null;
        int res = diffusion ? c.model().resolution() : c.segformer().resolution();
        Trainer.Resumed r = diffusion ? DiffusionTask.resume(run.last(), dev, settings.seed())
                : DiscriminativeTask.resume(run.last(), dev, settings.seed());
        try (Task task = r.task();
                BatchSource train = sources.training(Path.of(c.data()), res, c.batch(), settings.seed(),
                        c.augmentationPreset().settings(), settings.trainCrop());
                BatchSource val = c.valData() == null ? null
                        : sources.validation(Path.of(c.valData()), res, c.batch())) {
            return train(task, settings, run, dev, train, val, r.start().from(run.last()));
        }
    }

    private long timeLimitSeconds() {
        if (timeLimit == null) {
            return 0;
        }
        if (!(timeLimit >= 0)) {
            throw new IllegalArgumentException("--time-limit must be >= 0 minutes, got " + timeLimit);
        }
        return timeLimit == 0 ? 0 : Math.max(1, Math.round(timeLimit * 60));
    }

    private int train(Task task, TrainSettings settings, RunFolder run, Device dev, BatchSource train,
            BatchSource val, Trainer.Start start) throws IOException {
        Trainer.Result r = runStoppable(new Trainer(task, train, val, settings, run, dev), start);
        report(r, train.batchesPerEpoch(), settings.epochs());
        return 0;
    }

    /** Runs the trainer with a Ctrl-C hook that asks it to stop and waits (up to 2 minutes) for last/. */
    private static Trainer.Result runStoppable(Trainer trainer, Trainer.Start start) throws IOException {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                done.await(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return trainer.run(start);
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the latch is open
            }
        }
    }

    private void report(Trainer.Result r, int perEpoch, int epochs) {
        PrintWriter o = spec.commandLine().getOut();
        RunFolder run = r.run();
        o.printf(Locale.ROOT, "steps      %d of %d (%d epochs x %d batches); this session %.1f s, %.2f images/s%n",
                r.steps(), (long) epochs * perEpoch, epochs, perEpoch, r.seconds(), r.imagesPerSecond());
        if (r.lastValidation() != null) {
            o.printf(Locale.ROOT, "val F1     %.4f (best %.4f at step %d): %s%n", r.lastValidation().f1(),
                    r.bestValF1(), r.bestStep(), r.lastValidation());
            o.printf(Locale.ROOT, "val AUC    %.4f (pixel AUC; F1 at the oracle threshold %.2f: %.4f, not the"
                    + " protocol's)%n", r.lastScores().auc(), r.lastScores().oracleThreshold(),
                    r.lastScores().oracleF1());
        }
        if (r.allTampered() != null) {
            o.printf(Locale.ROOT, "baselines  every pixel tampered F1 %.4f; centred prior F1 %.4f, AUC %.4f (same"
                    + " validation data: a model below these has learnt nothing)%n", r.allTampered().atHalf().f1(),
                    r.centredPrior().atHalf().f1(), r.centredPrior().auc());
        }
        o.println("checkpoint " + run.last() + (Double.isNaN(r.bestValF1()) ? "" : ", best: " + run.best()));
        o.println("metrics    " + run.metrics() + ", curves: " + run.curves());
        if (r.stopped()) {
            o.println("stopped    continue with: train --resume " + run.dir());
        }
        o.flush();
    }

    /** null for "auto" and "paper" (decided later), else the number (which must be > 0). */
    private static Float parsePosWeight(String v) {
        String s = v.toLowerCase(Locale.ROOT);
        if (s.equals("auto") || s.equals("paper")) {
            return null;
        }
        float w;
        try {
            w = Float.parseFloat(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--pos-weight must be auto, paper or a number > 0, got '" + v + "'");
        }
        if (!(w > 0) || !Float.isFinite(w)) {
            throw new IllegalArgumentException("--pos-weight must be > 0, got " + v);
        }
        return w;
    }

    /** Checks a --noise-stem value. */
    static final class NoiseStemOption {
        static String parse(String v) {
            return NoiseStem.Kind.parse(v).label;
        }
    }

    static final class PresetConverter implements ITypeConverter<TrainPreset> {
        @Override
        public TrainPreset convert(String value) {
            for (TrainPreset p : TrainPreset.values()) {
                if (p.label().equals(value.toLowerCase(Locale.ROOT))) {
                    return p;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a preset: expected default or paper");
        }
    }

    static final class AugmentConverter implements ITypeConverter<AugmentationPreset> {
        @Override
        public AugmentationPreset convert(String value) {
            try {
                return AugmentationPreset.of(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class ModelConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!List.of("diffiml", "segformer", "diffforensics").contains(v)) {
                throw new TypeConversionException("'" + value + "' is not a model: expected diffiml, segformer or"
                        + " diffforensics");
            }
            return v;
        }
    }

    static final class HeadConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("diffusion") && !v.equals("discriminative")) {
                throw new TypeConversionException("'" + value + "' is not a head: expected diffusion or"
                        + " discriminative");
            }
            return v;
        }
    }
}
