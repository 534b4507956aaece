package ai.diffiml.io;

import ai.diffiml.model.diffiml.ModelConfigs;
import ai.diffiml.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzing of the JSON descriptions the tool reads: a checkpoint's {@code checkpoint.json} ({@link Checkpoint#readMeta})
 * and a model config file ({@code info --model CONFIG.json}, {@link ModelConfigs#read}). The claim: any input is read
 * or refused with the parser's one documented exception ({@link WeightFileException}; for a config file an
 * {@link IllegalArgumentException}, the CLI's usage error); anything else is a finding. Corpus:
 * {@code src/test/resources/ai/diffiml/io/CheckpointJsonFuzzTestInputs/<target>/}.
 */
class CheckpointJsonFuzzTest {
    @FuzzTest
    void checkpointJsonReadsOrRefuses(byte[] input) throws IOException {
        Path dir = Files.createDirectories(FuzzFiles.dir().resolve("checkpoint"));
        Files.write(dir.resolve(Checkpoint.META_FILE), input);
        try {
            Checkpoint.readMeta(dir);
        } catch (WeightFileException refused) {
            // the documented outcome for a bad file
        }
    }

    @FuzzTest
    void modelConfigReadsOrRefuses(byte[] input) {
        Path file = FuzzFiles.write("config.json", input);
        try {
            ModelConfigs.read(file);
        } catch (IllegalArgumentException refused) {
            // the documented outcome for a bad file
        }
    }
}
