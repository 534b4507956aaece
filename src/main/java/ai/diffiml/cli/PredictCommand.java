package ai.diffiml.cli;

import ai.diffiml.data.ImageFiles;
import ai.diffiml.data.UnreadableImageException;
import ai.diffiml.io.AtomicFiles;
import ai.diffiml.localize.InferenceMode;
import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerInput;
import ai.diffiml.localize.MapMemory;
import ai.diffiml.localize.LocalizerOptions;
import ai.diffiml.localize.StageTimings;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code predict}: tampering maps for images with a trained model ({@link Localizer}). Per image, at its original
 * size: {@code <name>_prob.png} (probability as 8-bit grey), {@code <name>_mask.png} (0/255 at the threshold),
 * {@code <name>_uncertainty.png} (spread of the ensemble members, grey = min(1, 2 std)), {@code <name>_overlay.png}
 * (heatmap over the photo), and one JSON line in {@value #PREDICTIONS}. Every file is written atomically.
 * Unreadable images are reported (path and reason) and skipped; the exit code is then {@value #EXIT_SOME_FAILED}.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Localize manipulations: for every image, at its original size, write <name>_prob.png"
                + " (tampering probability, 8-bit grey), <name>_mask.png (probability > threshold, 0/255),"
                + " <name>_uncertainty.png (per-pixel std of the ensemble members, grey = min(1, 2 std)) and"
                + " <name>_overlay.png (heatmap over the photo), plus one JSON line per image in predictions.jsonl"
                + " (path, score max/mean, timings, settings). No ground truth needed.",
                "Inputs: image files, folders (images directly inside, or an IMDL-BenCo folder's Tp/ and Au/),"
                        + " globs ('photos/*.jpg', 'data/**.png'), MVSS-Net lists (.txt) or BenCo JSON lists."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every image was predicted (or skipped as already done)",
                "1:unexpected failure (stack trace)",
                "2:usage error: bad option, missing model or input, outputs in the way",
                "3:some images could not be read or their outputs written (each reported on stderr, skipped)"})
public final class PredictCommand implements Callable<Integer> {
    /** Exit code when some images failed (each was reported and skipped; the others were predicted). */
    public static final int EXIT_SOME_FAILED = 3;
    /** The file of per-image JSON lines in the output folder. */
    public static final String PREDICTIONS = "predictions.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often the JSON lines are saved while a long run goes on (and always at the end). */
    private static final long SAVE_EVERY_NANOS = 10_000_000_000L;

