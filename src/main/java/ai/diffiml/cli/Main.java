package ai.diffiml.cli;

import ai.diffiml.backend.BackendUnavailableException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * Entry point of {@code java -jar diffiml-native.jar}. Each subcommand is its own class; options several of them
 * share are mixins ({@link DeviceOption}). Exit codes: 0 success, 1 unexpected failure (with its stack trace),
 * 2 usage error or a requested backend that this machine cannot run (one line on stderr saying why); {@code predict}
 * adds 3, some images could not be read or written ({@link PredictCommand#EXIT_SOME_FAILED}).
 */
@Command(name = "diffiml-native", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "DiffIML image manipulation localization on native CPU and CUDA kernels.",
        subcommands = {InfoCommand.class, SynthCommand.class, TrainCommand.class, TrainVaeCommand.class,
                PredictCommand.class, EvalCommand.class, BenchCommand.class, DatasetsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    /** Exit code of usage errors and of an unavailable backend. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling, as {@link #main} runs it. */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /**
     * The command line with its subcommands made by {@code factory} (e.g. commands given other dataset readers in
     * tests), with the same error handling.
     */
    public static CommandLine commandLine(CommandLine.IFactory factory) {
        return new CommandLine(new Main(), factory).setExecutionExceptionHandler(Main::handleExecutionException);
    }

    private static int handleExecutionException(Exception e, CommandLine cl, ParseResult parsed) throws Exception {
        if (e instanceof BackendUnavailableException) {
            return fail(cl.getErr(), e.getMessage(), EXIT_USAGE);
        }
        throw e;
    }

    /** One line on stderr, "error: " and the message (line breaks flattened); returns {@code code}. */
    static int fail(PrintWriter err, String message, int code) {
        err.println("error: " + String.valueOf(message).replace('\n', ' '));
        err.flush();
        return code;
    }
}
