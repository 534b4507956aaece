package ai.diffiml.cli;

import ai.diffiml.data.Dataset;
import ai.diffiml.data.DatasetReaders;
import ai.diffiml.data.DatasetSummary;
import ai.diffiml.data.MaskValues;
import ai.diffiml.data.Sample;
import ai.diffiml.data.benchmark.Benchmark;
import ai.diffiml.data.benchmark.BenchmarkConverter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code datasets}: look at datasets without a model. {@code check} prints what {@code eval} and {@code train} would
 * read ({@link DatasetSummary}), a few example pairs and how the masks store their values ({@link MaskValues});
 * {@code convert} turns a public benchmark in its release's layout into an IMDL-BenCo JSON list
 * ({@link BenchmarkConverter}).
 */
@Command(name = "datasets", mixinStandardHelpOptions = true,
        description = "Check datasets and convert the public benchmarks' release layouts into IMDL-BenCo JSON lists.",
        subcommands = {DatasetsCommand.Check.class, DatasetsCommand.Convert.class})
public final class DatasetsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand: check or convert");
    }

    /** {@code datasets check PATH...}. */
    @Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"For each dataset (any layout eval and train read): the layout detected, tampered and"
                    + " authentic images, masks missing or unmatched, image/mask size mismatches, a few example"
                    + " pairs and the masks' values (binary 0/255 or 0/1, grey levels, colour, alpha, empty after"
                    + " binarising, histogram)."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:every dataset was read and nothing is wrong with it",
                    "2:a dataset cannot be opened, or has missing, unmatched, unreadable, empty or 0/1 masks or"
                            + " size mismatches"})
    static final class Check implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "PATH",
                description = "Dataset folders or list files (IMDL-BenCo folder or JSON list, MVSS-Net list,"
                        + " paired-suffix folder, image folder).")
        private List<Path> paths;

        @Option(names = "--examples", paramLabel = "<n>", defaultValue = "3",
                description = "Example image/mask pairs shown per dataset. Default: ${DEFAULT-VALUE}.")
        private int examples;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            if (examples < 0) {
                return Main.fail(err, "--examples must be >= 0, got " + examples, Main.EXIT_USAGE);
            }
            boolean problems = false;
            for (Path path : paths) {
                Dataset d;
                try {
                    d = DatasetReaders.open(path);
                } catch (IOException e) {
                    Main.fail(err, e.getMessage(), Main.EXIT_USAGE);
                    problems = true;
                    continue;
                }
                DatasetSummary summary = DatasetSummary.of(path, d);
                summary.print(out);
                List<Sample> pairs = d.samples().stream().filter(Sample::tampered)
                        .filter(s -> Files.isRegularFile(s.mask())).toList();
                for (Sample s : pairs.subList(0, Math.min(examples, pairs.size()))) {
                    out.println("  example: " + s.image() + " <- " + s.mask());
                }
                MaskValues.Stats masks = MaskValues.of(pairs.stream().map(Sample::mask).toList());
                if (masks.masks() > 0) {
                    masks.lines().forEach(l -> out.println("  " + l));
                }
                out.flush();
                problems |= summary.hasProblems() || masks.hasProblems();
            }
            return problems ? Main.EXIT_USAGE : 0;
        }
    }

    /** {@code datasets convert --layout NAME SRC --out LIST.json}. */
    @Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Convert a public benchmark, in the layout its release ships, into an IMDL-BenCo JSON list"
                    + " [[image, mask | \"Negative\"], ...] plus LIST-report.txt (what could not be matched). Masks"
                    + " not stored as white-on-black (Columbia, NIST16, AutoSplice, FantasticReality) are written as"
                    + " 0/255 PNGs into --masks-out. The layouts read, and the sources they were checked against, are in"
                    + " the README's Datasets section."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:converted (unmatched files are in the report)",
                    "2:usage error: unknown layout, missing folder or reference file, nothing found"})
    static final class Convert implements Callable<Integer> {
        @Option(names = "--layout", required = true, paramLabel = "<name>",
                description = "The benchmark's layout: casia2, casia1, columbia, coverage, nist16, imd2020,"
                        + " autosplice or fantasticreality.")
        private String layout;

        @Parameters(index = "0", paramLabel = "SRC", description = "The benchmark's folder as its release unpacks.")
        private Path src;

        @Option(names = "--out", required = true, paramLabel = "<list.json>", description = "The list to write.")
        private Path out;

        @Option(names = "--absolute", description = "Absolute paths in the list (default: relative to its folder).")
        private boolean absolute;

        @Option(names = "--masks-out", paramLabel = "<dir>",
                description = "Where rewritten masks go. Default: <list name>-masks/ beside the list.")
        private Path masksOut;

        @Option(names = "--gt", paramLabel = "<dir>",
                description = "casia1/casia2: the ground-truth folder, when not at the release's place in SRC.")
        private Path groundTruth;

        @Option(names = "--reference", paramLabel = "<csv>",
                description = "nist16: the reference CSV. Default:"
                        + " SRC/reference/manipulation/NC2016-manipulation-ref.csv.")
        private Path reference;

        @Option(names = "--quality", paramLabel = "<q>", defaultValue = "100",
                description = "autosplice: which Forged_JPEG<q> set (100, 90 or 75). Default: ${DEFAULT-VALUE}.")
        private int quality;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            BenchmarkConverter.Result r;
            try {
                Benchmark b = Benchmark.parse(layout);
                r = BenchmarkConverter.convert(b, src, out,
                        new BenchmarkConverter.Options(absolute, masksOut, groundTruth, reference, quality));
                stdout.printf("%s: %d tampered, %d authentic, %d masks rewritten; %d could not be matched (see %s)%n",
                        r.list(), r.tampered(), r.authentic(), r.masksWritten(), r.unmatched().size(), r.report());
                for (String u : r.unmatched().subList(0, Math.min(3, r.unmatched().size()))) {
                    stdout.println("  " + u);
                }
                DatasetSummary.open(r.list()).print(stdout);
            } catch (IllegalArgumentException | IOException e) {
                return Main.fail(err, e.getMessage(), Main.EXIT_USAGE);
            }
            return 0;
        }
    }
}