    @Parameters(paramLabel = "<input>", arity = "0..*",
            description = "Image files, folders, globs, MVSS-Net lists (.txt) or BenCo JSON lists.")
    private List<String> inputs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "<dir>", description = "Output folder (created if needed).")
    private Path out;

    @Mixin
    private WeightsOption weights;

    @Mixin
    private SamplingOptions sampling;

    @Option(names = "--threshold", paramLabel = "<p>", defaultValue = "0.5",
            description = "Mask threshold: tampered where probability > p. Default: ${DEFAULT-VALUE}.")
    private float threshold;

    @Option(names = "--batch", paramLabel = "<n>", defaultValue = "1",
            description = "Images (tiles with --tile) per model call. Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--tile", description = "Native resolution: cut images into overlapping tiles of the model's"
            + " resolution instead of resizing them (the evaluation protocol resizes).")
    private boolean tile;

    @Option(names = "--tile-overlap", paramLabel = "<fraction>", defaultValue = "0.25",
            description = "With --tile: least overlap of neighbouring tiles, fraction of the tile side in [0, 0.5]."
                    + " Default: ${DEFAULT-VALUE}.")
    private double tileOverlap;

    @Option(names = "--no-uncertainty", description = "Skip the uncertainty map (saves the member decodes; no"
            + " <name>_uncertainty.png).")
    private boolean noUncertainty;

    @Option(names = "--skip-existing", description = "Keep images whose outputs and JSON line exist; predict the"
            + " rest.")
    private boolean skipExisting;

    @Option(names = "--overwrite", description = "Replace existing outputs.")
    private boolean overwrite;

    @Mixin
    private DeviceOption device;

    @Mixin
    private ThreadsOption threads;

    @Spec
    private CommandSpec spec;

    /** Output file suffixes, in the order they are written. */
    private List<String> suffixes() {
        return noUncertainty ? List.of("_prob.png", "_mask.png", "_overlay.png")
                : List.of("_prob.png", "_mask.png", "_uncertainty.png", "_overlay.png");
    }

    @Override
    public Integer call() throws IOException {
        LocalizerOptions options;
        List<PredictInputs.Item> items;
        Path model;
        Map<String, String> lines;
        try {
            if (inputs.isEmpty()) {
                return usageError("no input: give image files, folders, globs or lists");
            }
            if (out == null) {
                return usageError("--out is required (the folder for the maps and " + PREDICTIONS + ")");
            }
            if (!weights.given()) {
                return usageError("give the model: --run <training run folder> or --checkpoint <dir>");
            }
            if (skipExisting && overwrite) {
                return usageError("--skip-existing and --overwrite exclude each other");
            }
            if (!tile && spec.commandLine().getParseResult().hasMatchedOption("--tile-overlap")) {
                return usageError("--tile-overlap applies to --tile only");
            }
            options = sampling.applyTo(LocalizerOptions.builder().device(device.choice()))
                    .threshold(threshold).batch(batch)
                    .mode(tile ? InferenceMode.TILED : InferenceMode.RESIZE).tileOverlap(tileOverlap)
                    .uncertainty(!noUncertainty).build();
            threads.apply();
            HostHeap.keepFreedMemory();
            model = weights.checkpointFolder();
            PredictInputs.Resolved resolved = PredictInputs.resolveCounting(inputs);
            items = resolved.items();
            if (resolved.skippedMasks() > 0) {
                PrintWriter o = spec.commandLine().getOut();
                o.println("skipped " + resolved.skippedMasks() + " masks (files named as another image's mask, such"
                        + " as X_gt.png beside X.jpg); predicting " + items.size() + " images");
                o.flush();
            }
            if (Files.exists(out) && !Files.isDirectory(out)) {
                return usageError(out + ": --out exists and is not a folder");
            }
            Files.createDirectories(out);
            lines = readPredictions();
            String clash = existingOutputs(items, lines);
            if (clash != null) {
                return usageError(clash);
            }
        } catch (IllegalArgumentException e) {
            return usageError(e.getMessage().replaceFirst("^localizer options: ", ""));
        } catch (IOException e) {
            return usageError(e.getMessage());
        }
        List<PredictInputs.Item> todo = new ArrayList<>();
        for (PredictInputs.Item item : items) {
            if (!(skipExisting && done(item, lines))) {
                todo.add(item);
            }
        }
        Localizer localizer;
        try {
            localizer = Localizer.load(model, options);
        } catch (IllegalArgumentException | IOException e) {
            return usageError(e.getMessage().replaceFirst("^localizer options: ", ""));
        }
        try (localizer) {
            return predict(localizer, items.size(), todo, lines);
        }
    }

    private int predict(Localizer localizer, int total, List<PredictInputs.Item> todo, Map<String, String> lines)
            throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode settings = settings(localizer);
        Notes notes = new Notes(err);
        notes.note(String.format(Locale.ROOT, "predicting %d of %d images with %s (%s) on %s", todo.size(), total,
                localizer.description(), localizer.source(), localizer.device()));
        int failed = 0, predicted = 0;
        long start = System.nanoTime(), saved = start;
        ProgressBar bar = todo.size() > 1 ? new ProgressBarBuilder().setTaskName("predict").setInitialMax(todo.size())
                .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).showSpeed()
                .setConsumer(new DelegatingProgressBarConsumer(notes::bar, 100)).build() : null;
        try {
            for (int first = 0; first < todo.size(); first += batch) {
                List<PredictInputs.Item> chunk = todo.subList(first, Math.min(todo.size(), first + batch));
                List<PredictInputs.Item> readable = new ArrayList<>();
                List<Mat> images = new ArrayList<>();
                List<Double> readMs = new ArrayList<>();
                try {
                    for (PredictInputs.Item item : chunk) {
                        long t = System.nanoTime();
                        try {
                            Mat image = ImageFiles.readImage(item.image());
                            String tooLarge = MapMemory.refusal(image.cols(), image.rows(),
                                    localizer.measuresUncertainty());
                            if (tooLarge != null) { // before its maps are allocated, not an OutOfMemoryError later
                                image.close();
                                throw new UnreadableImageException(item.image(), tooLarge);
                            }
                            images.add(image);
                            readable.add(item);
                            readMs.add((System.nanoTime() - t) / 1e6);
                        } catch (UnreadableImageException e) {
                            failed++;
                            notes.note("skipped " + e.getMessage());
                        }
                    }
                    List<LocalizerInput> inputs = images.stream().map(LocalizerInput::ofBgr).toList();
                    List<Localization> results = localizer.localizeAll(inputs);
                    for (int i = 0; i < results.size(); i++) {
                        PredictInputs.Item item = readable.get(i);
                        try {
                            lines.put(item.name(), write(item, images.get(i), results.get(i), readMs.get(i),
                                    settings));
                            predicted++;
                        } catch (IOException e) {
                            failed++;
                            notes.note("failed " + item.image() + ": outputs not written: " + e.getMessage());
                        }
                    }
                } finally {
                    images.forEach(Mat::close);
                }
                if (bar != null) {
                    bar.stepTo(first + chunk.size());
                }
                if (System.nanoTime() - saved > SAVE_EVERY_NANOS) {
                    savePredictions(lines);
                    saved = System.nanoTime();
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
                notes.endBar();
            }
            savePredictions(lines);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(String.format(Locale.ROOT, "predicted %d of %d images in %.1f s (%.2f s per image) with %s on"
                + " %s; %d skipped (outputs exist), %d failed%s; outputs in %s, one JSON line each in %s", predicted,
                total, seconds, predicted == 0 ? 0.0 : seconds / predicted, localizer.description(),
                localizer.device(), total - todo.size(), failed, failed > 0 ? " (reported above)" : "", out,
                out.resolve(PREDICTIONS)));
        stdout.flush();
        return failed > 0 ? EXIT_SOME_FAILED : 0;
    }

    /** Writes the image's files; returns its JSON line. */
    private String write(PredictInputs.Item item, Mat photo, Localization r, double readMs, ObjectNode settings)
            throws IOException {
        long start = System.nanoTime();
        String name = item.name();
        ObjectNode files = JSON.createObjectNode();
        Path prob = out.resolve(name + "_prob.png"), mask = out.resolve(name + "_mask.png");
        Path overlay = out.resolve(name + "_overlay.png");
        r.writeProbabilityPng(prob);
        files.put("probability", prob.getFileName().toString());
        r.writeMaskPng(mask);
        files.put("mask", mask.getFileName().toString());
        if (!noUncertainty) {
            Path uncertainty = out.resolve(name + "_uncertainty.png");
            r.writeUncertaintyPng(uncertainty);
            files.put("uncertainty", uncertainty.getFileName().toString());
        }
        r.writeOverlayPng(overlay, photo);
        files.put("overlay", overlay.getFileName().toString());
        double writeMs = (System.nanoTime() - start) / 1e6;

        ObjectNode line = JSON.createObjectNode();
        line.put("image", item.image().toString());
        line.put("name", name);
        line.put("width", r.width());
        line.put("height", r.height());
        line.put("score_max", r.scoreMax());
        line.put("score_mean", r.scoreMean());
        if (r.hasDetectionScore()) {
            line.put("score_detection", r.detectionScore());
        }
        line.put("score", r.imageScore());
        line.put("uncertainty_measured", r.uncertaintyMeasured());
        line.set("outputs", files);
        StageTimings t = r.timings();
        ObjectNode ms = line.putObject("timings_ms");
        ms.put("read", round(readMs));
        ms.put("preprocess", round(t.preprocessMs()));
        ms.put("queue", round(t.queueMs()));
        ms.put("encoder", round(t.encoderMs()));
        ms.put("sampling", round(t.samplingMs()));
        ms.put("decode", round(t.decodeMs()));
        ms.put("postprocess", round(t.postprocessMs()));
        ms.put("write", round(writeMs));
        ms.put("total", round(readMs + t.totalMs() + writeMs));
        ms.put("batch", t.batch());
        line.set("settings", settings);
        return JSON.writeValueAsString(line);
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    private ObjectNode settings(Localizer localizer) {
        LocalizerOptions o = localizer.options();
        ObjectNode s = JSON.createObjectNode();
        s.put("checkpoint", String.valueOf(localizer.source()));
        s.put("model", localizer.description());
        s.put("device", localizer.device().toString().toLowerCase(Locale.ROOT));
        if (localizer.isDiffusionModel()) {
            s.put("steps", o.steps());
            s.put("ensemble", o.ensemble());
            s.put("seed", o.seed());
        }
        s.put("tta", o.flipTta());
        s.put("threshold", o.threshold());
        s.put("mode", o.mode().toString().toLowerCase(Locale.ROOT));
        if (o.mode() == InferenceMode.TILED) {
            s.put("tile_overlap", o.tileOverlap());
        }
        s.put("batch", o.batch());
        s.put("uncertainty", localizer.measuresUncertainty());
        return s;
    }

    /** Whether {@code item}'s outputs and JSON line are all there (for --skip-existing). */
    private boolean done(PredictInputs.Item item, Map<String, String> lines) {
        if (!lines.containsKey(item.name())) {
            return false;
        }
        for (String suffix : suffixes()) {
            if (!Files.isRegularFile(out.resolve(item.name() + suffix))) {
                return false;
            }
        }
        return true;
    }

    /** Without --skip-existing or --overwrite: the message refusing to touch outputs already there, or null. */
    private String existingOutputs(List<PredictInputs.Item> items, Map<String, String> lines) {
        if (skipExisting || overwrite) {
            return null;
        }
        List<Path> existing = new ArrayList<>();
        for (PredictInputs.Item item : items) {
            for (String suffix : suffixes()) {
                Path file = out.resolve(item.name() + suffix);
                if (Files.exists(file)) {
                    existing.add(file);
                }
            }
        }
        if (existing.isEmpty() && lines.isEmpty() && !Files.exists(out.resolve(PREDICTIONS))) {
            return null;
        }
        Path first = existing.isEmpty() ? out.resolve(PREDICTIONS) : existing.get(0);
        int more = existing.size() - (existing.isEmpty() ? 0 : 1);
        return first + " already exists" + (more > 0 ? " (and " + more + " more outputs)" : "")
                + ": pass --skip-existing to keep what is there and predict the rest, or --overwrite to replace it";
    }

    /** The JSON lines of an existing predictions file, by image name (empty when there is none). */
    private Map<String, String> readPredictions() throws IOException {
        Path file = out.resolve(PREDICTIONS);
        Map<String, String> lines = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return lines;
        }
        List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 0; n < text.size(); n++) {
            String line = text.get(n);
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode name = JSON.readTree(line).get("name");
                if (name == null || !name.isTextual()) {
                    throw new IOException(file + ": line " + (n + 1) + " has no \"name\"");
                }
                lines.put(name.asText(), line);
            } catch (JsonProcessingException e) {
                throw new IOException(file + ": line " + (n + 1) + " is not JSON (" + e.getOriginalMessage()
                        + "); move the file away or pass another --out");
            }
        }
        return lines;
    }

    private void savePredictions(Map<String, String> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        lines.values().forEach(l -> text.append(l).append('\n'));
        AtomicFiles.write(out.resolve(PREDICTIONS), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private int usageError(String message) {
        return Main.fail(spec.commandLine().getErr(), message, Main.EXIT_USAGE);
    }

    /** Notes to stderr that do not tangle with the progress bar's line. */
    private static final class Notes {
        private final PrintWriter err;
        private int barWidth;

        Notes(PrintWriter err) {
            this.err = err;
        }

        synchronized void bar(String line) {
            err.print('\r' + line);
            err.flush();
            barWidth = line.length();
        }

        /** A line above the bar: the bar's line is overwritten, the bar redraws below on its next update. */
        synchronized void note(String line) {
            if (barWidth > 0) {
                err.print('\r');
            }
            err.println(barWidth > line.length() ? line + " ".repeat(barWidth - line.length()) : line);
            err.flush();
        }

        synchronized void endBar() {
            if (barWidth > 0) {
                err.println();
                err.flush();
            }
        }
    }
}
