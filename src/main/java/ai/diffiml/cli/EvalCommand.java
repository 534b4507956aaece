package ai.diffiml.cli;

import ai.diffiml.data.Dataset;
import ai.diffiml.data.DatasetException;
import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.Sample;
import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.EvalRun;
import ai.diffiml.eval.EvalSettings;
import ai.diffiml.eval.ImageResult;
import ai.diffiml.eval.LoadedPredictor;
import ai.diffiml.eval.LocalizerPredictor;
import ai.diffiml.eval.ScoringMode;
import ai.diffiml.eval.report.ReportWriter;
import ai.diffiml.eval.robustness.RobustnessSpec;
import ai.diffiml.localize.LocalizerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eval}: scores a trained model on one or more datasets with ground truth ({@link EvalRun}) and writes the
 * report ({@link ReportWriter}): the paper-style table (printed too), CSV and JSON, the per-image CSV, with
 * {@code --robustness} the scores under each attack and their plots, and a self-contained HTML report. Usage errors
 * (bad options, missing or unreadable datasets, an output folder in use, a model that cannot be loaded) are one line
 * on stderr and exit code 2, checked before any image is predicted. An image that cannot be read or predicted is
 * reported on stderr, skipped and counted in the report.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a trained model on datasets with ground truth: pixel F1 @0.5 (mean over tampered"
                + " images), precision, recall, IoU and pixel AUC; image-level AUC, accuracy and F1 @0.5 from the"
                + " image score, and MVSS-Net's image F1 (sensitivity/specificity); per dataset and on average.",
                "Writes table.md (also printed), table.csv, results.json, images.csv, report.html (self-contained)"
                        + " and, with --robustness, robustness.csv and one robustness-<attack>.png per attack."})
public final class EvalCommand implements Callable<Integer> {
    /** Opens the model an evaluation runs (the Localizer in the product; a fake in tests). */
    @FunctionalInterface
    interface ModelOpener {
        LoadedPredictor open(Path runOrCheckpoint, ModelRequest request) throws IOException;
    }

    /** The inference settings asked for on the command line. */
    record ModelRequest(String device, int steps, int ensemble, boolean tta, long seed, int batch) {}

    @Mixin
    private DeviceOption device;

    @Mixin
    private ThreadsOption threads;

    @Option(names = "--run", paramLabel = "<dir>", description = "Training run folder: its best/ checkpoint, else"
            + " last/.")
    private Path run;

    @Option(names = "--checkpoint", paramLabel = "<dir>",
            description = "Checkpoint folder (DiffIML or discriminative SegFormer), instead of --run.")
    private Path checkpoint;

    @Option(names = "--data", paramLabel = "[<name>=]<path>", required = true,
            description = "Dataset with ground truth, repeatable: an IMDL-BenCo folder (Tp/, Gt/, optional Au/), a"
                    + " BenCo JSON list, an MVSS-Net list, or a folder of authentic images. <name>= sets its column"
                    + " name (default: the folder or list name).")
    private List<String> data;

    @Option(names = "--scoring", paramLabel = "resize|original", defaultValue = "resize",
            description = "resize: prediction and ground truth at the model resolution (512x512 for the paper's"
                    + " model; IMDL-BenCo's, the paper's); original: the map resized back to the mask's size"
                    + " (MVSS-Net's). Default: ${DEFAULT-VALUE}.")
    private String scoringName;

    @Option(names = "--steps", paramLabel = "<n>", defaultValue = "8",
            description = "DDIM sampling steps. Default: ${DEFAULT-VALUE}.")
    private int steps;

    @Option(names = "--ensemble", paramLabel = "<n>", defaultValue = "5",
            description = "Ensemble members (chains averaged in latent space). Default: ${DEFAULT-VALUE}.")
    private int ensemble;

    @Option(names = "--tta", description = "Flip test-time augmentation.")
    private boolean tta;

    @Option(names = "--seed", paramLabel = "<n>", defaultValue = "0",
            description = "Seed of the sampling noise and of the noise attack. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--batch", paramLabel = "<n>", defaultValue = "1",
            description = "Images per model call (uses a GPU better; can change the last bits of a map)."
                    + " Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--robustness", paramLabel = "<spec>",
            description = "Also evaluate under attacks, e.g. jpeg:50..100,blur:3..23,noise:3..23: kind:a, kind:a..b"
                    + " (default steps: jpeg quality 10, blur kernel 4, noise variance 4) or kind:a..b/step.")
    private String robustnessSpec;

    @Option(names = "--out", paramLabel = "<dir>",
            description = "Report folder; must not exist or be empty. Default: eval-<date>-<time> in the run folder"
                    + " (beside the checkpoint folder with --checkpoint).")
    private Path out;

    @Option(names = "--limit", paramLabel = "<n>", description = "Only the first n images of each dataset.")
    private Integer limit;

    @Option(names = "--gallery", paramLabel = "<n>", defaultValue = "4",
            description = "Best and worst images of each dataset shown in the HTML report. Default: ${DEFAULT-VALUE}.")
    private int gallery;

    @Spec
    private CommandSpec spec;

    private final ModelOpener opener;

    public EvalCommand() {
        this((model, r) -> LocalizerPredictor.open(model, LocalizerOptions.builder().device(r.device())
                .steps(r.steps()).ensemble(r.ensemble()).flipTta(r.tta()).seed(r.seed()).batch(r.batch()).build()));
    }

