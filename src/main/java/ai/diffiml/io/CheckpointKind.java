package ai.diffiml.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Which model a checkpoint folder holds, from the "format" field of its {@value Checkpoint#META_FILE}: a DiffIML
 * model ({@link Checkpoint}), the discriminative SegFormer baseline ({@link SegFormerCheckpoint}) or DiffForensics
 * ({@link DiffForensicsCheckpoint}). Lets a caller
 * pick the loader before loading; the loaders still validate everything.
 */
public enum CheckpointKind {
    /** {@value Checkpoint#FORMAT}: load with {@link Checkpoint#load}. */
    DIFFIML,
    /** {@value SegFormerCheckpoint#FORMAT}: load with {@link SegFormerCheckpoint#load}. */
    SEGFORMER,
    /** {@value DiffForensicsCheckpoint#FORMAT}: load with {@link DiffForensicsCheckpoint#load}. */
    DIFFFORENSICS;

    /**
     * The kind of checkpoint folder {@code dir}; a folder without a readable description, or with another
     * "format", is a one-line {@link WeightFileException} naming the file.
     */
    public static CheckpointKind of(Path dir) throws IOException {
        Path file = Checkpoint.existing(dir).resolve(Checkpoint.META_FILE);
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(Json.readBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new WeightFileException(file, "invalid JSON: " + Json.describe(e), e);
        }
        JsonNode format = tree == null ? null : tree.get("format");
        String name = format != null && format.isTextual() ? format.asText() : null;
        if (Checkpoint.FORMAT.equals(name)) {
            return DIFFIML;
        }
        if (SegFormerCheckpoint.FORMAT.equals(name)) {
            return SEGFORMER;
        }
        if (DiffForensicsCheckpoint.FORMAT.equals(name)) {
            return DIFFFORENSICS;
        }
        throw new WeightFileException(file, "not a checkpoint description of this build (\"format\" is " + format
                + ", expected \"" + Checkpoint.FORMAT + "\", \"" + SegFormerCheckpoint.FORMAT + "\" or \""
                + DiffForensicsCheckpoint.FORMAT + "\")");
    }
}
