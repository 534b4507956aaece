package ai.diffiml.cli;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.CudaMemory;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.io.CheckpointKind;
import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.LocalizerInput;
import ai.diffiml.localize.LocalizerOptions;
import ai.diffiml.localize.StageTimings;
import ai.diffiml.model.diffiml.DiffIml;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.ModelConfigs;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: end-to-end latency and throughput of {@link Localizer#localize} on one image of the model's
 * resolution, per ensemble size, per stage, printed beside the paper's speed (RTX 3090) and the PyTorch CPU
 * reference of the 2-core development machine. The uncertainty map is off, so the work is the method's: encoder
 * and condition head once, steps x N UNet calls as one batch, one decode.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure inference speed: end-to-end latency (median, p90) and throughput of one image at"
                + " the model's resolution (the paper's model: MiT-b3 at 512x512) for each ensemble size N, and the"
                + " time of each stage (encoder + condition head, sampling, decode, pre/post-processing), beside"
                + " the paper's figures (measured on another machine, an RTX 3090: 69.48 FPS at N = 1, 37.28 FPS at"
                + " N = 5). The uncertainty map is off (the method decodes once). A comparison with PyTorch must be"
                + " measured side by side: benchmarks/side_by_side.py.",
                "Without --run or --checkpoint the model has random weights: the time does not depend on them."})
public final class BenchCommand implements Callable<Integer> {
    /** The paper's throughput on an RTX 3090, images per second, at N = 1 and N = 5 (8 steps, 512 px). */
    static final double PAPER_FPS_N1 = 69.48;
    static final double PAPER_FPS_N5 = 37.28;

    @Option(names = "--model", paramLabel = "<preset|file>", defaultValue = "paper",
            description = "Model with random weights: a preset (paper = MiT-b3 at 512 px; b0..b5) or a JSON model"
                    + " config. Default: ${DEFAULT-VALUE}.")
    private String model;

    @Option(names = "--resolution", paramLabel = "<px>", description = "With --model: input size (multiple of 32).")
    private Integer resolution;

    @Mixin
    private WeightsOption trained;

    @Option(names = "--steps", paramLabel = "<n>", defaultValue = "8",
            description = "DDIM steps. Default: ${DEFAULT-VALUE}.")
    private int steps;

    @Option(names = "--ensembles", paramLabel = "<n>", split = ",", defaultValue = "1,5",
            description = "Ensemble sizes to measure. Default: ${DEFAULT-VALUE}.")
    private List<Integer> ensembles;

    @Option(names = "--warmup", paramLabel = "<n>",
            description = "Untimed runs before each ensemble size is timed. Default: on CUDA 3; on the CPU 1 before"
                    + " the first size and none before the others (the kernels are warm by then, and one N = 5 run"
                    + " of the paper's model takes minutes on 2 cores).")
    private Integer warmup;

    @Option(names = "--iterations", paramLabel = "<n>",
            description = "Timed runs per ensemble size. Default: 2 on the CPU, 20 on CUDA.")
    private Integer iterations;

    @Option(names = "--batch", paramLabel = "<n>", defaultValue = "1",
            description = "Images per model call (Localizer.localizeAll with batch n): each timed run localizes n"
                    + " copies of the image; throughput counts images. Default: ${DEFAULT-VALUE}.")
    private int batch;

    @Option(names = "--cuda-graphs",
            description = "CUDA, random weights only: replay each UNet call from a CUDA graph captured once per shape"
                    + " (the first run of each shape captures it). Compiled, not yet run on a GPU.")
    private boolean cudaGraphs;

    @Option(names = "--tf32",
            description = "CUDA: cuBLAS GEMMs on TF32 tensor cores (about 3e-4 relative error per product) instead"
                    + " of FP32.")
    private boolean tf32;

