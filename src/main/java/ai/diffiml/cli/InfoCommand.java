package ai.diffiml.cli;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import ai.diffiml.model.diffiml.ModelConfig;
import ai.diffiml.model.diffiml.ModelConfigs;
import ai.diffiml.model.diffiml.ModelCounts;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code info}: the version, the backend a run would use, and what this machine offers (CPU, BLAS, CUDA). With
 * {@code --model}, instead: the model's parameters and multiply-accumulates per part ({@link ModelCounts}).
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Print the version, the chosen backend, CPU threads, BLAS, and the CUDA device or why"
                + " CUDA is unavailable.",
                "With --model: parameters and multiply-accumulates (MACs) per model part at the configured"
                        + " resolution, in two accountings: true (steps x ensemble UNet calls, attention matmuls"
                        + " included) and the paper's (one UNet call per ensemble member, conv and linear only)."})
public final class InfoCommand implements Callable<Integer> {
    @Mixin
    private DeviceOption device;

    @Option(names = "--model", paramLabel = "<preset|file>",
            description = "Count a model instead: a preset (paper = MiT-b3 at 512 px, 8 steps, ensemble 5; b0..b5 ="
                    + " the paper config with that encoder), a JSON model config, a checkpoint.json, or a"
                    + " checkpoint folder. The counts do not depend on --device.")
    private String model;

    @Option(names = "--resolution", paramLabel = "<px>",
            description = "With --model: input size in pixels (a multiple of 32).")
    private Integer resolution;

    @Option(names = "--steps", paramLabel = "<n>", description = "With --model: DDIM sampling steps.")
    private Integer steps;

    @Option(names = "--ensemble", paramLabel = "<n>", description = "With --model: ensemble members (chains).")
    private Integer ensemble;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        if (model != null) {
            return counts();
        }
        if (resolution != null || steps != null || ensemble != null) {
            return usageError("--resolution, --steps and --ensemble apply to --model only");
        }
        Device backend = device.resolve();
        PrintWriter out = spec.commandLine().getOut();
        out.println("diffiml-native " + Version.project() + " (native library " + Native.version() + ")");
        row(out, "backend", backend + (device.choice().equals("auto") ? " (auto)" : ""));
        row(out, "cpu threads", Native.cpuThreads());
        row(out, "blas", Backends.blas(Device.CPU).describe());
        row(out, "cuda", Backends.cudaAvailable() ? Backends.cudaDeviceName()
                : "unavailable: " + Backends.cudaProblem());
        if (backend == Device.CUDA) {
            row(out, "cublas", Backends.blas(Device.CUDA).describe());
        }
        out.flush();
        return 0;
    }

    /** {@code info --model}: the counts table; a bad preset, file or value is one line on stderr, exit 2. */
    private int counts() {
        ModelConfig config;
        try {
            config = ModelConfigs.resolve(model);
            if (resolution != null) {
                config = config.withResolution(resolution);
            }
            if (steps != null || ensemble != null) {
                config = config.withSampling(steps != null ? steps : config.sampleSteps(),
                        ensemble != null ? ensemble : config.ensemble());
            }
        } catch (IllegalArgumentException e) {
            return usageError(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(ModelCounts.of(config).table());
        out.flush();
        return 0;
    }

    private int usageError(String message) {
        return Main.fail(spec.commandLine().getErr(), message, Main.EXIT_USAGE);
    }

    private static void row(PrintWriter out, String key, Object value) {
        out.printf("%-12s %s%n", key, value);
    }
}
