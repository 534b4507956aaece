package ai.diffiml.spark;

import ai.diffiml.localize.Localization;
import ai.diffiml.localize.StageTimings;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet table the job writes, one row per image file. An image that could not be read or scored has its
 * {@code error} set and null measurements; every other row has {@code error} null.
 * <ul>
 *   <li>{@code path}: the file, as Spark's binaryFile source names it (a URI: file:, hdfs:, s3a:);</li>
 *   <li>{@code width}, {@code height}: the image's size in pixels;</li>
 *   <li>{@code score_max}, {@code score_mean}: the image-level scores (maximum and mean probability), as
 *       {@code predict}'s {@code predictions.jsonl};</li>
 *   <li>{@code tampered_fraction}: the fraction of pixels whose probability is above the threshold;</li>
 *   <li>{@code bbox_x_min}, {@code bbox_y_min}, {@code bbox_x_max}, {@code bbox_y_max}: the bounding box of those
 *       pixels, inclusive pixel coordinates (null when there are none);</li>
 *   <li>{@code preprocess_ms} ... {@code postprocess_ms}: the localizer's stage timings, {@code total_ms} their
 *       sum, {@code wall_ms} the whole row on the executor;</li>
 *   <li>{@code model}: the model and its sampling (one line) and its checkpoint folder; {@code settings}: the
 *       settings as JSON;</li>
 *   <li>{@code probability_png}: where the probability map was written, or null;</li>
 *   <li>{@code error}: why the image has no scores, or null.</li>
 * </ul>
 */
public final class ScoreTable {
    public static final StructType SCHEMA = DataTypes.createStructType(new StructField[] {
        field("path", DataTypes.StringType, false),
        field("width", DataTypes.IntegerType, true),
        field("height", DataTypes.IntegerType, true),
        field("score_max", DataTypes.DoubleType, true),
        field("score_mean", DataTypes.DoubleType, true),
        field("tampered_fraction", DataTypes.DoubleType, true),
        field("bbox_x_min", DataTypes.IntegerType, true),
        field("bbox_y_min", DataTypes.IntegerType, true),
        field("bbox_x_max", DataTypes.IntegerType, true),
        field("bbox_y_max", DataTypes.IntegerType, true),
        field("preprocess_ms", DataTypes.DoubleType, true),
        field("queue_ms", DataTypes.DoubleType, true),
        field("encoder_ms", DataTypes.DoubleType, true),
        field("sampling_ms", DataTypes.DoubleType, true),
        field("decode_ms", DataTypes.DoubleType, true),
        field("postprocess_ms", DataTypes.DoubleType, true),
        field("total_ms", DataTypes.DoubleType, true),
        field("wall_ms", DataTypes.DoubleType, false),
        field("model", DataTypes.StringType, true),
        field("settings", DataTypes.StringType, false),
        field("probability_png", DataTypes.StringType, true),
        field("error", DataTypes.StringType, true),
    });

    private ScoreTable() {
    }

    private static StructField field(String name, DataType type, boolean nullable) {
        return DataTypes.createStructField(name, type, nullable);
    }

    /** The row of a scored image. */
    static Row scored(String path, Localization r, double wallMs, String model, String settings, String png) {
        int w = r.width(), h = r.height();
        byte[] mask = r.mask();
        long over = 0;
        int x0 = Integer.MAX_VALUE, y0 = Integer.MAX_VALUE, x1 = -1, y1 = -1;
        for (int y = 0, i = 0; y < h; y++) {
            for (int x = 0; x < w; x++, i++) {
                if (mask[i] != 0) {
                    over++;
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x);
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y);
                }
            }
        }
        boolean box = over > 0;
        StageTimings t = r.timings();
        return RowFactory.create(path, w, h, r.scoreMax(), r.scoreMean(), over / (double) ((long) w * h),
                box ? x0 : null, box ? y0 : null, box ? x1 : null, box ? y1 : null,
                t.preprocessMs(), t.queueMs(), t.encoderMs(), t.samplingMs(), t.decodeMs(), t.postprocessMs(),
                t.totalMs(), wallMs, model, settings, png, null);
    }

    /** The row of an image that could not be scored. */
    static Row failed(String path, double wallMs, String model, String settings, String error) {
        return RowFactory.create(path, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, wallMs, model, settings, null, error);
    }
}