    @Option(names = "--seed", paramLabel = "<n>", defaultValue = "0",
            description = "Seed of the random weights and the noise. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Mixin
    private DeviceOption device;

    @Mixin
    private ThreadsOption threads;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ModelConfig config;
        Path weights;
        try {
            boolean modelGiven = spec.commandLine().getParseResult().hasMatchedOption("--model");
            if (trained.given() && (modelGiven || resolution != null)) {
                return usageError("--model and --resolution apply to random weights, not with --run or --checkpoint");
            }
            if (steps < 1 || ensembles.stream().anyMatch(n -> n < 1)) {
                return usageError("--steps and --ensembles must be >= 1");
            }
            if ((warmup != null && warmup < 0) || (iterations != null && iterations < 1) || batch < 1) {
                return usageError("--warmup must be >= 0, --iterations and --batch >= 1");
            }
            if (cudaGraphs && trained.given()) {
                return usageError("--cuda-graphs applies to random weights (--model), not with --run or --checkpoint");
            }
            threads.apply();
            HostHeap.keepFreedMemory();
            weights = trained.checkpointFolder();
            if (weights != null && CheckpointKind.of(weights) != CheckpointKind.DIFFIML) {
                ParseResult parsed = spec.commandLine().getParseResult();
                if (parsed.hasMatchedOption("--steps") || parsed.hasMatchedOption("--ensembles")) {
                    return usageError("--steps and --ensembles apply to DiffIML, which samples; " + weights
                            + " holds a model that predicts in one forward");
                }
                return oneForward(weights, out);
            }
            config = weights != null ? ModelConfigs.read(weights) : ModelConfigs.resolve(model);
            if (resolution != null) {
                config = config.withResolution(resolution);
            }
        } catch (IllegalArgumentException | IOException e) {
            return usageError(e.getMessage());
        }
        Device dev = device.resolve();
        if ((cudaGraphs || tf32) && dev != Device.CUDA) {
            return usageError((cudaGraphs ? "--cuda-graphs" : "--tf32")
                    + " needs --device cuda (or auto on a machine with a usable GPU)");
        }
        if (tf32) {
            Backends.cudaTf32(true);
        }
        int runs = iterations != null ? iterations : dev == Device.CUDA ? 20 : 2;
        int r = config.resolution();
        BufferedImage image = photo(r, seed);

        out.printf(Locale.ROOT, "model    DiffIML MiT-%s, %d x %d input, %s%n", config.variant(), r, r,
                weights != null ? "weights of " + weights : "random weights (seed " + seed + "; the time does not"
                        + " depend on the weights)");
        out.printf(Locale.ROOT, "sampling %d DDIM steps, batch %d, no TTA, uncertainty off (one decode)%s%n", steps, batch,
                cudaGraphs ? ", UNet calls replayed from CUDA graphs" : "");
        out.printf(Locale.ROOT, "machine  %s, %d cores (%d kernel threads); %s%n", cpuModel(),
                Runtime.getRuntime().availableProcessors(), Native.cpuThreads(), Backends.blas(Device.CPU)
                        .describe());
        out.printf(Locale.ROOT, "device   %s%n", dev == Device.CUDA ? "CUDA: " + Backends.cudaDeviceName() + "; "
                + Backends.blas(Device.CUDA).describe() : "CPU");
        out.printf(Locale.ROOT, "runs     %s + %d timed per ensemble size%n", warmup != null ? warmup + " warmup"
                : dev == Device.CUDA ? "3 warmup" : "1 warmup (before the first size only)", runs);
        out.flush();
        for (int k = 0; k < ensembles.size(); k++) {
            int n = ensembles.get(k);
            int warm = warmup != null ? warmup : dev == Device.CUDA ? 3 : k == 0 ? 1 : 0;
            LocalizerOptions options = LocalizerOptions.builder().steps(steps).ensemble(n).seed(seed)
                    .uncertainty(false).batch(batch).build();
            List<Localization> results = new ArrayList<>();
            double[] wall = new double[runs];
            List<LocalizerInput> inputs = Collections.nCopies(batch, LocalizerInput.of(image));
            if (dev == Device.CUDA) {
                CudaMemory.resetPeak();
            }
            try (Localizer localizer = localizer(config, weights, dev, options, cudaGraphs)) {
                for (int i = 0; i < warm + runs; i++) {
                    long start = System.nanoTime();
                    List<Localization> batchResults = batch == 1 ? List.of(localizer.localize(image))
                            : localizer.localizeAll(inputs);
                    double ms = (System.nanoTime() - start) / 1e6;
                    if (i >= warm) {
                        wall[i - warm] = ms;
                        results.add(batchResults.get(0));
                    }
                }
            }
            report(out, n, results, LatencyStats.of(wall), isPaperModel(config) && batch == 1);
            if (dev == Device.CUDA) {
                out.printf(Locale.ROOT, "  device memory: %s%n", CudaMemory.read().describe());
                out.flush();
            }
        }
        return 0;
    }

