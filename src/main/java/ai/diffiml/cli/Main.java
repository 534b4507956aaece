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
        System.exit(execute(commandLine(), args, new PrintWriter(System.err, true)));
    }

    /**
     * Runs {@code cl} on {@code args} as {@link #main} does: an {@link OutOfMemoryError} (a tensor the host or the
     * GPU could not allocate, or the Java heap) becomes one line on {@code err} saying what was asked and what to
     * change, with exit code 1, instead of a stack trace.
     */
    static int execute(CommandLine cl, String[] args, PrintWriter err) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            return fail(err, outOfMemory(e), 1);
        }
    }

    /** The one-line message for an {@link OutOfMemoryError}: what could not be allocated and the advice. */
    static String outOfMemory(OutOfMemoryError e) {
        String what = String.valueOf(e.getMessage());
        String advice;
        if (what.contains("cudaMalloc") || what.toLowerCase(java.util.Locale.ROOT).contains(" on cuda")) {
            advice = "the GPU's memory is full: use a smaller --batch (or --resolution, --ensemble), or --device cpu";
        } else if (what.contains("Java heap space") || what.contains("array size")) {
            advice = "the Java heap is full: give the JVM more (java -Xmx<size> -jar ...), or use a smaller --batch";
        } else {
            advice = "the machine's memory is full: use a smaller --batch (or --resolution, --ensemble)";
        }
        return "out of memory: " + what + "; " + advice;
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
