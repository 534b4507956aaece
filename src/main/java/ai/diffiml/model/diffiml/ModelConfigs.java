package ai.diffiml.model.diffiml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a {@link ModelConfig} comes from on the command line: a preset name ({@code paper}, or {@code b0}..{@code b5}
 * for the paper's config with that encoder variant) or a JSON file. The file holds either a ModelConfig object
 * (every record component by name) or an object with a {@code config} field holding one, as a checkpoint's
 * {@code checkpoint.json} does; a directory stands for the {@code checkpoint.json} inside it.
 */
public final class ModelConfigs {
    /** The file a checkpoint folder keeps its config in. */
    public static final String CHECKPOINT_JSON = "checkpoint.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private ModelConfigs() {}

    /** The preset called {@code name} (case-insensitive), if there is one. */
    public static Optional<ModelConfig> preset(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("paper")) {
            return Optional.of(ModelConfig.paper());
        }
        if (n.matches("b[0-5]")) {
            return Optional.of(ModelConfig.paper().withVariant(n));
        }
        return Optional.empty();
    }

    /**
     * A preset name, or else a path to a JSON file (or a checkpoint directory).
     *
     * @throws IllegalArgumentException with a one-line message naming the file and the problem
     */
    public static ModelConfig resolve(String spec) {
        Optional<ModelConfig> p = preset(spec);
        return p.isPresent() ? p.get() : read(Path.of(spec));
    }

    /**
     * Reads a config from a JSON file, or from {@code checkpoint.json} in a directory.
     *
     * @throws IllegalArgumentException with a one-line message naming the file and the problem
     */
    public static ModelConfig read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve(CHECKPOINT_JSON) : path;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file (expected a preset paper, b0..b5, a JSON"
                    + " model config, or a checkpoint folder with " + CHECKPOINT_JSON + ")");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + oneLine(String.valueOf(e.getMessage())));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object holding a model config");
        }
        JsonNode node = root.has("config") && !root.has("variant") ? root.get("config") : root;
        if (!node.isObject()) {
            throw new IllegalArgumentException(file + ": the 'config' field is not an object");
        }
        List<String> fields = new ArrayList<>();
        for (RecordComponent rc : ModelConfig.class.getRecordComponents()) {
            fields.add(rc.getName());
        }
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            ModelConfig.ADDED_COMPONENTS.forEach((name, value) -> {
                if (!o.has(name)) {
                    o.set(name, JSON.valueToTree(value));
                }
            });
        }
        List<String> missing = new ArrayList<>(fields), unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(f -> {
            if (!missing.remove(f)) {
                unknown.add(f);
            }
        });
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            throw new IllegalArgumentException(file + ": not a model config:"
                    + (missing.isEmpty() ? "" : " missing " + String.join(", ", missing) + ";")
                    + (unknown.isEmpty() ? "" : " unknown " + String.join(", ", unknown) + ";")
                    + " a model config has " + String.join(", ", fields));
        }
        try {
            return JSON.treeToValue(node, ModelConfig.class);
        } catch (JsonProcessingException e) {
            // The record's own validation arrives as the cause; Jackson's wording otherwise.
            Throwable cause = e.getCause();
            String why = cause instanceof IllegalArgumentException ? cause.getMessage() : e.getOriginalMessage();
            if (e instanceof JsonMappingException m && !m.getPath().isEmpty()
                    && m.getPath().get(m.getPath().size() - 1).getFieldName() != null) {
                why = "field '" + m.getPath().get(m.getPath().size() - 1).getFieldName() + "': " + why;
            }
            throw new IllegalArgumentException(file + ": not a model config: " + oneLine(why));
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
