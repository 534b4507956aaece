package ai.diffiml.cli;

import java.io.IOException;
import java.io.PrintWriter;
import ai.diffiml.synth.SynthGenerator;
import ai.diffiml.synth.SynthOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * Options the training commands share ({@code train}, {@code train-vae}): the data, where the run folder goes, the
 * seed and the stage-1 teacher; and the run-folder and error conventions that go with them.
 */
public final class RunOptions {
    @Option(names = "--data", paramLabel = "<path>", description = "Training dataset (images, masks, edge maps).")
    Path data;

    @Option(names = "--val-data", paramLabel = "<path>",
            description = "Validation dataset: pixel F1 @0.5 every epoch and the best checkpoint (train; without it,"
                    + " neither), the reconstruction F1 (train-vae; default: the training data).")
    Path valData;

    @Option(names = "--out", paramLabel = "<dir>", defaultValue = "runs",
            description = "Parent folder of run folders. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--name", paramLabel = "<name>",
            description = "Run folder name. Default: <head or vae>-<date>-<time>.")
    String name;

    @Option(names = "--seed", paramLabel = "<n>", defaultValue = "0",
            description = "Run seed: initialisation, data order, noise, drop-path. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--teacher", paramLabel = "<file>",
            description = "Stable Diffusion VAE weights (sd-vae-ft-mse diffusion_pytorch_model.safetensors) to"
                    + " distil the LightVAE from in stage 1; or hf:OWNER/REPO[@REV][:FILE] from the Hugging Face Hub (e.g."
                    + " hf:stabilityai/sd-vae-ft-mse).")
    Path teacher;

    /** Where the built-in synthetic datasets live (relative to the working folder) when no --data is given. */
    static final Path SYNTH_ROOT = Path.of("data");
    static final int SYNTH_TRAIN_COUNT = 1500;
    static final int SYNTH_VAL_COUNT = 200;

    /**
     * The training data. Without --data: the built-in synthetic datasets {@code data/synth-<px>/train} (1500
     * images, seed 1) and {@code data/synth-<px>/val} (200 images, seed 2, also the validation set unless
     * --val-data is given), made at the training resolution (so no resampling blurs the traces the model must
     * learn), generated once and reused (their manifest records the options).
     */
    Path dataOrSynthetic(int resolution, PrintWriter log) throws IOException {
        if (data != null) {
            return data;
        }
        Path root = SYNTH_ROOT.resolve("synth-" + resolution);
        SynthOptions base = SynthOptions.defaults().withSize(resolution);
        data = synthetic(root.resolve("train"), base.withCount(SYNTH_TRAIN_COUNT).withSeed(1), log);
        if (valData == null) {
            valData = synthetic(root.resolve("val"), base.withCount(SYNTH_VAL_COUNT).withSeed(2), log);
        }
        return data;
    }

    private static Path synthetic(Path dir, SynthOptions options, PrintWriter log) throws IOException {
        boolean present = Files.isDirectory(dir.resolve("Tp"));
        log.println((present ? "using" : "generating") + " the built-in synthetic dataset " + dir + " ("
                + options.count() + " images)" + (present ? "" : "; later runs reuse it"));
        log.flush();
        SynthGenerator.ensure(dir, options, i -> { });
        return dir;
    }

    /** {@code out/name} (default name: prefix-date-time), created; refused when it exists and is not empty. */
    Path newRunFolder(String prefix) throws IOException {
        String n = name != null ? name
                : prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        if (n.isBlank() || n.contains("/") || n.contains("\\") || n.equals(".") || n.equals("..")) {
            throw new IllegalArgumentException("--name must be a plain folder name, got '" + n + "'");
        }
        Path dir = out.resolve(n);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(dir + " already exists: continue that run with --resume "
                            + dir + " or choose another --name");
                }
            }
        } else if (Files.exists(dir)) {
            throw new IllegalArgumentException(dir + " exists and is not a folder");
        }
        Files.createDirectories(dir);
        return dir;
    }
}
