package ai.diffiml.io;

import static ai.diffiml.io.TorchZip.f32;
import static ai.diffiml.io.TorchZip.f64;
import static ai.diffiml.io.TorchZip.i32;
import static ai.diffiml.io.TorchZip.i64;
import static ai.diffiml.io.TorchZip.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.diffiml.backend.Device;
import ai.diffiml.io.PickleWriter.Call;
import ai.diffiml.io.PickleWriter.Global;
import ai.diffiml.io.PickleWriter.OrderedDict;
import ai.diffiml.io.PickleWriter.Parameter;
import ai.diffiml.io.PickleWriter.Storage;
import ai.diffiml.io.PickleWriter.TensorRef;
import ai.diffiml.io.PickleWriter.Tuple;
import ai.diffiml.tensor.Scope;
import ai.diffiml.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TorchCheckpointTest {
    @TempDir
    Path dir;

    // Storage contents. Half and bfloat16 bit patterns with their exact values, worked out by hand.
    private static final float[] BASE = {0.5f, -1.25f, 2f, 3.75f, -4f, 5.5f};
    private static final float[] SHARED = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    private static final int[] HALF_BITS = {0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001, 0x8000, 0x7C00};
    private static final float[] HALF_VALUES = {1f, -2f, 0.333251953125f, 65504f, 0x1p-24f, -0f,
        Float.POSITIVE_INFINITY};
    private static final int[] BF16_BITS = {0x3F80, 0xC040, 0x3FC0, 0x4049};
    private static final float[] BF16_VALUES = {1f, -3f, 1.5f, 3.140625f};

    /**
     * What {@code model.state_dict()} of a small module holds, as torch.save pickles it: an OrderedDict with a
     * {@code _metadata} attribute; a contiguous weight; a transposed (non-contiguous) weight; two tensors viewing
     * one shared storage at different offsets; half, bfloat16, double, int64 (BatchNorm's num_batches_tracked, a
     * 0-d tensor) and int32 storages.
     */
    private static OrderedDict stateDict(ByteOrder order) {
        Storage base = new Storage("0", "FloatStorage", 6, f32(order, BASE));
        Storage transposedBase = new Storage("1", "FloatStorage", 6, f32(order, BASE));
        Storage shared = new Storage("2", "FloatStorage", 10, f32(order, SHARED));
        OrderedDict sd = new OrderedDict();
        sd.put("conv.weight", new TensorRef(base, 0, new int[] {2, 3}, new int[] {3, 1}));
        sd.put("fc.weight", new TensorRef(transposedBase, 0, new int[] {3, 2}, new int[] {1, 3}));
        sd.put("split.a", new TensorRef(shared, 0, new int[] {4}, new int[] {1}));
        sd.put("split.b", new TensorRef(shared, 4, new int[] {2, 3}, new int[] {3, 1}));
        if (order == ByteOrder.LITTLE_ENDIAN) {
            sd.put("half", new TensorRef(new Storage("3", "HalfStorage", 7, u16(HALF_BITS)), 0, new int[] {7},
                    new int[] {1}));
            sd.put("bf", new TensorRef(new Storage("4", "BFloat16Storage", 4, u16(BF16_BITS)), 0, new int[] {2, 2},
                    new int[] {2, 1}));
            sd.put("double", new TensorRef(new Storage("5", "DoubleStorage", 3, f64(0.1, -1e300, 7)), 1,
                    new int[] {2}, new int[] {1}));
            sd.put("bn.num_batches_tracked", new TensorRef(new Storage("6", "LongStorage", 1, i64(1L << 40)), 0,
                    new int[0], new int[0]));
            sd.put("ids", new TensorRef(new Storage("7", "IntStorage", 3, i32(-7, 0, 123456789)), 0, new int[] {3},
                    new int[] {1}));
        }
        OrderedDict meta = new OrderedDict();
        meta.put("", map("version", 1));
        meta.put("conv", map("version", 1));
        sd.attributes.put("_metadata", meta);
        return sd;
    }

    private static Map<Object, Object> map(Object... kv) {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private Path save(String name, Object obj, int protocol) throws IOException {
        return save(name, obj, protocol, "archive", "little");
    }

    private Path save(String name, Object obj, int protocol, String folder, String byteorder) throws IOException {
        PickleWriter w = new PickleWriter(protocol);
        byte[] pickle = w.dump(obj);
        Path file = dir.resolve(name);
        TorchZip.standard(folder, pickle, w.storages, byteorder).write(file);
        return file;
    }

    private static void assertFloats(String what, float[] expected, LoadedTensor t) {
        assertFalse(t.isInteger(), what);
        assertArrayEquals(expected, t.floats(), 0f, what);
    }

    private static void assertStateDict(Map<String, LoadedTensor> sd, boolean allTypes) {
        List<String> names = allTypes
                ? List.of("conv.weight", "fc.weight", "split.a", "split.b", "half", "bf", "double",
                        "bn.num_batches_tracked", "ids")
                : List.of("conv.weight", "fc.weight", "split.a", "split.b");
        assertEquals(names, List.copyOf(sd.keySet()));
        sd.forEach((k, t) -> assertEquals(k, t.name()));
        assertArrayEquals(new int[] {2, 3}, sd.get("conv.weight").shape());
        assertFloats("contiguous", BASE, sd.get("conv.weight"));
        // The transpose of the 2x3 row-major BASE: element (i, j) is BASE[j * 3 + i].
        assertArrayEquals(new int[] {3, 2}, sd.get("fc.weight").shape());
        assertFloats("transposed", new float[] {BASE[0], BASE[3], BASE[1], BASE[4], BASE[2], BASE[5]},
                sd.get("fc.weight"));
        assertFloats("shared storage, offset 0", new float[] {1, 2, 3, 4}, sd.get("split.a"));
        assertArrayEquals(new int[] {2, 3}, sd.get("split.b").shape());
        assertFloats("shared storage, offset 4", new float[] {5, 6, 7, 8, 9, 10}, sd.get("split.b"));
        if (!allTypes) {
            return;
        }
        assertEquals(FileDType.F16, sd.get("half").storedAs());
        assertFloats("half", HALF_VALUES, sd.get("half"));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(sd.get("half").floats()[5]), "half -0");
        assertEquals(FileDType.BF16, sd.get("bf").storedAs());
        assertFloats("bfloat16", BF16_VALUES, sd.get("bf"));
        assertFloats("double, offset 1", new float[] {(float) -1e300, 7f}, sd.get("double"));
        LoadedTensor steps = sd.get("bn.num_batches_tracked");
        assertEquals(0, steps.rank());
        assertEquals(FileDType.I64, steps.storedAs());
        assertArrayEquals(new long[] {1L << 40}, steps.longs());
        assertEquals(FileDType.I32, sd.get("ids").storedAs());
        assertArrayEquals(new long[] {-7, 0, 123456789}, sd.get("ids").longs());
    }

    @Test
    void readsAStateDictAsTorchSaveWritesIt() throws IOException {
        Path file = save("model.pt", stateDict(ByteOrder.LITTLE_ENDIAN), 2);
        TorchCheckpoint ckpt = TorchCheckpoint.read(file);
        assertEquals(file, ckpt.file());
        assertStateDict(ckpt.stateDict(), true);
    }

    @Test
    void readsAPickleAndStoragesHeldInMemoryAsFromTheZip() throws IOException {
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(stateDict(ByteOrder.LITTLE_ENDIAN));
        Map<String, byte[]> storages = new LinkedHashMap<>();
        w.storages.values().forEach(s -> storages.put(s.key(), s.bytes()));
        Path name = dir.resolve("in-memory.pt");
        TorchCheckpoint ckpt = TorchCheckpoint.readPickle(name, "archive", pickle, storages, ByteOrder.LITTLE_ENDIAN);
        assertEquals(name, ckpt.file());
        assertStateDict(ckpt.stateDict(), true);
        storages.remove("2");
        WeightFileException e = assertThrows(WeightFileException.class, () -> TorchCheckpoint.readPickle(name,
                "archive", pickle, storages, ByteOrder.LITTLE_ENDIAN));
        assertMentions(e, "in-memory.pt", "storage '2' is missing", "archive/data/2");
    }

    @Test
    void readsProtocol4WithAnyArchiveFolderAndAWrapperDict() throws IOException {
        Map<Object, Object> wrapper = map("epoch", 7, "lr", 0.5, "steps", 1L << 40, "delta", -5, "best", true,
                "note", null, "model", stateDict(ByteOrder.LITTLE_ENDIAN), "history", List.of(1, 2, 3));
        Path file = save("ckpt.pth", wrapper, 4, "ckpt", "little");
        TorchCheckpoint ckpt = TorchCheckpoint.read(file);
        assertStateDict(ckpt.stateDict(), true);
        Map<?, ?> root = (Map<?, ?>) ckpt.root();
        assertEquals(List.of("epoch", "lr", "steps", "delta", "best", "note", "model", "history"),
                List.copyOf(root.keySet()));
        assertEquals(7L, root.get("epoch"));
        assertEquals(0.5, root.get("lr"));
        assertEquals(1L << 40, root.get("steps"));
        assertEquals(-5L, root.get("delta"));
        assertEquals(true, root.get("best"));
        assertTrue(root.containsKey("note") && root.get("note") == null);
        assertEquals(List.of(1L, 2L, 3L), root.get("history"));
    }

    @Test
    void prefersTheStateDictEntryOverOtherDicts() throws IOException {
        Storage s = new Storage("9", "FloatStorage", 2, f32(ByteOrder.LITTLE_ENDIAN, 3f, 4f));
        Map<Object, Object> optimizer = map("state", map(), "param_groups",
                List.of(map("lr", 0.1, "params", List.of(0, 1))));
        Map<Object, Object> wrapper = map("optimizer", optimizer, "state_dict", stateDict(ByteOrder.LITTLE_ENDIAN),
                "extra", map("t", new TensorRef(s, 0, new int[] {2}, new int[] {1})));
        Path file = save("lightning.ckpt", wrapper, 2);
        assertStateDict(TorchCheckpoint.loadStateDict(file), true);
    }

    @Test
    void flattensNestedDictsListsAndParameters() throws IOException {
        Storage s = new Storage("0", "FloatStorage", 4, f32(ByteOrder.LITTLE_ENDIAN, 1f, 2f, 3f, 4f));
        OrderedDict inner = new OrderedDict();
        inner.put("w", new Parameter(new TensorRef(s, 0, new int[] {2}, new int[] {1})));
        Map<Object, Object> root = map("encoder", inner, "heads",
                List.of(new TensorRef(s, 2, new int[] {1}, new int[] {1}), "not a tensor"), "epoch", 3);
        Map<String, LoadedTensor> sd = TorchCheckpoint.loadStateDict(save("nested.pt", root, 2));
        assertEquals(List.of("encoder.w", "heads.0"), List.copyOf(sd.keySet()));
        assertFloats("parameter", new float[] {1, 2}, sd.get("encoder.w"));
        assertFloats("list item", new float[] {3}, sd.get("heads.0"));
    }

    @Test
    void readsBigEndianStoragesWhenByteorderSaysSo() throws IOException {
        Path file = save("be.pt", stateDict(ByteOrder.BIG_ENDIAN), 2, "archive", "big");
        assertStateDict(TorchCheckpoint.loadStateDict(file), false);
    }

    @Test
    void readsArchivesWithoutByteorderAsLittleEndian() throws IOException {
        Path file = save("old.pt", stateDict(ByteOrder.LITTLE_ENDIAN), 2, "old", null);
        assertStateDict(TorchCheckpoint.loadStateDict(file), true);
    }

    @Test
    void loadedTensorBecomesADeviceTensor() throws IOException {
        Map<String, LoadedTensor> sd = TorchCheckpoint.loadStateDict(
                save("m.pt", stateDict(ByteOrder.LITTLE_ENDIAN), 2));
        try (Scope scope = Scope.open()) {
            Tensor fc = sd.get("fc.weight").toTensor(Device.CPU);
            assertArrayEquals(new int[] {3, 2}, fc.shape());
            assertArrayEquals(sd.get("fc.weight").floats(), fc.toArray(), 0f);
            assertEquals("fc.weight", fc.name());
            Tensor steps = sd.get("bn.num_batches_tracked").toTensor(Device.CPU);
            assertEquals((float) (1L << 40), steps.item());
        }
    }

    // ---- malicious pickles ----

    private Path marker() {
        return dir.resolve("pwned");
    }

    private void assertRefused(Path file, String global) {
        ForbiddenGlobalException e = assertThrows(ForbiddenGlobalException.class, () -> TorchCheckpoint.read(file));
        assertEquals(global, e.global());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("refused global " + global), e.getMessage());
        assertFalse(Files.exists(marker()), "the payload ran");
    }

    @Test
    void refusesOsSystemNamedByGlobal() throws IOException {
        Call payload = new Call(new Global("os", "system"), new Tuple("touch " + marker()));
        Path file = save("evil.pt", payload, 2);
        byte[] pickle = Files.readAllBytes(file);
        assertTrue(new String(pickle, java.nio.charset.StandardCharsets.ISO_8859_1).contains("cos\nsystem\n"),
                "the fixture uses the GLOBAL opcode");
        assertRefused(file, "os.system");
    }

    @Test
    void refusesBuiltinsEvalNamedByStackGlobal() throws IOException {
        Call payload = new Call(new Global("builtins", "eval"),
                new Tuple("open('" + marker() + "', 'w').write('x')"));
        assertRefused(save("evil4.pt", payload, 4), "builtins.eval");
    }

    @ParameterizedTest
    @CsvSource({"posix, system", "subprocess, Popen", "builtins, exec", "builtins, getattr", "nt, system",
        "torch.storage, _load_from_bytes", "torch, ByteStorage", "torch._tensor, _rebuild_from_type_v2",
        "collections, defaultdict", "torch._utils, _rebuild_tensor_v3"})
    void refusesEveryOtherGlobalEvenInsideAValidStateDict(String module, String name) throws IOException {
        OrderedDict sd = stateDict(ByteOrder.LITTLE_ENDIAN);
        sd.put("payload", new Call(new Global(module, name), new Tuple("touch " + marker())));
        assertRefused(save("evil_" + name + ".pt", sd, 2), module + "." + name);
    }

    @ParameterizedTest
    @ValueSource(ints = {'i', 'o', 0x81, 0x92, 0x82})
    void refusesObjectBuildingOpcodes(int opcode) throws IOException {
        // INST carries its class inline: "i os\nsystem\n"; the others would need a class on the stack.
        byte[] pickle = {(byte) 0x80, 2, '(', (byte) opcode, 'o', 's', '\n', 's', 'y', 's', '\n', '.'};
        Path file = dir.resolve("op.pt");
        TorchZip.standard("archive", pickle, Map.of(), "little").write(file);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().startsWith(file + ": archive/data.pkl byte 3: unsupported pickle opcode"),
                e.getMessage());
    }

    // ---- argparse.Namespace: the only plain object allowed ----

    private static final Global NAMESPACE = new Global("argparse", "Namespace");

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void readsTheArgsNamespaceTrainingScriptsSaveBesideTheWeights(int protocol) throws IOException {
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("model", "DiffIML");
        attrs.put("lr", 1e-4);
        attrs.put("epochs", 200);
        attrs.put("if_resizing", true);
        attrs.put("resume", null);
        attrs.put("test_data_json", new java.util.ArrayList<>(List.of("a.json", "b.json")));
        Map<Object, Object> top = new LinkedHashMap<>();
        top.put("model", stateDict(ByteOrder.LITTLE_ENDIAN));
        top.put("epoch", 7);
        top.put("args", new PickleWriter.PyObject(NAMESPACE, attrs));
        Path file = save("benco" + protocol + ".pth", top, protocol);

        TorchCheckpoint ck = TorchCheckpoint.read(file);
        assertStateDict(ck.stateDict(), true);
        Object args = ((Map<?, ?>) ck.root()).get("args");
        assertTrue(args instanceof TorchCheckpoint.Namespace, String.valueOf(args));
        Map<String, Object> got = ((TorchCheckpoint.Namespace) args).attributes();
        assertEquals(List.of("model", "lr", "epochs", "if_resizing", "resume", "test_data_json"),
                List.copyOf(got.keySet()));
        assertEquals("DiffIML", got.get("model"));
        assertEquals(1e-4, got.get("lr"));
        assertEquals(200L, got.get("epochs"));
        assertEquals(true, got.get("if_resizing"));
        assertTrue(got.containsKey("resume") && got.get("resume") == null);
        assertEquals(List.of("a.json", "b.json"), got.get("test_data_json"));
    }

    @Test
    void aNamespaceDoesNotLetAForbiddenGlobalThrough() throws IOException {
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("output_dir", new Call(new Global("os", "system"), new Tuple("touch " + marker())));
        Map<Object, Object> top = new LinkedHashMap<>();
        top.put("model", stateDict(ByteOrder.LITTLE_ENDIAN));
        top.put("args", new PickleWriter.PyObject(NAMESPACE, attrs));
        assertRefused(save("evil_ns.pth", top, 2), "os.system");
    }

    @Test
    void newObjIsRefusedForEveryOtherClassAndForArguments() throws IOException {
        // NEWOBJ of an allowed global that is not a plain data class (OrderedDict) is an unsupported opcode.
        Map<Object, Object> top = new LinkedHashMap<>();
        top.put("model", stateDict(ByteOrder.LITTLE_ENDIAN));
        top.put("x", new PickleWriter.PyObject(PickleWriter.ORDERED_DICT, Map.of()));
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> TorchCheckpoint.read(save("newobj.pth", top, 2)));
        assertMentions(e, "unsupported pickle opcode NEWOBJ");
        // Namespace with constructor arguments: cls, (1,), NEWOBJ.
        byte[] pickle = {(byte) 0x80, 2, 'c', 'a', 'r', 'g', 'p', 'a', 'r', 's', 'e', '\n', 'N', 'a', 'm', 'e', 's',
            'p', 'a', 'c', 'e', '\n', 'K', 1, (byte) 0x85, (byte) 0x81, '.'};
        Path file = dir.resolve("nsargs.pth");
        TorchZip.standard("archive", pickle, Map.of(), "little").write(file);
        WeightFileException e2 = assertThrows(WeightFileException.class, () -> TorchCheckpoint.read(file));
        assertMentions(e2, "NEWOBJ of argparse.Namespace", "instead of no arguments");
    }

    // ---- broken archives ----

    private WeightFileException readFails(Path file) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertEquals(file, e.file());
        return e;
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
        }
    }

    @Test
    void rejectsATruncatedZip() throws IOException {
        Path file = save("full.pt", stateDict(ByteOrder.LITTLE_ENDIAN), 2);
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length / 2));
        assertMentions(readFails(file), "not a readable zip archive");
    }

    @Test
    void rejectsAFileThatIsNotAZip() throws IOException {
        Path file = dir.resolve("weights.safetensors");
        Safetensors.write(file, List.of(LoadedTensor.ofFloats("x", new int[] {1}, new float[] {1})));
        assertMentions(readFails(file), "not a readable zip archive");
        assertMentions(readFails(dir.resolve("absent.pt")), "no such file");
    }

    /** The archive torch.save writes for {@link #stateDict}, to break before writing. */
    private static TorchZip stateDictArchive() {
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(stateDict(ByteOrder.LITTLE_ENDIAN));
        return TorchZip.standard("archive", pickle, w.storages, "little");
    }

    @Test
    void rejectsAZipWithoutDataPkl() throws IOException {
        Path file = dir.resolve("nopkl.pt");
        stateDictArchive().remove("data.pkl").write(file);
        assertMentions(readFails(file), "no <folder>/data.pkl");
    }

    @Test
    void rejectsAMissingStorageEntry() throws IOException {
        Path file = dir.resolve("nostorage.pt");
        stateDictArchive().remove("data/2").write(file);
        assertMentions(readFails(file), "storage '2' is missing", "archive/data/2");
    }

    @Test
    void rejectsAStorageEntryOfTheWrongSize() throws IOException {
        Path file = dir.resolve("short.pt");
        stateDictArchive().put("data/3", u16(1, 2)).write(file);
        assertMentions(readFails(file), "archive/data/3 has 4 bytes", "7 x F16 (14 bytes)");
    }

    @Test
    void rejectsATruncatedPickle() throws IOException {
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(stateDict(ByteOrder.LITTLE_ENDIAN));
        for (int cut : new int[] {pickle.length - 1, pickle.length / 2, 3}) {
            Path file = dir.resolve("cut" + cut + ".pt");
            TorchZip.standard("archive", Arrays.copyOf(pickle, cut), w.storages, "little").write(file);
            assertMentions(readFails(file), "archive/data.pkl byte ", "truncated");
        }
    }

    @Test
    void rejectsAViewReachingPastItsStorage() throws IOException {
        Storage s = new Storage("0", "FloatStorage", 6, f32(ByteOrder.LITTLE_ENDIAN, BASE));
        OrderedDict sd = new OrderedDict();
        sd.put("w", new TensorRef(s, 1, new int[] {2, 3}, new int[] {3, 1}));
        assertMentions(readFails(save("oob.pt", sd, 2)), "storage '0'", "reach element 6, past the storage's 6");
    }

    @Test
    void rejectsAStateDictWithoutTensorsOrNotADict() throws IOException {
        Path list = save("list.pt", List.of(1, 2), 2);
        assertEquals(List.of(1L, 2L), TorchCheckpoint.read(list).root());
        WeightFileException e = assertThrows(WeightFileException.class, () -> TorchCheckpoint.loadStateDict(list));
        assertMentions(e, list.toString(), "top-level object is a list of 2");
        Path empty = save("empty.pt", map("epoch", 1), 2);
        e = assertThrows(WeightFileException.class, () -> TorchCheckpoint.loadStateDict(empty));
        assertMentions(e, empty.toString(), "no tensors");
    }

    @Test
    void refusesSelfContainingStructuresAndUnhashableKeys() throws IOException {
        List<Object> loop = new java.util.ArrayList<>();
        loop.add(loop);
        Path file = save("loop.pt", map("loop", loop), 2);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TorchCheckpoint.loadStateDict(file));
        assertMentions(e, file.toString(), "'loop.0' refers back to its container 'loop': a cycle");

        // {[]: 1}: Python cannot build it (lists are unhashable), so no real pickle holds it.
        byte[] pickle = {(byte) 0x80, 2, '}', ']', 'K', 1, 's', '.'};
        Path keyed = dir.resolve("keyed.pt");
        TorchZip.standard("archive", pickle, Map.of(), "little").write(keyed);
        assertMentions(readFails(keyed), "byte 6: unhashable a list of 0 used as a dict key");
    }

    @Test
    void corruptedPicklesFailWithAWeightFileExceptionOnly() throws IOException {
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(stateDict(ByteOrder.LITTLE_ENDIAN));
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] bad = pickle.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
            }
            Path file = dir.resolve("fuzz" + trial + ".pt");
            TorchZip.standard("archive", bad, w.storages, "little").write(file);
            try {
                TorchCheckpoint.read(file).stateDict();
            } catch (WeightFileException e) { // anything else fails the test
                assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 100, refused + " of 300 corrupted pickles refused");
    }

    @Test
    void readsLargeStateDictsThroughLongMemoIndices() throws IOException {
        // 60 tensors: more than 256 memo entries, so torch's pickle switches to LONG_BINPUT, and the second use of
        // each late storage key is a LONG_BINGET. Tensors 2k and 2k+1 share storage k.
        OrderedDict sd = new OrderedDict();
        for (int k = 0; k < 30; k++) {
            float[] v = {k, -k, 0.5f * k};
            Storage s = new Storage(Integer.toString(k), "FloatStorage", 3, f32(ByteOrder.LITTLE_ENDIAN, v));
            sd.put("layer" + k + ".weight", new TensorRef(s, 0, new int[] {2}, new int[] {1}));
            sd.put("layer" + k + ".bias", new TensorRef(s, 2, new int[] {1}, new int[] {1}));
        }
        PickleWriter w = new PickleWriter(2);
        byte[] pickle = w.dump(sd);
        String text = new String(pickle, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(text.indexOf('r') >= 0 && text.indexOf('j') >= 0, "fixture uses LONG_BINPUT and LONG_BINGET");
        Path file = dir.resolve("large.pt");
        TorchZip.standard("archive", pickle, w.storages, "little").write(file);
        Map<String, LoadedTensor> back = TorchCheckpoint.loadStateDict(file);
        assertEquals(60, back.size());
        for (int k = 0; k < 30; k++) {
            assertFloats("weight " + k, new float[] {k, -k}, back.get("layer" + k + ".weight"));
            assertFloats("bias " + k, new float[] {0.5f * k}, back.get("layer" + k + ".bias"));
        }
    }

    @Test
    void decodesTheOtherDataOpcodes() throws IOException {
        java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
        p.writeBytes(new byte[] {(byte) 0x80, 4, '}', '('});
        java.util.function.Consumer<String> str = s -> {
            p.write(0x8c);
            p.write(s.length());
            p.writeBytes(TorchZip.ascii(s));
        };
        str.accept("set");
        p.writeBytes(new byte[] {(byte) 0x8f, '(', 'K', 1, 'K', 2, (byte) 0x90}); // EMPTY_SET MARK 1 2 ADDITEMS
        str.accept("frozen");
        p.writeBytes(new byte[] {'(', 'K', 3, (byte) 0x91}); // FROZENSET
        str.accept("bytes");
        p.writeBytes(new byte[] {'C', 2, (byte) 0xAB, (byte) 0xCD}); // SHORT_BINBYTES
        str.accept("big");
        p.writeBytes(new byte[] {(byte) 0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}); // LONG4 (4-byte length): 2^64
        str.accept("neg");
        p.writeBytes(new byte[] {(byte) 0x8a, 1, (byte) 0xff}); // LONG1: -1
        str.accept("list");
        p.writeBytes(new byte[] {'(', 'K', 5, 'K', 6, 'l'}); // LIST
        str.accept("dict");
        p.writeBytes(new byte[] {'('});
        str.accept("a");
        p.writeBytes(new byte[] {'N', 'd'}); // DICT
        str.accept("dup");
        p.writeBytes(new byte[] {'K', 7, '2', '0'}); // DUP POP
        str.accept("tuple4");
        p.writeBytes(new byte[] {'(', 'K', 1, 'K', 2, 'K', 3, 'K', 4, 't'}); // TUPLE
        str.accept("float");
        p.writeBytes(new byte[] {'G', (byte) 0xC0, 4, 0, 0, 0, 0, 0, 0}); // BINFLOAT -2.5, big-endian
        str.accept("popmark");
        p.writeBytes(new byte[] {'K', 9, '(', 'K', 10, 'K', 11, '1'}); // POP_MARK drops 10 and 11
        p.writeBytes(new byte[] {'u', '.'});
        Path file = dir.resolve("ops.pt");
        TorchZip.standard("archive", p.toByteArray(), Map.of(), "little").write(file);

        Map<?, ?> root = (Map<?, ?>) TorchCheckpoint.read(file).root();
        assertEquals(java.util.Set.of(1L, 2L), root.get("set"));
        assertEquals(java.util.Set.of(3L), root.get("frozen"));
        assertArrayEquals(new byte[] {(byte) 0xAB, (byte) 0xCD}, (byte[]) root.get("bytes"));
        assertEquals(java.math.BigInteger.ONE.shiftLeft(64), root.get("big"));
        assertEquals(-1L, root.get("neg"));
        assertEquals(List.of(5L, 6L), root.get("list"));
        assertEquals(map("a", null), root.get("dict"));
        assertEquals(7L, root.get("dup"));
        assertEquals(List.of(1L, 2L, 3L, 4L), root.get("tuple4"));
        assertEquals(-2.5, root.get("float"));
        assertEquals(9L, root.get("popmark"));
        assertEquals(11, root.size());
    }
}
