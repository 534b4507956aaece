package ai.diffiml.io;

import ai.diffiml.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

/**
 * Fuzzing of the weight-file readers a user points the tool at: safetensors (header length, header JSON, dtypes,
 * shapes, offsets), the torch.save zip as a whole, and the restricted unpickler inside a well-formed zip (so that
 * the fuzzer spends its inputs on the pickle, with two real storages it can reference). The claim each target
 * checks: any input either reads or is refused with a {@link WeightFileException} (an {@link IOException}); any
 * other exception, an error (out of memory, stack overflow) or a hang is a finding. In a plain test run each target
 * replays its committed corpus ({@code src/test/resources/ai/diffiml/io/WeightFilesFuzzTestInputs/<target>/});
 * {@code scripts/fuzz.sh} runs a campaign.
 */
class WeightFilesFuzzTest {
    /** Two storages the fuzzed pickles can name: 6 float32 values and 4 int64 values. */
    private static final Map<String, byte[]> STORAGES = Map.of(
            "0", TorchZip.f32(ByteOrder.LITTLE_ENDIAN, 1f, -2f, 3.5f, 0f, Float.MIN_VALUE, 1e30f),
            "1", TorchZip.i64(7, -1, 0, Long.MAX_VALUE));

    @FuzzTest
    void safetensorsReadsOrRefuses(byte[] input) {
        Path file = FuzzFiles.write("fuzz.safetensors", input);
        try {
            Safetensors.Contents c = Safetensors.read(file);
            for (LoadedTensor t : c.tensors().values()) { // every value decoded and reachable
                long n = t.isInteger() ? t.longs().length : t.floats().length;
                if (n != t.numel()) {
                    throw new AssertionError(t + " holds " + n + " values");
                }
            }
        } catch (WeightFileException refused) {
            // the documented outcome for a bad file
        } catch (IOException e) {
            throw new AssertionError("not a WeightFileException: " + e, e);
        }
    }

    @FuzzTest
    void torchZipReadsOrRefuses(byte[] input) {
        readTorch(FuzzFiles.write("fuzz.pth", input));
    }

    @FuzzTest
    void torchPickleReadsOrRefuses(byte[] input) throws IOException {
        TorchZip zip = new TorchZip("archive");
        zip.put("data.pkl", input);
        zip.put("byteorder", TorchZip.ascii("little"));
        STORAGES.forEach((key, bytes) -> zip.put("data/" + key, bytes));
        zip.put("version", TorchZip.ascii("3\n"));
        Path file = FuzzFiles.dir().resolve("pickle.pth");
        zip.write(file);
        readTorch(file);
    }

    private static void readTorch(Path file) {
        try {
            TorchCheckpoint.read(file).stateDict();
        } catch (WeightFileException refused) {
            // the documented outcome for a bad file
        } catch (IOException e) {
            throw new AssertionError("not a WeightFileException: " + e, e);
        }
    }
}