    /**
     * A model that predicts in one forward (the SegFormer baseline, DiffForensics), loaded through the
     * {@link Localizer} like any other: its forward (timed as the encoder stage), pre/post-processing and the end to
     * end latency; no ensemble sizes, no paper comparison (the paper's figures are DiffIML's).
     */
    private int oneForward(Path weights, PrintWriter out) throws IOException {
        Device dev = device.resolve();
        int runs = iterations != null ? iterations : dev == Device.CUDA ? 20 : 2;
        int warm = warmup != null ? warmup : dev == Device.CUDA ? 3 : 1;
        LocalizerOptions options = LocalizerOptions.builder().seed(seed).uncertainty(false).batch(batch)
                .device(dev.toString().toLowerCase(Locale.ROOT)).build();
        try (Localizer localizer = Localizer.load(weights, options)) {
            int r = localizer.resolution();
            BufferedImage image = photo(r, seed);
            out.printf(Locale.ROOT, "model    %s, %d x %d input, weights of %s%n", localizer.description(), r, r,
                    weights);
            out.printf(Locale.ROOT, "machine  %s, %d cores (%d kernel threads); %s%n", cpuModel(),
                    Runtime.getRuntime().availableProcessors(), Native.cpuThreads(), Backends.blas(Device.CPU)
                            .describe());
            out.printf(Locale.ROOT, "device   %s%n", dev == Device.CUDA ? "CUDA: " + Backends.cudaDeviceName() : "CPU");
            out.printf(Locale.ROOT, "runs     %d warmup + %d timed, batch %d%n", warm, runs, batch);
            out.flush();
            List<LocalizerInput> inputs = Collections.nCopies(batch, LocalizerInput.of(image));
            List<Localization> results = new ArrayList<>();
            double[] wall = new double[runs];
            for (int i = 0; i < warm + runs; i++) {
                long start = System.nanoTime();
                List<Localization> batchResults = localizer.localizeAll(inputs);
                double ms = (System.nanoTime() - start) / 1e6;
                if (i >= warm) {
                    wall[i - warm] = ms;
                    results.add(batchResults.get(0));
                }
            }
            LatencyStats total = LatencyStats.of(wall);
            out.printf(Locale.ROOT, "%none forward per call (%d images)%n", batch);
            out.printf(Locale.ROOT, "  %-28s %10s %10s %10s%n", "stage", "median ms", "p90 ms", "mean ms");
            row(out, "forward (all heads)", stage(results, StageTimings::encoderMs));
            row(out, "pre + post-processing", stage(results, t -> t.preprocessMs() + t.postprocessMs()));
            row(out, "end to end", total);
            out.printf(Locale.ROOT, "  throughput %.4f images/s (%.4f s per image)%n", 1000 * batch / total.mean(),
                    total.mean() / 1000 / batch);
            out.flush();
        }
        return 0;
    }

