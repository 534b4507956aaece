package ai.diffiml.cli;

import ai.diffiml.data.Dataset;
import ai.diffiml.data.DatasetException;
import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.DatasetSummary;
import ai.diffiml.data.Sample;
import ai.diffiml.eval.DatasetResult;
import ai.diffiml.eval.EvalReport;
import ai.diffiml.eval.EvalRun;
import ai.diffiml.eval.EvalSettings;
import ai.diffiml.eval.ImageResult;
import ai.diffiml.eval.LoadedPredictor;
import ai.diffiml.eval.LocalizerPredictor;
import ai.diffiml.eval.ScoringMode;
import ai.diffiml.eval.report.ComparisonTable;
import ai.diffiml.eval.report.ReportWriter;
import ai.diffiml.eval.robustness.RobustnessSpec;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerOptions;
import ai.diffiml.train.RunFolder;
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
                        + " and, with --robustness, robustness.csv and one robustness-<attack>.png per attack."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:evaluated (images that could not be read or predicted are reported, skipped and counted"
                + " in the report)",
                "1:unexpected failure (stack trace)",
                "2:usage error: bad option, missing model or dataset, report folder in use (before any prediction)"})
public final class EvalCommand implements Callable<Integer> {
    /** Opens the model an evaluation runs (the Localizer in the product; a fake in tests). */
    @FunctionalInterface
    interface ModelOpener {
        LoadedPredictor open(Path checkpointFolder, LocalizerOptions options) throws IOException;
    }

    @Mixin
    private DeviceOption device;

    @Mixin
    private ThreadsOption threads;

    @Mixin
    private WeightsOption weights;

    @Option(names = "--data", paramLabel = "[<name>=]<path>", required = true,
            description = "Dataset with ground truth, repeatable: an IMDL-BenCo folder (Tp/, Gt/, optional Au/), a"
                    + " BenCo JSON list, an MVSS-Net list, a folder of images beside their masks (X.jpg and"
                    + " X_gt.png, X_mask.png ...), or a folder of authentic images. <name>= sets its column"
                    + " name (default: the folder or list name).")
    private List<String> data;

    @Option(names = "--scoring", paramLabel = "resize|original", defaultValue = "resize",
            description = "resize: prediction and ground truth at the model resolution (512x512 for the paper's"
                    + " model; IMDL-BenCo's, the paper's); original: the map resized back to the mask's size"
                    + " (MVSS-Net's). Default: ${DEFAULT-VALUE}.")
    private String scoringName;

    @Mixin
    private SamplingOptions sampling;

    @Option(names = "--batch", paramLabel = "<n>", defaultValue = "1",
            description = "Images per model call (uses a GPU better; can change the last bits of a map)."
                    + " Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--robustness", paramLabel = "<spec>",
            description = "Also evaluate under attacks, e.g. jpeg:50..100,blur:3..23,noise:3..23: kind:a, kind:a..b"
                    + " (default steps: jpeg quality 10, blur kernel 4, noise variance 4) or kind:a..b/step. The"
                    + " noise is drawn from --seed and the image.")
    private String robustnessSpec;

    @Option(names = "--out", paramLabel = "<dir>",
            description = "Report folder; must not exist or be empty. Default: eval-<date>-<time> beside the"
                    + " checkpoint folder (in the run folder with --run).")
    private Path out;

    @Option(names = "--compare", paramLabel = "<dir>",
            description = "Further trained models (run or checkpoint folders: DiffIML, SegFormer, DiffForensics),"
                    + " repeatable: each is scored on the same data with the same settings, its report written to"
                    + " <out>/<k>-<name>/, and comparison.md (also printed) puts them side by side.")
    private List<Path> compare;

    @Option(names = "--limit", paramLabel = "<n>", description = "Only the first n images of each dataset.")
    private Integer limit;

    @Option(names = "--gallery", paramLabel = "<n>", defaultValue = "4",
            description = "Best and worst images of each dataset shown in the HTML report. Default: ${DEFAULT-VALUE}.")
    private int gallery;

    @Spec
    private CommandSpec spec;

    /** Longest side of the gallery thumbnails in pixels. */
    private static final int THUMBNAIL_SIDE = 160;

    private final ModelOpener opener;
    private final List<DatasetSummary> summaries = new ArrayList<>();

    public EvalCommand() {
        this(LocalizerPredictor::open);
    }

