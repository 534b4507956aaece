package ai.diffiml.spark;

import java.util.List;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Corpus scoring: image files in (Spark's {@code binaryFile} source: a folder or a glob on any Hadoop file system),
 * one row of {@link ScoreTable} per file out.
 */
public final class ScoringJob {
    /**
     * Where the images are and how to split them.
     *
     * @param paths      folders, files or globs ({@code /data/*.jpg}, {@code hdfs:///corpus/**}, {@code s3a://b/x/})
     * @param filter     keep files whose name matches this glob (the source's {@code pathGlobFilter}), or null
     * @param recursive  descend into sub-folders (the source's {@code recursiveFileLookup})
     * @param partitions repartition the files into this many tasks (0: as Spark splits them)
     */
    public record Input(List<String> paths, String filter, boolean recursive, int partitions) {
        public Input {
            if (paths.isEmpty()) {
                throw new IllegalArgumentException("no image paths given");
            }
            if (partitions < 0) {
                throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
            }
            paths = List.copyOf(paths);
        }
    }

    private ScoringJob() {
    }

    /** The scores of {@code input}'s images (lazy: nothing runs until the result is written or collected). */
    public static Dataset<Row> score(SparkSession spark, Input input, ScoringSettings settings) {
        DataFrameReader reader = spark.read().format("binaryFile");
        if (input.filter() != null) {
            reader = reader.option("pathGlobFilter", input.filter());
        }
        if (input.recursive()) {
            reader = reader.option("recursiveFileLookup", "true");
        }
        Dataset<Row> files = reader.load(input.paths().toArray(String[]::new)).select("path", "content");
        if (input.partitions() > 0) {
            files = files.repartition(input.partitions());
        }
        return files.mapPartitions(new ScorePartition(settings), Encoders.row(ScoreTable.SCHEMA));
    }

    /** Scores {@code input}'s images and writes the table as Parquet to {@code table}. */
    public static void write(SparkSession spark, Input input, ScoringSettings settings, String table,
            boolean overwrite) {
        score(spark, input, settings).write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists)
                .parquet(table);
    }
}
