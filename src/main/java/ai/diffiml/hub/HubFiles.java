package ai.diffiml.hub;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Turns a weights option's value into a local file: a local path is returned as it is, {@code hf:...}
 * ({@link HubReference}) is resolved through the Hub cache, downloading it first if needed ({@link HubClient}),
 * with a progress bar on stderr when it is a terminal (else one line at the start and one at the end).
 */
public final class HubFiles {
    /** Default files of a Transformers model repository (e.g. {@code nvidia/mit-b3}). */
    public static final List<String> MODEL_WEIGHTS = List.of("model.safetensors", "pytorch_model.bin");
    /**
     * Default files of a diffusers model repository (e.g. {@code stabilityai/sd-vae-ft-mse}), then those of a
     * Transformers one.
     */
    public static final List<String> DIFFUSERS_WEIGHTS = List.of("diffusion_pytorch_model.safetensors",
            "diffusion_pytorch_model.bin", "model.safetensors", "pytorch_model.bin");
    /** Default files of a LightVAE: train-vae's, the DiffIML release's, then a whole model's. */
    public static final List<String> LIGHT_VAE_WEIGHTS = List.of("light_vae.safetensors", "light_vae_weights.pth",
            "model.safetensors", "pytorch_model.bin");

    private HubFiles() {
    }

    /**
     * {@code value} as a local file: itself when it is not a Hub reference (or null), else the cached download,
     * with the environment's settings ({@link HubSettings#system()}) and progress on stderr.
     *
     * @param candidates the files to try in order when the reference names none
     * @throws IllegalArgumentException (one line) when the reference is malformed
     * @throws HubException (one line) when the file cannot be had
     */
    public static Path local(Path value, List<String> candidates) throws IOException {
        if (value == null || !HubReference.isReference(value.toString())) {
            return value;
        }
        return local(value.toString(), candidates, HubSettings.system(), System.err);
    }

    /** As {@link #local(Path, List)} for a string, with the given settings, reporting progress on {@code log}. */
    public static Path local(String value, List<String> candidates, HubSettings settings, PrintStream log)
            throws IOException {
        HubReference ref = HubReference.parse(value);
        return new HubClient(settings, new ConsoleListener(log)).resolve(ref, candidates);
    }

    /** A progress bar where {@code log} is a terminal, else a line per transfer. */
    static final class ConsoleListener implements HubClient.Listener {
        private final PrintStream log;
        private final boolean terminal;
        private ProgressBar bar;
        private String name;
        private long from;
        private long received;
        private long startNanos;

        ConsoleListener(PrintStream log) {
            this.log = log;
            this.terminal = log == System.err && System.console() != null;
        }

        @Override
        public void started(String file, long offset, long total) {
            name = file;
            from = offset;
            received = 0;
            startNanos = System.nanoTime();
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName("downloading " + file).setInitialMax(Math.max(total, 0))
                        .setStyle(ProgressBarStyle.ASCII).setUnit(" MB", 1 << 20).showSpeed().setUpdateIntervalMillis(250)
                        .startsFrom(offset, java.time.Duration.ZERO).setConsumer(new ConsoleProgressBarConsumer(log))
                        .build();
            } else {
                log.printf(Locale.ROOT, "downloading %s (%s)%s%n", file, total < 0 ? "size unknown" : mb(total),
                        offset > 0 ? ", resuming at " + mb(offset) : "");
                log.flush();
            }
        }

        @Override
        public void advanced(long bytes) {
            received += bytes;
            if (bar != null) {
                bar.stepBy(bytes);
            }
        }

        @Override
        public void finished() {
            if (bar != null) {
                bar.close();
                bar = null;
            } else if (name != null) {
                double s = (System.nanoTime() - startNanos) / 1e9;
                log.printf(Locale.ROOT, "%s: %s of it here after %.1f s%n", name, mb(from + received), s);
                log.flush();
            }
            name = null;
        }

        @Override
        public void note(String message) {
            log.println(message);
            log.flush();
        }

        private static String mb(long bytes) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
        }
    }
}
