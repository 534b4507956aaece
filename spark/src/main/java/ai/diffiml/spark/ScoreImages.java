package ai.diffiml.spark;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code spark-submit --class ai.diffiml.spark.ScoreImages --jars diffiml-native.jar diffiml-spark.jar IMAGES...
 * --out TABLE --run DIR}: scores every image with a trained model and writes a Parquet table
 * ({@link ScoreTable}). Exit codes: 0 done (unreadable images are rows with an error, not a failure), 2 usage
 * error, 1 the job failed.
 */
@Command(name = "diffiml-spark", mixinStandardHelpOptions = true,
        description = "Score images on Apache Spark with a trained DiffIML (or SegFormer) model: one Parquet row per"
                + " image (scores, tampered fraction, bounding box, timings, model, settings, error).")
public final class ScoreImages implements Callable<Integer> {
    @Parameters(paramLabel = "IMAGES", arity = "1..*",
            description = "Folders, files or globs on any Hadoop file system ('/data/*.jpg', hdfs:///corpus,"
                    + " s3a://bucket/photos/).")
    private List<String> images;

    @Option(names = "--out", required = true, paramLabel = "<table>", description = "The Parquet table to write.")
    private String out;

    static final class Model {
        @Option(names = "--run", paramLabel = "<dir>", required = true,
                description = "A training run folder (its best/ checkpoint, else last/), readable on every executor.")
        String run;

        @Option(names = "--checkpoint", paramLabel = "<dir>", required = true,
                description = "A checkpoint folder, readable on every executor.")
        String checkpoint;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Model model;

    @Option(names = "--steps", defaultValue = "8", description = "DDIM steps. Default: ${DEFAULT-VALUE}.")
    private int steps;

    @Option(names = "--ensemble", defaultValue = "5", description = "Chains averaged. Default: ${DEFAULT-VALUE}.")
    private int ensemble;

    @Option(names = "--tta", description = "Flip test-time augmentation.")
    private boolean tta;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed. Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--threshold", defaultValue = "0.5",
            description = "Probability above which a pixel counts as tampered. Default: ${DEFAULT-VALUE}.")
    private float threshold;

    @Option(names = "--tile", description = "Overlapping tiles at native resolution instead of resizing.")
    private boolean tile;

    @Option(names = "--tile-overlap", defaultValue = "0.25", description = "Least tile overlap. Default: ${DEFAULT-VALUE}.")
    private double tileOverlap;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or cuda. Default: ${DEFAULT-VALUE}.")
    private String device;

    @Option(names = "--probability-pngs", paramLabel = "<dir>",
            description = "Also write each probability map as <name>_<hash>_prob.png into this folder.")
    private String probabilityDir;

    @Option(names = "--filter", paramLabel = "<glob>", description = "Only files whose name matches, e.g. '*.jpg'.")
    private String filter;

    @Option(names = "--recursive", description = "Descend into sub-folders.")
    private boolean recursive;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Repartition the files into this many tasks (0: as Spark splits them).")
    private int partitions;

    @Option(names = "--overwrite", description = "Replace the table if it exists.")
    private boolean overwrite;

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ScoreImages()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        ScoringSettings settings;
        ScoringJob.Input input;
        try {
            settings = new ScoringSettings(model.run != null ? model.run : model.checkpoint, device, steps, ensemble,
                    tta, seed, threshold, tile, tileOverlap, probabilityDir);
            input = new ScoringJob.Input(images, filter, recursive, partitions);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        SparkSession spark = SparkSession.builder().appName("diffiml-spark score").getOrCreate();
        long start = System.nanoTime();
        ScoringJob.write(spark, input, settings, out, overwrite);
        double seconds = (System.nanoTime() - start) / 1e9;
        Dataset<Row> table = spark.read().parquet(out);
        Row counts = table.agg(functions.count("*"), functions.count("error")).first();
        long rows = counts.getLong(0), errors = counts.getLong(1);
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "scored %d images (%d unreadable) in %.1f s, %.3f images/s: %s%n", rows - errors,
                errors, seconds, rows / seconds, out);
        o.flush();
        return 0;
    }
}
