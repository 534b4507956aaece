package ai.diffiml.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import ai.diffiml.testing.Rand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** A file of the given header JSON (unpadded) and data section, built byte by byte. */
    private Path raw(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        Path file = dir.resolve(name);
        Files.write(file, out.toByteArray());
        return file;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void roundTripKeepsNamesShapesValuesOrderAndMetadata() throws IOException {
        Rand r = new Rand(11);
        List<LoadedTensor> tensors = List.of(
                LoadedTensor.ofFloats("b.weight", new int[] {3, 5, 7}, r.normal(105)),
                LoadedTensor.ofFloats("a.bias", new int[] {13}, r.uniform(13, -3, 3)),
                LoadedTensor.ofFloats("scalar", new int[0], new float[] {Float.NaN}),
                LoadedTensor.ofFloats("empty", new int[] {0, 4}, new float[0]),
                LoadedTensor.ofLongs("timesteps", new int[] {4}, new long[] {875, -1, 0, Long.MAX_VALUE}),
                LoadedTensor.ofFloats("tail", new int[] {2, 1}, new float[] {Float.MIN_VALUE, -0f}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcode, \"quotes\"\nand a newline");
        Path file = dir.resolve("round.safetensors");
        Safetensors.write(file, tensors, meta);

        Safetensors.Contents back = Safetensors.read(file);
        assertEquals(meta, back.metadata());
        assertEquals(List.of("b.weight", "a.bias", "scalar", "empty", "timesteps", "tail"),
                List.copyOf(back.tensors().keySet()));
        for (LoadedTensor t : tensors) {
            LoadedTensor b = back.get(t.name());
            assertEquals(t.name(), b.name());
            assertArrayEquals(t.shape(), b.shape(), t.name());
            assertEquals(t.isInteger(), b.isInteger(), t.name());
            if (t.isInteger()) {
                assertArrayEquals(t.longs(), b.longs(), t.name());
            } else {
                // bit-exact, NaN and -0 included
                for (int i = 0; i < t.numel(); i++) {
                    assertEquals(Float.floatToRawIntBits(t.floats()[i]), Float.floatToRawIntBits(b.floats()[i]));
                }
            }
        }
    }

    @Test
    void bytesInMemoryReadAsTheFileDoes() throws IOException {
        Rand r = new Rand(12);
        // one tensor larger than the 1 MiB read chunk, so that both sources are read in several pieces
        Path file = dir.resolve("memory.safetensors");
        Safetensors.write(file, List.of(LoadedTensor.ofFloats("big", new int[] {300_001}, r.normal(300_001)),
                LoadedTensor.ofLongs("n", new int[] {2}, new long[] {-5, Long.MIN_VALUE}),
                LoadedTensor.ofFloats("small", new int[] {3}, new float[] {1, Float.NaN, -0f})), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(file);
        Safetensors.Contents fromFile = Safetensors.read(file);
        Safetensors.Contents fromBytes = Safetensors.read(Path.of("named.safetensors"), bytes);
        assertEquals(Path.of("named.safetensors"), fromBytes.file());
        assertEquals(fromFile.metadata(), fromBytes.metadata());
        assertEquals(List.copyOf(fromFile.tensors().keySet()), List.copyOf(fromBytes.tensors().keySet()));
        for (LoadedTensor a : fromFile.tensors().values()) {
            LoadedTensor b = fromBytes.get(a.name());
            assertArrayEquals(a.shape(), b.shape(), a.name());
            if (a.isInteger()) {
                assertArrayEquals(a.longs(), b.longs(), a.name());
            } else {
                for (int i = 0; i < a.numel(); i++) {
                    assertEquals(Float.floatToRawIntBits(a.floats()[i]), Float.floatToRawIntBits(b.floats()[i]));
                }
            }
        }
        WeightFileException cut = assertThrows(WeightFileException.class,
                () -> Safetensors.read(Path.of("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 1)));
        assertTrue(cut.getMessage().contains("cut.safetensors") && cut.getMessage().contains("tensor 'small'")
                && cut.getMessage().contains("run past the end of the data section"), cut.getMessage());
    }

    @Test
    void writtenFileHasTheStandardLayout() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        Safetensors.write(file, List.of(LoadedTensor.ofFloats("x", new int[] {2}, new float[] {1.5f, -2f}),
                LoadedTensor.ofLongs("n", new int[] {1}, new long[] {300})), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, n % 8, "header padded to 8 bytes");
        assertEquals(8 + n + 8 + 8, bytes.length);
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("v", header.get("__metadata__").get("k").asText());
        assertEquals("F32", header.get("x").get("dtype").asText());
        assertEquals("[0,8]", header.get("x").get("data_offsets").toString());
        assertEquals("I64", header.get("n").get("dtype").asText());
        assertEquals("[8,16]", header.get("n").get("data_offsets").toString());
        int data = (int) (8 + n);
        assertEquals(1.5f, b.getFloat(data));
        assertEquals(-2f, b.getFloat(data + 4));
        assertEquals(300L, b.getLong(data + 8));
    }

    @Test
    void readsEverySupportedDtype() throws IOException {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[6,10]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[10,26]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[26,34]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[34,42]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[42,46]}}";
        Path file = raw("types.safetensors", header, concat(TorchZip.u16(0x3C00, 0xB800, 0x03FF),
                TorchZip.u16(0x4049, 0xBF80), TorchZip.f64(0.25, 1e-50), TorchZip.i32(-2, Integer.MAX_VALUE),
                TorchZip.i64(-(1L << 50)), TorchZip.f32(ByteOrder.LITTLE_ENDIAN, 9.5f)));
        Safetensors.Contents c = Safetensors.read(file);
        assertTrue(c.metadata().isEmpty());
        // 0x03FF is the largest half subnormal: 1023 * 2^-24.
        assertArrayEquals(new float[] {1f, -0.5f, 1023 * 0x1p-24f}, c.get("h").floats());
        assertEquals(FileDType.F16, c.get("h").storedAs());
        assertArrayEquals(new float[] {3.140625f, -1f}, c.get("bf").floats());
        assertArrayEquals(new float[] {0.25f, 0f}, c.get("d").floats());
        assertArrayEquals(new long[] {-2, Integer.MAX_VALUE}, c.get("i").longs());
        assertArrayEquals(new long[] {-(1L << 50)}, c.get("l").longs());
        assertEquals(0, c.get("l").rank());
        assertArrayEquals(new float[] {9.5f}, c.get("f").floats());
        WeightFileException missing = assertThrows(WeightFileException.class, () -> c.get("nope"));
        assertTrue(missing.getMessage().contains("no tensor named 'nope'"), missing.getMessage());
    }

    // ---- validation ----

    private WeightFileException readFails(Path file, String... parts) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
        }
        return e;
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin
                + "," + end + "]}";
    }

    @Test
    void rejectsAFileTooShortForTheHeaderLength() throws IOException {
        Path file = dir.resolve("tiny.safetensors");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        readFails(file, "5 bytes, too short");
        readFails(dir.resolve("absent.safetensors"), "no such file");
        readFails(dir, "cannot read");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile() throws IOException {
        Path file = dir.resolve("len.safetensors");
        Files.write(file, concat(TorchZip.i64(1000), "{}".getBytes(StandardCharsets.UTF_8)));
        readFails(file, "header length 1000 does not fit in the file (10 bytes)");
        Files.write(file, concat(TorchZip.i64(-1), "{}".getBytes(StandardCharsets.UTF_8)));
        readFails(file, "header length 18446744073709551615 does not fit");
    }

    @Test
    void rejectsAHeaderThatIsNotAJsonObject() throws IOException {
        readFails(raw("bad1.safetensors", "{\"a\": [", new byte[0]), "header is not valid JSON");
        readFails(raw("bad2.safetensors", "[1, 2]", new byte[0]), "header is not a JSON object");
        readFails(raw("bad3.safetensors", "{} {}", new byte[0]), "header is not valid JSON");
        readFails(raw("bad4.safetensors", "{\"__metadata__\": {\"n\": 3}}", new byte[0]),
                "__metadata__ value of 'n' is not a string");
        readFails(raw("bad5.safetensors", "{" + entry("w", "F32", "[1]", 0, 4) + "," + entry("w", "F32", "[1]", 4, 8)
                + "}", new byte[8]), "Duplicate field 'w'");
    }

    @Test
    void rejectsDataTruncatedFromTheEnd() throws IOException {
        Path file = dir.resolve("trunc.safetensors");
        Safetensors.write(file, List.of(LoadedTensor.ofFloats("first", new int[] {4}, new float[4]),
                LoadedTensor.ofFloats("second", new int[] {2, 2}, new float[] {1, 2, 3, 4})));
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length - 3));
        readFails(file, "tensor 'second'", "data_offsets [16, 32] run past the end of the data section (29 bytes)");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        readFails(raw("o1.safetensors", "{" + entry("w", "F32", "[2]", 8, 16) + "}", new byte[8]),
                "tensor 'w'", "run past the end of the data section (8 bytes)");
        readFails(raw("o2.safetensors", "{" + entry("w", "F32", "[1]", 8, 4) + "}", new byte[8]),
                "tensor 'w'", "end before they begin");
        readFails(raw("o3.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
                new byte[8]), "tensor 'w'", "not a non-negative integer");
        readFails(raw("o4.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
                new byte[8]), "tensor 'w'", "must be an array [begin, end]");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        readFails(raw("overlap.safetensors", "{" + entry("a", "F32", "[3]", 0, 12) + ","
                + entry("b", "F32", "[2]", 8, 16) + "}", new byte[16]),
                "tensor 'b' data_offsets [8, 16] overlap tensor 'a' [0, 12]");
    }

    @Test
    void rejectsOffsetsThatDoNotMatchTheShape() throws IOException {
        readFails(raw("size.safetensors", "{" + entry("w", "F32", "[2,3]", 0, 20) + "}", new byte[24]),
                "tensor 'w'", "span 20 bytes but shape [2, 3] of F32 needs 24");
        readFails(raw("size16.safetensors", "{" + entry("h", "BF16", "[4]", 0, 16) + "}", new byte[16]),
                "tensor 'h'", "span 16 bytes but shape [4] of BF16 needs 8");
        readFails(raw("neg.safetensors", "{" + entry("w", "F32", "[-1]", 0, 0) + "}", new byte[0]),
                "tensor 'w'", "\"shape\" holds -1");
        readFails(raw("frac.safetensors", "{" + entry("w", "F32", "[1.5]", 0, 4) + "}", new byte[4]),
                "tensor 'w'", "\"shape\" holds 1.5");
    }

    @Test
    void rejectsUnknownDtypes() throws IOException {
        readFails(raw("f128.safetensors", "{" + entry("w", "F128", "[1]", 0, 16) + "}", new byte[16]),
                "tensor 'w'", "unknown or unsupported dtype \"F128\"");
        readFails(raw("u8.safetensors", "{" + entry("m", "U8", "[4]", 0, 4) + "}", new byte[4]),
                "tensor 'm'", "dtype \"U8\"");
        readFails(raw("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'w'", "missing or non-string \"dtype\"");
    }

    // ---- atomic writing ----

    private List<Path> folderListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.sorted().toList());
        }
    }

    @Test
    void overwritingReplacesTheWholeFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("w.safetensors");
        Safetensors.write(file, List.of(LoadedTensor.ofFloats("big", new int[] {1000}, new float[1000])));
        Safetensors.write(file, List.of(LoadedTensor.ofFloats("small", new int[] {1}, new float[] {4f})));
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(List.of("small"), List.copyOf(c.tensors().keySet()));
        assertEquals(List.of(file), folderListing());
    }

    @Test
    void aFailedWriteLeavesTheTargetAndTheFolderAsTheyWere() throws IOException {
        // The target is a non-empty folder: the final rename fails after all the data was written.
        Path target = dir.resolve("target.safetensors");
        Files.createDirectory(target);
        Path inside = Files.writeString(target.resolve("keep.txt"), "keep");
        WeightFileException e = assertThrows(WeightFileException.class, () -> Safetensors.write(target,
                List.of(LoadedTensor.ofFloats("x", new int[] {3}, new float[] {1, 2, 3}))));
        assertTrue(e.getMessage().startsWith(target + ": write failed, file left unchanged"), e.getMessage());
        assertEquals(List.of(target), folderListing());
        assertEquals("keep", Files.readString(inside));
    }

    @Test
    void invalidInputWritesNothing() throws IOException {
        Path file = dir.resolve("dup.safetensors");
        LoadedTensor x = LoadedTensor.ofFloats("x", new int[] {1}, new float[] {1});
        WeightFileException e = assertThrows(WeightFileException.class, () -> Safetensors.write(file, List.of(x, x)));
        assertTrue(e.getMessage().contains("tensor name 'x' is empty, reserved or repeated"), e.getMessage());
        assertThrows(WeightFileException.class, () -> Safetensors.write(file,
                List.of(x.withName(Safetensors.METADATA_KEY))));
        assertEquals(List.of(), folderListing());
    }

    // ---- LoadedTensor ----

    @Test
    void loadedTensorsConvertToDeviceTensorsAndBack() {
        Rand r = new Rand(5);
        float[] v = r.uniform(3 * 7, -1, 1);
        LoadedTensor t = LoadedTensor.ofFloats("w", new int[] {3, 7}, v);
        try (Scope s = Scope.open()) {
            Tensor dev = t.toTensor(Device.CPU);
            assertArrayEquals(new int[] {3, 7}, dev.shape());
            assertArrayEquals(v, dev.toArray(), 0f);
            LoadedTensor back = LoadedTensor.of("copy", dev);
            assertArrayEquals(v, back.floats(), 0f);
            assertEquals("copy", back.name());
        }
        LoadedTensor ints = LoadedTensor.ofLongs("t", new int[] {3}, new long[] {875, -3, 1 << 24});
        assertArrayEquals(new float[] {875, -3, 1 << 24}, ints.toFloats());
        IllegalStateException notExact = assertThrows(IllegalStateException.class,
                () -> LoadedTensor.ofLongs("t", new int[] {1}, new long[] {(1 << 24) + 1}).toFloats());
        assertTrue(notExact.getMessage().contains("16777217"), notExact.getMessage());
        assertThrows(IllegalStateException.class, ints::floats);
        assertThrows(IllegalStateException.class, t::longs);
        assertThrows(IllegalArgumentException.class, () -> LoadedTensor.ofFloats("w", new int[] {2, 2}, v));
    }

    // ---- the parity reference file ----

    @Test
    void readsTheParityReferenceFile() throws IOException {
        Path folder = ai.diffiml.testing.SharedData.parityDir();
        Path file = folder == null ? null : folder.resolve("diffiml_b0_128_io.safetensors");
        Assumptions.assumeTrue(file != null && Files.isRegularFile(file), "parity reference file not present");
        Safetensors.Contents c = Safetensors.read(file);
        // 101 header entries: 100 tensors and __metadata__.
        assertEquals(100, c.tensors().size());
        assertFalse(c.tensors().containsKey(Safetensors.METADATA_KEY));
        assertArrayEquals(new int[] {1, 128, 16, 16}, c.get("cond").shape());
        assertEquals(FileDType.F32, c.get("cond").storedAs());
        LoadedTensor steps = c.get("ddim.timesteps");
        assertEquals(FileDType.I64, steps.storedAs());
        assertArrayEquals(new long[] {875, 750, 625, 500, 375, 250, 125, 0}, steps.longs());
        assertTrue(c.metadata().containsKey("config"), "metadata keys " + c.metadata().keySet());
        float[] cond = c.get("cond").floats();
        double sumSq = 0;
        for (float x : cond) {
            assertTrue(Float.isFinite(x));
            sumSq += x * x;
        }
        assertTrue(sumSq > 0, "cond is not all zeros");
    }

    @Test
    void readsTheParityWeightAndGradientFiles() throws IOException {
        Path folder = ai.diffiml.testing.SharedData.parityDir();
        Assumptions.assumeTrue(folder != null, "parity folder not present");
        for (String name : List.of("diffiml_b0_128_weights.safetensors", "diffiml_b0_128_grads.safetensors")) {
            Path file = folder.resolve(name);
            Assumptions.assumeTrue(Files.isRegularFile(file), name + " not present");
            Safetensors.Contents c = Safetensors.read(file);
            assertFalse(c.tensors().isEmpty(), name);
            for (LoadedTensor t : c.tensors().values()) {
                assertEquals(FileDType.F32, t.storedAs(), name + " " + t.name());
            }
        }
    }

    @Test
    void corruptedHeadersFailWithAWeightFileExceptionOnly() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Rand r = new Rand(3);
        Safetensors.write(good, List.of(LoadedTensor.ofFloats("a", new int[] {3, 4}, r.normal(12)),
                LoadedTensor.ofLongs("b", new int[] {2}, new long[] {1, 2}),
                LoadedTensor.ofFloats("c", new int[] {5}, r.normal(5))), Map.of("k", "v"));
        byte[] bytes = Files.readAllBytes(good);
        int headerEnd = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] bad = bytes.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                // half the trials write JSON-ish characters, to get past the parser more often
                String jsonish = "0123456789,[]{}-\"";
                bad[random.nextInt(headerEnd)] = (byte) (trial % 2 == 0 ? random.nextInt(256)
                        : jsonish.charAt(random.nextInt(jsonish.length())));
            }
            Path file = dir.resolve("fuzz" + trial + ".safetensors");
            Files.write(file, bad);
            try {
                Safetensors.read(file);
            } catch (WeightFileException e) { // anything else fails the test
                assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 100, refused + " of 300 corrupted headers refused");
    }
}
