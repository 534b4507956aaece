package ai.diffiml.cli;

import ai.diffiml.synth.SynthDataset;
import ai.diffiml.synth.SynthGenerator;
import ai.diffiml.synth.SynthOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code synth}: a synthetic tampering dataset ({@link SynthGenerator}) as an IMDL-BenCo folder plus a BenCo JSON
 * list, with a progress bar on stderr and a summary line on stdout. Bad options, an unwritable or non-empty
 * {@code --out}, a {@code --photos} folder without readable photos (or with photos too uniform to manipulate
 * visibly) and a failed write are one line on stderr and exit code 2.
 */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a synthetic image-manipulation dataset: Tp/ (tampered), Gt/ (binary masks), Au/"
                + " (authentic), list.json (BenCo list: [[image, mask | \"Negative\"], ...]) and synth.json (what"
                + " was done to each image).",
                "Manipulations: splicing from another image, copy-move, inpainting (OpenCV Telea/NS), with"
                        + " resampling, blur, noise, feathering and JPEG saves at other qualities and 8x8 grid"
                        + " offsets; authentic images get the same post-processing. Without --photos the images"
                        + " are procedural scenes. The same seed gives byte-identical files."})
public final class SynthCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "<dir>",
            description = "Output folder; must not exist or be empty. Written atomically (a hidden temporary"
                    + " sibling renamed when complete).")
    private Path out;

    @Option(names = "--photos", paramLabel = "<dir>",
            description = "Folder of photographs (any readable images, searched recursively) to use instead of"
                    + " procedural scenes.")
    private Path photos;

    @Option(names = "--count", paramLabel = "<n>", defaultValue = "" + SynthOptions.DEFAULT_COUNT,
            description = "Number of images (default: ${DEFAULT-VALUE}).")
    private int count;

    @Option(names = "--seed", paramLabel = "<s>", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--size", paramLabel = "<px>", defaultValue = "" + SynthOptions.DEFAULT_SIZE,
            description = "Image side in pixels (default: ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = "--authentic", paramLabel = "<fraction>",
            defaultValue = "" + SynthOptions.DEFAULT_AUTHENTIC_FRACTION, description = "Share of authentic images, 0..1 (default: ${DEFAULT-VALUE}).")
    private double authentic;

    @Option(names = "--threads", paramLabel = "<n>",
            description = "Worker threads (default: one per core); the files do not depend on it.")
    private Integer threads;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        SynthGenerator generator;
        try {
            SynthOptions options = new SynthOptions(count, seed, size, photos, authentic,
                    threads != null ? threads : Runtime.getRuntime().availableProcessors());
            generator = new SynthGenerator(options);
            SynthGenerator.checkOutput(out);
        } catch (IllegalArgumentException | IOException e) {
            return usageError(e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        SynthDataset dataset;
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("synth").setInitialMax(count)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).showSpeed()
                .setConsumer(new DelegatingProgressBarConsumer(line -> {
                    err.print('\r' + line);
                    err.flush();
                }, 100)).build()) {
            dataset = generator.generate(out, bar::stepTo);
        } catch (IOException | IllegalStateException e) {
            err.println();
            return usageError(e.getMessage());
        }
        err.println();
        err.flush();
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(String.format(Locale.ROOT, "wrote %d images (%d tampered, %d authentic, %d px) to %s in"
                + " %.1f s (%.1f images/s); list: %s", dataset.count(), dataset.tampered(), dataset.authentic(),
                size, out, seconds, dataset.count() / seconds, out.resolve(SynthDataset.LIST)));
        stdout.flush();
        return 0;
    }

    private int usageError(String message) {
        return Main.fail(spec.commandLine().getErr(), message, Main.EXIT_USAGE);
    }
}
