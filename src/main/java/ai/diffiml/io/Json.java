package ai.diffiml.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON side of the checkpoint format: one strict mapper and one-line error messages. Reading refuses unknown
 * fields, missing or null fields, duplicate keys, strings for numbers, fractions for integers and trailing content;
 * a record's own validation (e.g. {@link ai.diffiml.model.diffiml.ModelConfig}'s) applies, its message kept.
 * Records map component by component (a ModelConfig is {@code {"variant": "b3", "resolution": 512, ...}}, the form
 * {@link ai.diffiml.model.diffiml.ModelConfigs} reads too).
 */
final class Json {
    /** Strict on reading, indented on writing. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Json() {}

    static byte[] readBytes(Path file) throws WeightFileException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(file, "no such file", e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
    }

    /** {@code bytes} as a {@code type}, or a one-line error naming {@code file}. */
    static <T> T parse(Path file, byte[] bytes, Class<T> type) throws WeightFileException {
        return parse(file, bytes, type, java.util.Map.of());
    }

    /**
     * {@link #parse(Path, byte[], Class)}, first giving the object in the top-level {@code config} field the values
     * of {@code configDefaults} it lacks (record components added after older files were written).
     */
    static <T> T parse(Path file, byte[] bytes, Class<T> type, java.util.Map<String, Object> configDefaults)
            throws WeightFileException {
        try {
            JsonNode tree = MAPPER.readTree(bytes);
            if (tree == null || !tree.isObject()) {
                throw new WeightFileException(file, "not a JSON object");
            }
            if (tree.get("config") instanceof com.fasterxml.jackson.databind.node.ObjectNode config) {
                fillMissing(config, configDefaults);
            }
            return MAPPER.treeToValue(tree, type);
        } catch (JsonProcessingException e) {
            throw new WeightFileException(file, (e instanceof StreamReadException ? "invalid JSON: "
                    : "invalid content: ") + describe(e), e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
    }

    /** Puts each of {@code defaults} that {@code node} lacks into it. */
    public static void fillMissing(com.fasterxml.jackson.databind.node.ObjectNode node,
            java.util.Map<String, Object> defaults) {
        defaults.forEach((name, value) -> {
            if (!node.has(name)) {
                node.set(name, MAPPER.valueToTree(value));
            }
        });
    }

    /** One line: what is wrong, the field path (config.resolution, tensors[3].shape) and the position if known. */
    static String describe(JsonProcessingException e) {
        String what = e.getOriginalMessage();
        if (e instanceof ValueInstantiationException && e.getCause() != null && e.getCause().getMessage() != null) {
            what = e.getCause().getMessage(); // the record's own validation message
        }
        // Jackson's hints about its own settings say nothing to someone fixing the file.
        what = oneLine(what).replaceAll("; `DeserializationFeature\\.\\w+` enabled", "")
                .replaceAll(" \\((but|as) [^()]*`CoercionConfig`[^()]*\\)", "");
        StringBuilder out = new StringBuilder(what);
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            out.append(" (at ").append(path(m.getPath())).append(')');
        } else {
            JsonLocation loc = e.getLocation();
            if (loc != null && loc.getLineNr() > 0) {
                out.append(" (line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr())
                        .append(')');
            }
        }
        return out.toString();
    }

    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder p = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (p.length() > 0) {
                    p.append('.');
                }
                p.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                p.append('[').append(r.getIndex()).append(']');
            }
        }
        return p.toString();
    }

    static String oneLine(String s) {
        return s == null ? "(no detail)" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
