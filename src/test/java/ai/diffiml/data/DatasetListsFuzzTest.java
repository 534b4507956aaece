package ai.diffiml.data;

import ai.diffiml.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzing of the dataset list readers: the IMDL-BenCo JSON list ({@link DatasetReaders#bencoJson}) and the
 * MVSS-Net text list ({@link DatasetReaders#mvssList}). The claim: any file is read into samples or refused with a
 * {@link DatasetException} naming it; any other exception (e.g. a path the platform cannot represent) is a finding.
 * Corpus: {@code src/test/resources/ai/diffiml/data/DatasetListsFuzzTestInputs/<target>/}.
 */
class DatasetListsFuzzTest {
    @FuzzTest
    void bencoJsonListReadsOrRefuses(byte[] input) {
        try {
            DatasetReaders.bencoJson(FuzzFiles.write("list.json", input));
        } catch (DatasetException refused) {
            // the documented outcome for a bad file
        }
    }

    @FuzzTest
    void mvssListReadsOrRefuses(byte[] input) {
        try {
            DatasetReaders.mvssList(FuzzFiles.write("list.txt", input));
        } catch (DatasetException refused) {
            // the documented outcome for a bad file
        }
    }
}
