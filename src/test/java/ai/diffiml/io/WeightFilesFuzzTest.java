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
 * the fuzzer spends its inputs on the pickle, with two real storages it can reference). Safetensors and the pickle are
 * parsed from memory ({@link Safetensors#read(Path, byte[])}, {@link TorchCheckpoint#readPickle}: the same checks
 * as for a file, without writing, zipping and reopening every input); the zip target writes each input to a
 * scratch file on tmpfs, as {@link java.util.zip.ZipFile} reads only files. The claim each target
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

    private static final Path SAFETENSORS = Path.of("fuzz.safetensors");
    private static final Path PICKLE = Path.of("pickle.pth");

    @FuzzTest
    void safetensorsReadsOrRefuses(byte[] input) {
        try {
            Safetensors.Contents c = Safetensors.read(SAFETENSORS, input);
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

    /** The pickle as {@code archive/data.pkl} of a little-endian archive holding {@link #STORAGES}. */
    @FuzzTest
    void torchPickleReadsOrRefuses(byte[] input) {
        try {
            TorchCheckpoint.readPickle(PICKLE, "archive", input, STORAGES, ByteOrder.LITTLE_ENDIAN).stateDict();
        } catch (WeightFileException refused) {
            // the documented outcome for a bad file
        } catch (IOException e) {
            throw new AssertionError("not a WeightFileException: " + e, e);
        }
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
