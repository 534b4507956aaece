package ai.diffiml.cli;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import ai.diffiml.backend.Native;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code info}: the version, the backend a run would use, and what this machine offers (CPU, BLAS, CUDA). */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the version, the chosen backend, CPU threads, BLAS, and the CUDA device or why"
                + " CUDA is unavailable.")
public final class InfoCommand implements Callable<Integer> {
    @Mixin
    private DeviceOption device;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
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

    private static void row(PrintWriter out, String key, Object value) {
        out.printf("%-12s %s%n", key, value);
    }
}
