package ai.diffiml.cli;

import ai.diffiml.backend.Backends;
import ai.diffiml.backend.Device;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The {@code --device auto|cpu|cuda} option, a mixin shared by every subcommand that runs ops. */
public final class DeviceOption {
    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto", converter = Choice.class,
            description = "Backend: auto (CUDA when a GPU is usable, else CPU), cpu, or cuda (fails when no GPU"
                    + " is usable). Default: ${DEFAULT-VALUE}.")
    private String choice = "auto";

    /** The value given: auto, cpu or cuda. */
    public String choice() {
        return choice;
    }

    /**
     * The device to run on.
     *
     * @throws ai.diffiml.backend.BackendUnavailableException for cuda on a machine without a usable GPU
     */
    public Device resolve() {
        return Backends.resolve(choice);
    }

    static final class Choice implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("auto") && !v.equals("cpu") && !v.equals("cuda")) {
                throw new TypeConversionException("'" + value + "' is not a device: expected auto, cpu or cuda");
            }
            return v;
        }
    }
}