    EvalCommand(ModelOpener opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        ScoringMode scoring;
        RobustnessSpec robustness;
        LocalizerOptions options;
        Path model;
        List<Path> others = new ArrayList<>();
        List<EvalRun.Input> inputs;
        Path target;
        try {
            if (!weights.given()) {
                throw new IllegalArgumentException("give the model: --run <training run folder> or --checkpoint"
                        + " <dir>");
            }
            scoring = ScoringMode.parse(scoringName);
            robustness = robustnessSpec == null ? null : RobustnessSpec.parse(robustnessSpec);
            options = sampling.applyTo(LocalizerOptions.builder().device(device.choice())).batch(batch).build();
            require(limit == null || limit >= 1, "--limit must be >= 1, got " + limit);
            require(gallery >= 0, "--gallery must be >= 0, got " + gallery);
            threads.apply();
            HostHeap.keepFreedMemory();
            model = weights.checkpointFolder();
            for (Path p : compare == null ? List.<Path>of() : compare) {
                others.add(Localizer.checkpointFolder(p));
            }
            inputs = datasets();
            target = out != null ? out : defaultOut(model);
            ReportWriter.checkTarget(target);
        } catch (IllegalArgumentException | IOException e) {
            return usageError(e.getMessage());
        }
        if (!others.isEmpty()) {
            List<Path> models = new ArrayList<>(List.of(model));
            models.addAll(others);
            return compareModels(models, options, scoring, robustness, inputs, target);
        }
        String date = Instant.now().toString();
        EvalReport report;
        LoadedPredictor loaded;
        try {
            loaded = opener.open(model, options);
        } catch (IllegalArgumentException | IOException e) {
            return usageError(e.getMessage());
        }
        try (LoadedPredictor predictor = loaded) {
            boolean samples = predictor.samples();
            EvalSettings settings = new EvalSettings(predictor.checkpoint().toString(), predictor.description(),
                    samples ? options.steps() : null, samples ? options.ensemble() : null, options.flipTta(),
                    options.seed(), predictor.device(), scoring, predictor.resolution(), date, options.batch(), limit,
                    robustness);
            PrintWriter stdout = spec.commandLine().getOut();
            summaries.forEach(summary -> summary.print(stdout)); // what was read, before any image is predicted
            stdout.println("model      " + predictor.description() + " on " + predictor.device() + " ("
                    + predictor.checkpoint() + ")");
            stdout.println("scoring    " + scoring.describe(predictor.resolution()));
            stdout.flush();
            try (Progress progress = new Progress(err)) {
                report = new EvalRun(predictor, settings, gallery, THUMBNAIL_SIDE).run(inputs, progress);
            }
        }
        try {
            ReportWriter.write(report, target);
        } catch (IOException e) {
            return usageError("cannot write the report: " + e.getMessage());
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

    /**
     * {@code --compare}: every model in turn, loaded when its turn comes (so only one is in memory), its report in
     * {@code target/<k>-<name>/}; then the side-by-side table, printed and written as {@code comparison.md}. A model
     * that cannot be loaded is a usage error naming it (models before it keep their reports).
     */
    private int compareModels(List<Path> models, LocalizerOptions options, ScoringMode scoring,
            RobustnessSpec robustness, List<EvalRun.Input> inputs, Path target) throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        summaries.forEach(summary -> summary.print(stdout));
        List<ComparisonTable.Entry> entries = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < models.size(); k++) {
            Path checkpoint = models.get(k);
            String name = (k + 1) + "-" + modelName(checkpoint);
            names.add(name);
            LoadedPredictor loaded;
            try {
                loaded = opener.open(checkpoint, options);
            } catch (IllegalArgumentException | IOException e) {
                return usageError(checkpoint + ": " + e.getMessage());
            }
            EvalReport report;
            String imageScore;
            try (LoadedPredictor predictor = loaded) {
                boolean samples = predictor.samples();
                EvalSettings settings = new EvalSettings(predictor.checkpoint().toString(), predictor.description(),
                        samples ? options.steps() : null, samples ? options.ensemble() : null, options.flipTta(),
                        options.seed(), predictor.device(), scoring, predictor.resolution(), Instant.now().toString(),
                        options.batch(), limit, robustness);
                stdout.println("model " + name + ": " + predictor.description() + " on " + predictor.device() + " ("
                        + predictor.checkpoint() + "); image score: " + predictor.imageScoreSource());
                stdout.flush();
                imageScore = predictor.imageScoreSource();
                try (Progress progress = new Progress(err)) {
                    report = new EvalRun(predictor, settings, gallery, THUMBNAIL_SIDE).run(inputs, progress);
                }
            }
            try {
                ReportWriter.write(report, target.resolve(name));
            } catch (IOException e) {
                return usageError("cannot write the report: " + e.getMessage());
            }
            entries.add(new ComparisonTable.Entry(name, report, imageScore));
        }
        String table = new ComparisonTable(entries).markdown();
        Files.writeString(target.resolve(COMPARISON_FILE), table);
        stdout.println();
        stdout.print(table);
        stdout.println();
        stdout.println("reports: " + String.join(", ", names.stream().map(n -> target.resolve(n).toString())
                .toList()) + "; table: " + target.resolve(COMPARISON_FILE));
        stdout.flush();
        return 0;
    }

    /** The side-by-side table of {@code --compare}. */
    static final String COMPARISON_FILE = "comparison.md";

    /** A short name of a checkpoint folder: its run folder's name for a run's best/ or last/, else its own. */
    private static String modelName(Path checkpoint) {
        Path abs = checkpoint.toAbsolutePath().normalize();
        String own = abs.getFileName().toString();
        boolean inRun = (own.equals(RunFolder.BEST) || own.equals(RunFolder.LAST)) && abs.getParent() != null
                && Files.isRegularFile(abs.getParent().resolve(RunFolder.CONFIG));
        return (inRun ? abs.getParent().getFileName().toString() : own).replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private int usageError(String message) {
        return Main.fail(spec.commandLine().getErr(), message.replaceFirst("^localizer options: ", ""),
                Main.EXIT_USAGE);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The datasets of --data, named, limited, each summarised into {@link #summaries}; names must be distinct. */
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
            summaries.add(DatasetSummary.of(path, d)); // printed once every usage check has passed
            name = name != null ? name : d.name();
            require(names.add(name), "two datasets are called '" + name + "': name them with --data <name>=<path>");
            List<Sample> samples = limit == null || d.size() <= limit ? d.samples() : d.samples().subList(0, limit);
            inputs.add(new EvalRun.Input(name, samples));
        }
        return inputs;
    }

    /** eval-<date>-<time> beside the checkpoint folder: in the run folder for a run's best/ or last/. */
    private static Path defaultOut(Path checkpointFolder) {
        Path parent = checkpointFolder.toAbsolutePath().normalize().getParent();
        return parent.resolve("eval-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
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
