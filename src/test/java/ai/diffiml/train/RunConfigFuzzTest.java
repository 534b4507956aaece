package ai.diffiml.train;

import ai.diffiml.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzing of a training run's {@code config.json} ({@link RunConfig#read}, what {@code train --resume} reads first).
 * The claim: any file is read or refused with an {@link IllegalArgumentException} naming it (the CLI's one-line
 * usage error); any other exception is a finding. Corpus:
 * {@code src/test/resources/ai/diffiml/train/RunConfigFuzzTestInputs/runConfigReadsOrRefuses/}.
 */
class RunConfigFuzzTest {
    @FuzzTest
    void runConfigReadsOrRefuses(byte[] input) {
        try {
            RunConfig.read(FuzzFiles.write(RunFolder.CONFIG, input));
        } catch (IllegalArgumentException refused) {
            // the documented outcome for a bad file
        }
    }
}