    private static Localizer localizer(ModelConfig config, Path weights, Device dev, LocalizerOptions options,
            boolean cudaGraphs) throws IOException {
        if (weights != null) {
            return Localizer.load(weights, options.toBuilder().device(dev.toString().toLowerCase(Locale.ROOT))
                    .build());
        }
        DiffIml model = new DiffIml(config, dev);
        try {
            model.init(options.seed());
            model.unet().useCudaGraphs(cudaGraphs);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return Localizer.of(model, options);
    }

    /** Whether the comparisons apply: the paper's encoder and resolution (MiT-b3 at 512 px). */
    private static boolean isPaperModel(ModelConfig config) {
        ModelConfig paper = ModelConfig.paper();
        return config.variant().equals(paper.variant()) && config.resolution() == paper.resolution()
                && config.unetChannels() == paper.unetChannels() && config.condChannels() == paper.condChannels();
    }

    private void report(PrintWriter out, int n, List<Localization> results, LatencyStats total, boolean paperModel) {
        out.printf(Locale.ROOT, "%nN = %d%s (%d UNet calls of batch %d)%n", n,
                batch > 1 ? ", " + batch + " images per call" : "", steps, n * batch);
        out.printf(Locale.ROOT, "  %-28s %10s %10s %10s%n", "stage", "median ms", "p90 ms", "mean ms");
        LatencyStats encoder = stage(results, StageTimings::encoderMs);
        LatencyStats sampling = stage(results, StageTimings::samplingMs);
        LatencyStats decode = stage(results, StageTimings::decodeMs);
        row(out, "encoder + condition head", encoder);
        row(out, "sampling (" + steps + " UNet calls)", sampling);
        row(out, "decode", decode);
        row(out, "pre + post-processing", stage(results, t -> t.preprocessMs() + t.postprocessMs()));
        row(out, "end to end", total);
        double fps = 1000 * batch / total.mean();
        out.printf(Locale.ROOT, "  throughput %.4f images/s (%.4f s per image)%n", fps, total.mean() / 1000 / batch);
        if (batch > 1) {
            out.printf(Locale.ROOT, "  (stage times are those of one image's record in a call of %d; latency is per call)%n",
                    batch);
        }
        if (!paperModel) {
            if (n == ensembles.get(0)) {
                out.printf(Locale.ROOT, "  (no comparison: the paper's figures are for MiT-b3 at 512 px)%n");
            }
        } else {
            double paper = n == 1 ? PAPER_FPS_N1 : n == 5 ? PAPER_FPS_N5 : Double.NaN;
            if (!Double.isNaN(paper) && steps == 8) {
                out.printf(Locale.ROOT, "  the paper, on another machine (RTX 3090): %.2f FPS (not measured here; for"
                        + " PyTorch on this machine run benchmarks/side_by_side.py)%n", paper);
            }
        }
        out.flush();
    }

    private static LatencyStats stage(List<Localization> results, ToDoubleFunction<StageTimings> ms) {
        return LatencyStats.of(results.stream().mapToDouble(r -> ms.applyAsDouble(r.timings())).toArray());
    }

    private static void row(PrintWriter out, String name, LatencyStats s) {
        out.printf(Locale.ROOT, "  %-28s %10.1f %10.1f %10.1f%n", name, s.median(), s.p90(), s.mean());
    }

    /** A seeded noisy photo-like image (the content does not change the work). */
    static BufferedImage photo(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int v = (x * 255 / size + random.nextInt(32)) & 0xFF;
                image.setRGB(x, y, (v << 16) | ((255 - v) << 8) | ((y * 255 / size) & 0xFF));
            }
        }
        return image;
    }

    /** The CPU's model name from /proc/cpuinfo, or the JVM's architecture where there is none. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    private int usageError(String message) {
        return Main.fail(spec.commandLine().getErr(), message, Main.EXIT_USAGE);
    }
}