    EvalCommand(ModelOpener opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        List<EvalRun.Input> inputs;
        Path model;
        Path target;
        ScoringMode scoring;
        RobustnessSpec robustness;
        try {
            scoring = ScoringMode.parse(scoringName);
            robustness = robustnessSpec == null ? null : RobustnessSpec.parse(robustnessSpec);
            model = checkModelOptions();
            threads.apply();
            inputs = datasets();
            target = out != null ? out : defaultOut(model);
            ReportWriter.checkTarget(target);
        } catch (IllegalArgumentException | IOException e) {
            return Main.fail(err, e.getMessage(), Main.EXIT_USAGE);
        }
        String date = Instant.now().toString();
        EvalReport report;
        try (LoadedPredictor predictor = open(model)) {
            if (predictor == null) {
                return Main.EXIT_USAGE; // the reason is printed
            }
            EvalSettings settings = new EvalSettings(predictor.checkpoint().toString(), predictor.description(),
                    predictor.samples() ? steps : null, predictor.samples() ? ensemble : null, tta, seed,
                    predictor.device(), scoring, predictor.resolution(), date, batch, limit, robustness);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println("model      " + predictor.description() + " on " + predictor.device() + " ("
                    + predictor.checkpoint() + ")");
            stdout.println("scoring    " + scoring.describe(predictor.resolution()));
            stdout.flush();
            try (Progress progress = new Progress(err)) {
                report = new EvalRun(predictor, settings, gallery, 160).run(inputs, progress);
            }
        }
        try {
            ReportWriter.write(report, target);
        } catch (IOException e) {
            return Main.fail(err, "cannot write the report: " + e.getMessage(), Main.EXIT_USAGE);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println();
        stdout.print(ReportWriter.markdown(report));
        stdout.println();
        int failed = report.failedImages();
        stdout.println(String.format(Locale.ROOT, "%d images in %.1f s%s; report: %s", report.clean().stream()
                .mapToInt(r -> r.images().size()).sum(), report.seconds(), failed == 0 ? ""
                        : ", " + failed + " failed and skipped (see images.csv)", target.resolve(
                                ReportWriter.REPORT_HTML)));
        stdout.flush();
        return 0;
    }

    /** The model folder; exactly one of --run and --checkpoint, and sane numbers. */
    private Path checkModelOptions() {
        if ((run == null) == (checkpoint == null)) {
            throw new IllegalArgumentException(run == null
                    ? "give the model: --run <training run folder> or --checkpoint <dir>"
                    : "give either --run or --checkpoint, not both");
        }
        Path model = run != null ? run : checkpoint;
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException(model + ": " + (Files.exists(model) ? "not a folder"
                    : "no such folder"));
        }
        require(steps >= 1, "--steps must be >= 1, got " + steps);
        require(ensemble >= 1, "--ensemble must be >= 1, got " + ensemble);
        require(batch >= 1, "--batch must be >= 1, got " + batch);
        require(limit == null || limit >= 1, "--limit must be >= 1, got " + limit);
        require(gallery >= 0, "--gallery must be >= 0, got " + gallery);
        return model;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The model, or null when it cannot be loaded (the reason printed as a usage error). */
    private LoadedPredictor open(Path model) {
        try {
            return opener.open(model, new ModelRequest(device.choice(), steps, ensemble, tta, seed, batch));
        } catch (IOException | IllegalArgumentException e) {
            Main.fail(spec.commandLine().getErr(), e.getMessage(), Main.EXIT_USAGE);
            return null;
        }
    }

    /** The datasets of --data, named, limited; names must be distinct. */
    private List<EvalRun.Input> datasets() throws DatasetException {
        List<EvalRun.Input> inputs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String value : data) {
            String name = null;
            Path path = Path.of(value);
            int eq = value.indexOf('=');
            if (eq > 0 && !Files.exists(path)) {
                String left = value.substring(0, eq);
                if (!left.contains("/") && !left.contains("\\")) {
                    name = left.strip();
                    path = Path.of(value.substring(eq + 1));
                    require(!name.isEmpty(), "--data " + value + ": the name before '=' is empty");
                }
            }
            Dataset d = DatasetReaders.open(path);
            name = name != null ? name : d.name();
            require(names.add(name), "two datasets are called '" + name + "': name them with --data <name>=<path>");
            List<Sample> samples = limit == null || d.size() <= limit ? d.samples() : d.samples().subList(0, limit);
            inputs.add(new EvalRun.Input(name, samples));
        }
        return inputs;
    }

    /** eval-<date>-<time> in the run folder, or beside the checkpoint folder. */
    private Path defaultOut(Path model) {
        Path base = run != null ? run : model.toAbsolutePath().normalize().getParent();
        return base.resolve("eval-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /** A progress bar per pass on stderr; failed images are reported above it. */
    private static final class Progress implements EvalRun.Listener, AutoCloseable {
        private final PrintWriter err;
        private ProgressBar bar;

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void started(String condition, String dataset, int images) {
            close();
            bar = new ProgressBarBuilder().setTaskName(dataset + " [" + condition + "]").setInitialMax(images)
                    .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).showSpeed()
                    .setConsumer(new DelegatingProgressBarConsumer(line -> {
                        err.print('\r' + line);
                        err.flush();
                    }, 100)).build();
        }

        @Override
        public void imageDone(int done, int total, ImageResult result) {
            if (!result.ok()) {
                err.print("\r\033[2K");
                err.println("skipped " + result.error());
                err.flush();
            }
            bar.stepTo(done);
        }

        @Override
        public void finished(DatasetResult result) {
            bar.setExtraMessage(String.format(Locale.ROOT, "pixel F1 %.4f", result.pixel().f1()));
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                err.println();
                err.flush();
                bar = null;
            }
        }
    }
}
