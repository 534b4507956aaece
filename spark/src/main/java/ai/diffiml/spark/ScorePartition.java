package ai.diffiml.spark;

import ai.diffiml.localize.Localization;
import ai.diffiml.localize.Localizer;
import ai.diffiml.localize.MapImages;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Scores one partition of {@code (path, content)} rows from the binaryFile source with the executor's
 * {@link Localizer} ({@link ExecutorLocalizers}), row by row as Spark pulls them. An image that cannot be decoded
 * or scored becomes a row with its {@code error} set: one bad file never fails the task. A model that cannot be
 * loaded does fail it (every row would fail the same way).
 */
final class ScorePartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final ScoringSettings settings;

    ScorePartition(ScoringSettings settings) {
        this.settings = settings;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> files) throws Exception {
        Localizer localizer = ExecutorLocalizers.get(settings.model(), settings.options());
        String model = localizer.description() + " [" + localizer.source() + "]";
        String json = settingsJson(settings);
        Configuration hadoop = settings.probabilityDir() == null ? null : new Configuration();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return files.hasNext();
            }

            @Override
            public Row next() {
                Row file = files.next();
                return score(localizer, file.getString(0), file.<byte[]>getAs(1), model, json, hadoop);
            }
        };
    }

    private Row score(Localizer localizer, String path, byte[] content, String model, String json,
            Configuration hadoop) {
        long start = System.nanoTime();
        try {
            if (content == null || content.length == 0) {
                throw new IOException("empty file");
            }
            Localization r = localizer.localize(content);
            String png = null;
            if (hadoop != null) {
                png = writeProbability(r, path, hadoop);
            }
            return ScoreTable.scored(path, r, (System.nanoTime() - start) / 1e6, model, json, png);
        } catch (Exception e) {
            String m = e.getMessage();
            String why = (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replace('\n', ' ');
            return ScoreTable.failed(path, (System.nanoTime() - start) / 1e6, model, json, why);
        }
    }

    /** Writes {@code <name>_<8 hex of the path's SHA-1>_prob.png} (the hash keeps same-named files apart). */
    private String writeProbability(Localization r, String path, Configuration hadoop) throws IOException {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(settings.probabilityDir(),
                stem + "_" + shortHash(path) + "_prob.png");
        byte[] png = MapImages.greyPng(MapImages.grey(r.probability(), 1f), r.width(), r.height());
        FileSystem fs = out.getFileSystem(hadoop);
        try (FSDataOutputStream o = fs.create(out, true)) {
            o.write(png);
        }
        return out.toString();
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String settingsJson(ScoringSettings s) {
        try {
            return new ObjectMapper().writeValueAsString(s.describe());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
