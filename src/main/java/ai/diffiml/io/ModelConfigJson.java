package ai.diffiml.io;

import ai.diffiml.model.ModelConfig;
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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON form of a {@link ModelConfig}: one field per record component, named as the component
 * ({@code {"variant": "b3", "resolution": 512, "condChannels": 128, ...}}). Reading is strict: every field must be
 * present and of its type (no strings for numbers, no fractions for integers), unknown fields and duplicate keys are
 * refused, and the record's own validation applies. Errors are {@link WeightFileException}s of one line naming the
 * file, the field and the problem. Checkpoints embed the same object (see {@link Checkpoint}).
 */
public final class ModelConfigJson {
    /** The mapper of every JSON file this package writes: strict on reading, indented on writing. */
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

    private ModelConfigJson() {}

    /** The config as an indented JSON object. */
    public static String toJson(ModelConfig config) {
        try {
            return MAPPER.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a model config as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The config in {@code json}; {@code source} names where it came from in error messages. */
    public static ModelConfig fromJson(String json, Path source) throws WeightFileException {
        return parse(source, json.getBytes(StandardCharsets.UTF_8), ModelConfig.class);
    }

    /** Reads a config file (a JSON object as {@link #toJson} writes it). */
    public static ModelConfig read(Path file) throws IOException {
        return parse(file, readBytes(file), ModelConfig.class);
    }

    /** Writes the config to {@code file} atomically (temporary sibling, flushed to disk, renamed over the file). */
    public static void write(Path file, ModelConfig config) throws IOException {
        byte[] bytes = (toJson(config) + "\n").getBytes(StandardCharsets.UTF_8);
        Safetensors.writeAtomically(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

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
        try {
            JsonNode tree = MAPPER.readTree(bytes);
            if (tree == null || !tree.isObject()) {
                throw new WeightFileException(file, "not a JSON object");
            }
            return MAPPER.treeToValue(tree, type);
        } catch (JsonProcessingException e) {
            throw new WeightFileException(file, (e instanceof StreamReadException ? "invalid JSON: "
                    : "invalid content: ") + describe(e), e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
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
