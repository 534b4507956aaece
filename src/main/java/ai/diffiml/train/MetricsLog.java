package ai.diffiml.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The metrics log of a run: one JSON object per line, flushed as it is written, each with a {@code "kind"}
 * ({@code "train"} for a step, {@code "val"} for a validation, {@code "vae"} for a stage-1 step) and the
 * {@code "step"} it belongs to. Non-finite numbers are left out of their record. On resume the log is cut back to
 * the records up to the checkpoint's step (the steps after it are trained again), so it never holds a step twice.
 */
public final class MetricsLog implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter out;

    private MetricsLog(BufferedWriter out) {
        this.out = out;
    }

    /**
     * Opens {@code file} for appending: with {@code keepThroughStep} &lt; 0 it starts empty; otherwise the records of
     * steps up to {@code keepThroughStep} are kept (and an unreadable last line, left by a crash, dropped).
     */
    public static MetricsLog open(Path file, long keepThroughStep) throws IOException {
        List<String> kept = new ArrayList<>();
        if (keepThroughStep >= 0) {
            for (JsonNode r : read(file)) {
                if (r.path("step").asLong(Long.MAX_VALUE) <= keepThroughStep) {
                    kept.add(JSON.writeValueAsString(r));
                }
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new MetricsLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /** Appends one record (values: numbers, strings, booleans); non-finite numbers are skipped. */
    public void append(Map<String, ?> record) {
        ObjectNode node = JSON.createObjectNode();
        record.forEach((k, v) -> {
            if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
                return;
            }
            node.set(k, JSON.valueToTree(v));
        });
        try {
            out.write(JSON.writeValueAsString(node));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the metrics log: " + e.getMessage(), e);
        }
    }

    /** The records of a metrics log, in order; a line that is not a JSON object is skipped; none if no file. */
    public static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        if (!Files.exists(file)) {
            return records;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                JsonNode n = JSON.readTree(line);
                if (n != null && n.isObject()) {
                    records.add(n);
                }
            } catch (JsonProcessingException e) {
                // a line cut short by a crash
            }
        }
        return records;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
